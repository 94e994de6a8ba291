"""The etiology feature states of many cases' data at once: `feature_columns`'s rules, by column.

`feature_columns` reads one case at a time into a row of states (+1 present, -1 absent,
0 unknown). A batch read from raw data (`case_data_batch`) instead gathers each field of every
case into a column, most of them with one map over a section's keys, and this module applies
each rule to a whole column at once. Thresholds are still applied by the knowledge base's own
`reached`, one given value at a time, so the comparison is the one the data file states.

A property test holds these states to `feature_columns` (and so to `derive_etiology_findings`)
on generated cases; `READS_EVERY_FEATURE` turns the batch's fast reading off should a feature
be added there and not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import is_not, itemgetter
from typing import Any, get_args

import numpy as np
import numpy.typing as npt

from plexcare.engine.case import Cancer, History, ImagingFinding, Labs, Radiotherapy, Symptoms
from plexcare.engine.etiology_features import (
    IMAGING_FEATURES,
    PELVIC_SURGERY,
    PELVIC_TRAUMA,
    SEX_IS_FEMALE,
)
from plexcare.engine.feature_columns import ORDER, STATE, cancer_history, imaging_features
from plexcare.knowledge.engine_parameters_model import ClinicalThreshold
from plexcare.knowledge.model import KnowledgeBase

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _flags(model: type[Symptoms | History]) -> tuple[str, ...]:
    """The yes/no fields of a section, in the model's order."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if set(get_args(info.annotation)) == {bool, type(None)}
    )


LAB_FIELDS: tuple[str, ...] = tuple(Labs.model_fields)
HISTORY_FLAGS = _flags(History)
SYMPTOM_FLAGS = _flags(Symptoms)
SYMPTOM_FIELDS: tuple[str, ...] = tuple(Symptoms.model_fields)
HISTORY_FIELDS: tuple[str, ...] = tuple(History.model_fields)
HISTORY_NUMBERS = ("delivery_weeks_ago", "pelvic_radiotherapy_years_ago")
HISTORY_WORDS = ("diabetes", "recent_surgery", "trauma")
WORDS = ("sex", "tempo", "affected_side", "anal_tone")
"""The named values outside the history a row carries (`CaseFeatureData.words`)."""
NUMBERS = ("age", "bmi", "pain_score")
"""The measurements outside the symptoms, history and labs a row carries
(`CaseFeatureData.numbers`)."""
HISTORY_OF_CANCER = ("cancer_history", "cancer_active", "pelvic_radiotherapy", "anticoagulated")
"""The features read from the rarely given history fields (`CaseFeatureData.cancer_rows`)."""
IMAGING_ORDER: tuple[str, ...] = tuple(IMAGING_FEATURES.values())
"""The imaging features, as `imaging_states` gives them."""
BEDSIDE = (
    "back_site",
    "bilateral_exam",
    "give_way_weakness",
    "upper_motor_neuron_signs",
    "absent_foot_pulses",
    "emg_myokymia",
)
"""What the reader works out from the pain sites, examination and needle study of a case
(`CaseFeatureData.bedside`): 1 for pain at a site whose name says back, and for weakness
in both legs (else 0), then a state for each feature. Give-way weakness is never present
there: a case that records it is read by `Case`."""
HISTORY_AS_GIVEN = (
    "pregnant",
    "delivery_instrumental",
    "labour_prolonged",
    "gluteal_injection",
    "injection_drug_use",
    "fall",
    "lay_immobile_for_hours",
    "atrial_fibrillation",
    "leg_crossing_or_squatting",
)
"""History yes/no fields that are each a feature of the same name, its state as given."""
SYMPTOMS_AS_GIVEN = (
    "fever",
    "pain_on_hip_rotation",
    "pain_before_weakness",
    "cramps",
    "fasciculations_seen",
    "night_sweats",
    "dermatomal_rash",
    "cyclical_pain",
    "vascular_claudication",
    "pain_on_coughing",
    "spread_to_other_leg",
    "difficulty_rising_from_chair",
    "neurogenic_claudication",
)
"""Symptom yes/no fields that are each a feature of the same name, its state as given."""
Section = dict[str, Any]
EMPTY: Section = {}


