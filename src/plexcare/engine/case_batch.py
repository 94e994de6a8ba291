"""Many cases from their raw input: validated, assessed together, blamed by place, answered.

A batch from files (`plexcare assess --batch`) must refuse exactly what one case refuses, and
say which file and field. Most cases are read from their JSON by the twin of the case model
and straight into the batch's arrays (`case_data`, `case_data_batch`); the rest, and any case
that reading declines, by `read_case`: JSON straight from its bytes (`Case.model_validate_json`:
parsed and validated in one pass), data another parser produced (YAML) through
`Case.model_validate`. Both apply every rule of `engine.case`, and a property test holds them
to the same verdict, the same field refused and the same case (only the wording of a type
error may differ: JSON calls a mapping an object).

A batch's rows are what `assess` gives each case alone: the same leading sites and causes in
the same order (`ranking`) and the same probabilities rounded to four places (`rounded`),
computed for all rows at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from plexcare.engine.assessment import BatchAssessment
from plexcare.engine.case import Case
from plexcare.engine.ranking import leading_columns

FloatArray = npt.NDArray[np.float64]

LEADING = 3
"""How many sites and causes a batch row gives."""


class CaseInputError(ValueError):
    """One input of a batch is not a case: where it came from, the field, and what is wrong.

    `field` is the dotted path, "(top level)" for the case as a whole, or None when the input
    cannot be read as a case at all (`unreadable`: not valid JSON, or a file that cannot be
    read).
    """

    def __init__(self, where: str, field: str | None, problem: str) -> None:
        said = f"field '{field}': {problem}" if field is not None else problem
        super().__init__(f"{where}: {said}")
        self.where = where
        self.field = field
        self.problem = problem

    @property
    def unreadable(self) -> bool:
        """True when the input could not be parsed at all (not a problem with a field)."""
        return self.field is None


def _field(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def read_case(where: str, raw: bytes | Any) -> Case:
    """One case from JSON bytes or from plain data, refused with the first field at fault."""
    try:
        if isinstance(raw, bytes | bytearray):
            return Case.model_validate_json(raw)
        return Case.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise CaseInputError(where, None, f"not valid JSON ({first['msg']})") from None
        raise CaseInputError(where, _field(first["loc"]), first["msg"]) from None


def rounded(values: FloatArray) -> list[float]:
    """`round(value, 4)` of every value, computed for the array at once.

    NumPy rounds `value * 10**4` to an integer and divides back, which is Python's correctly
    rounded answer except where `value * 10**4` lies within rounding error of a half; those
    few are rounded by Python itself.
    """
    scaled = values * 1e4
    shown: list[float] = (np.rint(scaled) / 1e4).tolist()
    for place in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        shown[place] = round(float(values.flat[place]), 4)
    return shown


def leading_answers(
    results: BatchAssessment, top: int = LEADING, files: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Every row's `BatchAssessment.case(row, top)`, with the ranking and rounding done for
    all rows at once (the order of `ranking.probability_order`); with `files`, each row
    starts with the file (and line) its case came from."""
    sites = leading_columns(results.localization, top)
    causes = leading_columns(results.etiology, top)
    site_p = rounded(np.take_along_axis(results.localization, sites, axis=1).ravel())
    cause_p = rounded(np.take_along_axis(results.etiology, causes, axis=1).ravel())
    plexus = rounded(results.plexopathy_probability)
    site_names = list(zip(results.candidate_keys, results.candidate_titles, strict=True))
    cause_names = list(zip(results.disorders, results.disorder_names, strict=True))
    width_sites, width_causes = sites.shape[1], causes.shape[1]
    site_rows = map(site_names.__getitem__, sites.ravel().tolist())
    cause_rows = map(cause_names.__getitem__, causes.ravel().tolist())
    site_entries = [
        {"key": key, "title": title, "probability": p}
        for (key, title), p in zip(site_rows, site_p, strict=True)
    ]
    cause_entries = [
        {"disorder": disorder, "name": name, "probability": p}
        for (disorder, name), p in zip(cause_rows, cause_p, strict=True)
    ]
    sites_of = [
        site_entries[at : at + width_sites] for at in range(0, len(site_entries), width_sites)
    ]
    causes_of = [
        cause_entries[at : at + width_causes] for at in range(0, len(cause_entries), width_causes)
    ]
    answers = zip(results.case_ids, sites_of, plexus, causes_of, strict=True)
    if files is None:
        return [
            {
                "case_id": case_id,
                "localization": sites,
                "plexopathy_probability": plexopathy,
                "etiology": causes,
            }
            for case_id, sites, plexopathy, causes in answers
        ]
    return [
        {
            "file": file,
            "case_id": case_id,
            "localization": sites,
            "plexopathy_probability": plexopathy,
            "etiology": causes,
        }
        for file, (case_id, sites, plexopathy, causes) in zip(files, answers, strict=True)
    ]
