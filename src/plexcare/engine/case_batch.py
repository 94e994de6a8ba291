"""Many cases from their raw input: validated one by one, assessed together, blamed by place.

A batch from files (`plexcare assess --batch`) must refuse exactly what one case refuses, and
say which file and field; it must also keep up with the batch assessment itself. JSON is read
straight from its bytes by the Case validator (`Case.model_validate_json`: parsed and
validated in one pass, with no dictionaries built in between); data another parser produced
(YAML) goes through `Case.model_validate`. Both apply every rule of `engine.case`, and a
property test holds them to the same verdict, the same field refused and the same case (only
the wording of a type error may differ: JSON calls a mapping an object).

Names (muscles, studies, reflexes) are checked for the whole batch while it is read into arrays
(`assess_batch`); only when that check fails is the batch walked case by case, to name the
first case with an unknown name, as a case-by-case check would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from plexcare.engine.assessment import BatchAssessment, assess_batch
from plexcare.engine.case import Case
from plexcare.engine.case_names import CaseError, check_case_names
from plexcare.knowledge.model import KnowledgeBase

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


def assess_read_cases(
    cases: Sequence[Case], wheres: Sequence[str], kb: KnowledgeBase
) -> BatchAssessment:
    """`assess_batch` over validated cases, an unknown name blamed on its case's input."""
    try:
        return assess_batch(cases, kb)
    except CaseError as error:
        for case, where in zip(cases, wheres, strict=True):
            try:
                check_case_names(case, kb)
            except CaseError as first:
                raise CaseInputError(where, first.field, first.message) from None
        raise CaseInputError("batch", error.field, error.message) from None


def leading_answers(results: BatchAssessment, top: int = LEADING) -> list[dict[str, Any]]:
    """Every row's `BatchAssessment.case(row, top)`, with the ranking done for all rows at
    once (the same stable order: ties keep the knowledge base's order)."""
    sites = np.argsort(-results.localization, axis=1, kind="stable")[:, :top]
    causes = np.argsort(-results.etiology, axis=1, kind="stable")[:, :top]
    site_p = np.take_along_axis(results.localization, sites, axis=1).tolist()
    cause_p = np.take_along_axis(results.etiology, causes, axis=1).tolist()
    plexus = results.plexopathy_probability.tolist()
    keys, titles = results.candidate_keys, results.candidate_titles
    disorders, names = results.disorders, results.disorder_names
    rows: list[dict[str, Any]] = []
    for row, (site_row, cause_row) in enumerate(zip(sites.tolist(), causes.tolist(), strict=True)):
        rows.append(
            {
                "case_id": results.case_ids[row],
                "localization": [
                    {"key": keys[i], "title": titles[i], "probability": round(p, 4)}
                    for i, p in zip(site_row, site_p[row], strict=True)
                ],
                "plexopathy_probability": round(plexus[row], 4),
                "etiology": [
                    {"disorder": disorders[i], "name": names[i], "probability": round(p, 4)}
                    for i, p in zip(cause_row, cause_p[row], strict=True)
                ],
            }
        )
    return rows