@dataclass
class CaseFeatureData:
    """What the features of a batch are read from, a row per case: its symptoms, history and
    labs as its data gives them (read by column when the batch is complete, so a case pays
    only for the fields it gives), and a tuple of what the reader worked out."""

    symptoms: list[Section] = field(default_factory=list)
    history: list[Section] = field(default_factory=list)
    labs: list[Section] = field(default_factory=list)
    numbers: list[float | None] = field(default_factory=list)  # NUMBERS, flat
    words: list[tuple[str | None, ...]] = field(default_factory=list)  # WORDS
    bedside: list[tuple[float, ...]] = field(default_factory=list)  # BEDSIDE
    imaging: list[tuple[float, ...] | None] = field(default_factory=list)  # IMAGING_ORDER
    cancer_rows: dict[int, tuple[float, ...]] = field(default_factory=dict)  # HISTORY_OF_CANCER

    def __len__(self) -> int:
        return len(self.words)

    def add_blank(self) -> None:
        """A row to be overwritten (a case read by `Case`, whose states `feature_columns`
        gives)."""
        self.symptoms.append(EMPTY)
        self.history.append(EMPTY)
        self.labs.append(EMPTY)
        self.numbers += _BLANK_NUMBERS
        self.words.append(_BLANK_WORDS)
        self.bedside.append(_BLANK_BEDSIDE)
        self.imaging.append(None)


_BLANK_NUMBERS: list[float | None] = [0, None, None]
_BLANK_WORDS: tuple[str | None, ...] = ("other", None, None, None)
_BLANK_BEDSIDE = (0.0,) * len(BEDSIDE)


def imaging_states(findings: Sequence[ImagingFinding], kb: KnowledgeBase) -> tuple[float, ...]:
    """`feature_columns.imaging_features` as states, in `IMAGING_ORDER`."""
    return tuple(STATE[state] for state in imaging_features(findings, kb))


def cancer_states(
    cancer: Cancer | None,
    radiotherapy: Radiotherapy | None,
    years: float | None,
    anticoagulant: str | None,
    in_field: frozenset[str],
) -> tuple[float, ...]:
    """`HISTORY_OF_CANCER` from the history fields they are read from, as states
    (`feature_columns.cancer_history`'s rule)."""
    return tuple(
        STATE[state]
        for state in cancer_history(cancer, radiotherapy, years, anticoagulant, in_field)
    )


def _columns(
    flat: Sequence[float | None], names: Sequence[str], rows: int
) -> dict[str, FloatArray]:
    """A flat list of `len(names)` values a row as a column per name (None as NaN)."""
    table = np.array(flat, dtype=np.float64).reshape(rows, len(names)).T
    return dict(zip(names, table, strict=True))


def _sections(
    sections: Sequence[Section], fields: Sequence[str]
) -> tuple[IntArray, IntArray, list[Any]]:
    """Every value the sections give, as (row, field, value), read with C-level maps."""
    lengths = np.fromiter(map(len, sections), dtype=np.int64, count=len(sections))
    rows = np.repeat(np.arange(len(sections)), lengths)
    column = {name: place for place, name in enumerate(fields)}.__getitem__
    columns = np.fromiter(
        map(column, chain.from_iterable(sections)), dtype=np.int64, count=len(rows)
    )
    return rows, columns, list(chain.from_iterable(map(dict.values, sections)))


def _table(
    sections: Sequence[Section], fields: Sequence[str], read: Sequence[str] | None = None
) -> tuple[dict[str, FloatArray], list[Any], IntArray, IntArray]:
    """The yes/no and number fields of the sections (all of them, or those `read` names) as
    a column each: 1 yes, 0 no, the number itself, NaN where not given; with every value and
    its row and field, for the named values."""
    rows, columns, values = _sections(sections, fields)
    table = np.full((len(fields), len(sections)), np.nan)
    if read is None:
        table[columns, rows] = np.array(values, dtype=np.float64)
    else:
        readable = np.zeros(len(fields), dtype=bool)
        readable[[fields.index(name) for name in read]] = True
        picked = np.flatnonzero(readable[columns])
        table[columns[picked], rows[picked]] = np.array(
            [values[place] for place in picked.tolist()], dtype=np.float64
        )
    return dict(zip(fields, table, strict=True)), values, rows, columns


def _named_column(
    values: list[Any], rows: IntArray, columns: IntArray, column: int, count: int
) -> list[Any]:
    """One named field of `_table`'s values as a list a row (None where not given)."""
    named: list[Any] = [None] * count
    for place in np.flatnonzero(columns == column).tolist():
        named[int(rows[place])] = values[place]
    return named


def _state(given: FloatArray) -> FloatArray:
    """A yes/no column (1, 0, NaN) as states."""
    result: FloatArray = np.where(given == 1.0, 1.0, np.where(given == 0.0, -1.0, 0.0))
    return result


COMPARED = {
    "above": np.greater,
    "at_or_above": np.greater_equal,
    "below": np.less,
    "at_or_below": np.less_equal,
}
"""Each comparison a threshold states, as the NumPy comparison that applies it to a column
(`ClinicalThreshold.reached` applies the same comparison to one value; a test holds them
together)."""


def reached(limit: ClinicalThreshold, values: FloatArray) -> FloatArray:
    """+1 where a given value reaches the limit, -1 where it does not, 0 where none is given."""
    met = COMPARED[limit.comparison](values, limit.value)
    result: FloatArray = np.where(np.isnan(values), 0.0, np.where(met, 1.0, -1.0))
    return result


def _any_true(*states: FloatArray) -> FloatArray:
    """`_any_true` of the feature rules: present if any is, absent if some are known, else 0."""
    stacked = np.stack(states)
    result: FloatArray = np.where(
        (stacked > 0).any(axis=0), 1.0, np.where((stacked < 0).any(axis=0), -1.0, 0.0)
    )
    return result


def _named(values: Sequence[Any], states: Mapping[Any, float]) -> FloatArray:
    """Named values as states (0 for a name `states` does not give)."""
    return np.fromiter(map(states.get, values, repeat(0.0)), np.float64, len(values))


def _in(values: Sequence[str | None], members: frozenset[str]) -> FloatArray:
    """+1 for a value among `members`, -1 for another, 0 where none is given."""
    count = len(values)
    given = np.fromiter(map(is_not, values, repeat(None)), bool, count)
    among = np.fromiter(map(members.__contains__, values), bool, count)
    result: FloatArray = np.where(given, np.where(among, 1.0, -1.0), 0.0)
    return result


def feature_table(
    gathered: CaseFeatureData, index: Mapping[str, int], kb: KnowledgeBase
) -> FloatArray:
    """Cases × features (`index`: feature id -> column): the matrix `feature_columns` gives
    for the same cases."""
    rows = len(gathered)
    limits = kb.thresholds
    symptom, _, _, _ = _table(gathered.symptoms, SYMPTOM_FIELDS)
    said = {name: _state(symptom[name]) for name in SYMPTOM_FLAGS}
    labs, _, _, _ = _table(gathered.labs, LAB_FIELDS)
    history, values, where, columns = _table(
        gathered.history, HISTORY_FIELDS, (*HISTORY_FLAGS, *HISTORY_NUMBERS)
    )
    flags = {name: _state(history[name]) for name in HISTORY_FLAGS}
    word = {
        name: _named_column(values, where, columns, HISTORY_FIELDS.index(name), rows)
        for name in HISTORY_WORDS
    }
    for place, name in enumerate(WORDS):
        word[name] = list(map(itemgetter(place), gathered.words))
    number = _columns(gathered.numbers, NUMBERS, rows)
    bedside = _columns(list(chain.from_iterable(gathered.bedside)), BEDSIDE, rows)
    states: dict[str, FloatArray] = {}
    hba1c = states["hba1c_high"] = reached(limits.hba1c_diabetes, labs["hba1c"])
    diabetes = _named(word["diabetes"], {"type1": 1.0, "type2": 1.0, "none": -1.0})
    states["diabetes"] = np.where(
        (diabetes > 0) | (hba1c > 0), 1.0, np.where((diabetes < 0) | (hba1c < 0), -1.0, 0.0)
    )
    states["recent_weight_loss"] = reached(
        limits.significant_weight_loss, symptom["weight_loss_kg"]
    )
    cancer = np.zeros((rows, len(HISTORY_OF_CANCER)))
    if gathered.cancer_rows:
        cancer[list(gathered.cancer_rows)] = list(gathered.cancer_rows.values())
    states.update(zip(HISTORY_OF_CANCER, cancer.T, strict=True))
    states["inr_supratherapeutic"] = reached(limits.inr_supratherapeutic, labs["inr"])
    states["recent_pelvic_or_hip_surgery"] = _in(word["recent_surgery"], PELVIC_SURGERY)
    states["recent_delivery"] = reached(limits.recent_delivery, history["delivery_weeks_ago"])
    states["pelvic_trauma"] = _in(word["trauma"], PELVIC_TRAUMA)
    states["immunosuppressed"] = _any_true(flags["immunosuppressed"], flags["chemotherapy_recent"])
    infection = flags["recent_infection"]
    states["recent_infection"] = np.where(infection != 0, infection, flags["infection_risk"])
    for flag in HISTORY_AS_GIVEN:
        states[flag] = flags[flag]
    for tempo in ("acute", "subacute", "chronic"):
        states[f"onset_{tempo}"] = _named(
            word["tempo"],
            {t: 1.0 if t == tempo else -1.0 for t in ("acute", "subacute", "chronic")},
        )
    score = number["pain_score"]
    states["severe_pain"] = reached(limits.severe_pain, score)
    states["painless"] = reached(limits.little_or_no_pain, score)
    back = said["back_pain"]
    states["back_pain"] = np.where(back != 0, back, bedside["back_site"])
    affected = _named(word["affected_side"], {"both": 1.0, "left": -1.0, "right": -1.0})
    states["bilateral"] = np.where(affected != 0, affected, bedside["bilateral_exam"])
    anal = _named(word["anal_tone"], {"reduced": 1.0, "normal": -1.0})
    states["sphincter_dysfunction"] = _any_true(
        said["bladder_bowel"], said["saddle_numbness"], anal
    )
    states["night_or_lying_pain"] = _any_true(said["pain_worse_lying_flat"], said["night_pain"])
    states["limb_swelling"] = _any_true(
        said["swelling_or_bruising"], said["tense_buttock_or_thigh"]
    )
    for flag in SYMPTOMS_AS_GIVEN:
        states[flag] = said[flag]
    states["obesity"] = reached(limits.obesity, number["bmi"])
    states["age_over_50"] = reached(limits.age_over_50, number["age"])
    states["female"] = _named(word["sex"], {s: STATE[f] for s, f in SEX_IS_FEMALE.items()})
    for name in BEDSIDE[2:]:
        states[name] = bedside[name]
    imaging = np.zeros((rows, len(IMAGING_ORDER)))
    shown = [row for row, found in enumerate(gathered.imaging) if found is not None]
    if shown:
        imaging[shown] = [gathered.imaging[row] for row in shown]
    states.update(zip(IMAGING_ORDER, imaging.T, strict=True))
    states["raised_inflammatory_markers"] = _any_true(
        reached(limits.esr_raised, labs["esr"]), reached(limits.crp_raised, labs["crp"])
    )
    states["leucocytosis"] = reached(limits.leucocytosis, labs["white_cell_count"])
    states["csf_protein_raised"] = reached(limits.csf_protein_raised, labs["csf_protein"])
    states["ck_raised"] = _ck(labs["ck"], kb)
    matrix = np.zeros((rows, len(index)))
    for feature in ORDER:
        if feature in index:
            matrix[:, index[feature]] = states[feature]
    return matrix


def _ck(values: FloatArray, kb: KnowledgeBase) -> FloatArray:
    """Raised above one limit, normal below the other, unknown between (and when not given)."""
    limits = kb.thresholds
    raised = reached(limits.ck_raised, values)
    normal = reached(limits.ck_normal, values)
    result: FloatArray = np.where(raised > 0, 1.0, np.where(normal > 0, -1.0, 0.0))
    return result


READS_EVERY_FEATURE = set(ORDER) == {
    "hba1c_high",
    "diabetes",
    "recent_weight_loss",
    *HISTORY_OF_CANCER,
    "inr_supratherapeutic",
    "recent_pelvic_or_hip_surgery",
    "recent_delivery",
    "pelvic_trauma",
    "immunosuppressed",
    "recent_infection",
    *HISTORY_AS_GIVEN,
    "onset_acute",
    "onset_subacute",
    "onset_chronic",
    "severe_pain",
    "painless",
    "back_pain",
    "bilateral",
    "sphincter_dysfunction",
    "night_or_lying_pain",
    "limb_swelling",
    *SYMPTOMS_AS_GIVEN,
    "obesity",
    "age_over_50",
    "female",
    *BEDSIDE[2:],
    *IMAGING_ORDER,
    "raised_inflammatory_markers",
    "leucocytosis",
    "csf_protein_raised",
    "ck_raised",
}
"""Whether `feature_table` states every feature `feature_columns` does (and nothing else)."""
