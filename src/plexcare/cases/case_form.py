"""The clinician's case form: every part of the Case model as structured fields, laid out for
speed (grids by side, study tables, rows of needle findings and imaging), and an advanced
YAML/JSON box for what the tables do not hold. Pure: form fields and the knowledge base in, a
validated `Case` or messages per field out; and back again, a stored case as form values.

Names come from two places, so the form grows with them without edits here: muscles, reflexes,
skin areas and nerve-conduction studies from the knowledge base (shown by their clinical
names, never ids), and the history, symptom, imaging and laboratory fields from the Case
model itself (its field types and descriptions).

Most fields are named by their dotted path in the Case (`symptoms.fever`,
`exam.left.strength.tibialis_anterior`), so a validation error from the Case model lands beside
the field that caused it. Needle EMG and imaging are entered as rows (`emg_row.2.muscle`,
`imaging_row.0.kind`) and errors are carried back to the row. A structured field that is
filled in wins over the same value in the advanced box.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, get_args, get_origin

import yaml
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError

from plexcare.engine import Case
from plexcare.engine.case import History, ImagingFinding, Labs, NeedleResult, SideExam, Symptoms
from plexcare.knowledge.model import KnowledgeBase, NerveConductionStudy
from plexcare.portal import form_values as entered

FieldKind = Literal["int", "float", "text", "list", "choice", "yes_no", "date", "check"]
ADVANCED = "advanced"
WHOLE_CASE = "case"
"""The error key for a rule about the case as a whole (dates out of order)."""
SIDES = ("left", "right")
NUMBER_LIMIT = 10**15
"""Beyond any Case field's range, so the model names the field's own range; a longer number
is refused as unreadable."""
DATE_MESSAGE = "Enter a date like 2026-03-02, between 1900 and 2100."
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
EMG_ROW = "emg_row"
IMAGING_ROW = "imaging_row"
BLANK_EMG_ROWS = 6
BLANK_IMAGING_ROWS = 2
MAX_ROWS = 80
"""Rows read from one form: more than the Case model accepts for a leg is a forged form."""

YES_NO_OPTIONS = (("yes", "yes"), ("no", "no"))
MRC_OPTIONS = tuple((str(grade), str(grade)) for grade in range(5, -1, -1))

LABELS = {
    "id": "Case label (optional, not the patient's name)",
    "age": "Age (years)",
    "sex": "Sex",
    "evaluated_on": "Date of this evaluation",
    "onset_on": "Date the symptoms began",
    "weeks_since_onset": "Or: weeks since onset",
    "tempo": "Tempo",
    "affected_side": "Affected side",
    "anal_tone": "Anal tone",
    "bmi": "Body mass index (kg/m²)",
    "pain.score": "Worst pain (0-10)",
    "symptoms.saddle_numbness": "Saddle numbness",
    "symptoms.weight_loss_kg": "Unintended weight loss (kg)",
    "symptoms.fever": "Fever",
    "symptoms.back_pain": "Back pain",
    "symptoms.neurogenic_claudication": "Leg pain on walking, eased by sitting or bending",
    "history.diabetes": "Diabetes",
    "history.anticoagulant": "Anticoagulant (name of the drug)",
    "history.recent_surgery": "Recent surgery",
    "history.trauma": "Trauma",
    "history.delivery_weeks_ago": "Childbirth (weeks ago)",
    "history.bleeding_disorder": "Bleeding disorder",
    "history.leg_crossing_or_squatting": "Long leg crossing or squatting",
}
"""Clinical words for Case fields whose model gives no description."""
OPTION_LABELS = {
    "type1": "type 1",
    "type2": "type 2",
    "acute": "acute (days)",
    "subacute": "subacute (weeks)",
    "chronic": "chronic (months)",
    "lithotomy": "lithotomy position",
    "uV": "µV",
}
EXAMINED_FIELDS = ("anal_tone",)
"""Case-level findings of the examination, shown apart from the patient and timing."""
HISTORY_HINTS = {
    "history.anticoagulant": "Name the drug: the bleeding advice gives its level test and reversal."
}
SIDE_EXAM_LABELS = {
    "straight_leg_raise": "Straight-leg raise positive",
    "plantar": "Plantar response",
    "trendelenburg": "Trendelenburg sign",
}
SENSATION_OPTIONS = (("normal", "normal"), ("reduced", "reduced"), ("absent", "absent"))
REFLEX_OPTIONS = (
    ("normal", "normal"),
    ("reduced", "reduced"),
    ("absent", "absent"),
    ("brisk", "brisk"),
)
UNGRADED_MOVEMENTS = frozenset({"bladder_emptying"})
"""Movements no one grades on the MRC scale at the bedside."""
STUDY_COLUMNS = ("amplitude", "latency", "velocity", "persistence", "grade", "conduction_block")
STUDY_COLUMN_LABELS = {
    "amplitude": "Amplitude",
    "latency": "Latency (ms)",
    "velocity": "Velocity (m/s)",
    "persistence": "F waves (%)",
    "grade": "Response",
    "conduction_block": "Block",
}
SEGMENT_COLUMNS = ("amplitude", "velocity", "conduction_block")


@dataclass(frozen=True)
class CaseField:
    """One input: `path` is its form name (a Case path, or a row field), `label` its words."""

    path: str
    label: str
    kind: FieldKind
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class FieldSection:
    title: str
    fields: tuple[CaseField, ...]


@dataclass(frozen=True)
class SideRow:
    """A row of a by-side grid: the left and right inputs, and give-way boxes for strength."""

    label: str
    left: CaseField
    right: CaseField
    left_give_way: CaseField | None = None
    right_give_way: CaseField | None = None


@dataclass(frozen=True)
class StudyLimits:
    """A study's normal limits as the knowledge base gives them; bands by age for amplitude."""

    amplitude_bands: tuple[tuple[int, float | None], ...]
    amplitude_adult: float | None
    latency_upper: float | None
    velocity_lower: float | None


@dataclass(frozen=True)
class StudyRow:
    """One nerve-conduction study on one side; `cells` by column, None where it has no such
    value (an F wave has no amplitude); `segments` as (name, cells) for motor studies."""

    study_id: str
    side: str
    label: str
    unit: str
    cells: tuple[CaseField | None, ...]
    segments: tuple[tuple[str, tuple[CaseField | None, ...]], ...]
    limits: StudyLimits


@dataclass(frozen=True)
class RowTable:
    """Rows entered one finding at a time (needle EMG, imaging): the columns of one row."""

    prefix: str
    columns: tuple[CaseField, ...]


@dataclass(frozen=True)
class FormLayout:
    """Everything the form shows, built once per knowledge base."""

    sections: tuple[FieldSection, ...]
    strength_movements: tuple[SideRow, ...]
    strength_muscles: tuple[SideRow, ...]
    reflexes: tuple[SideRow, ...]
    side_exam: tuple[SideRow, ...]
    sensation: tuple[SideRow, ...]
    studies: tuple[StudyRow, ...]
    emg: RowTable
    imaging: RowTable
    labs: tuple[CaseField, ...]
    names: Mapping[str, str]

    @property
    def path_fields(self) -> tuple[CaseField, ...]:
        """Every input named by its Case path (all but the row tables)."""
        fields: list[CaseField] = [f for section in self.sections for f in section.fields]
        for row in (*self.strength_movements, *self.strength_muscles, *self.reflexes):
            fields.extend((row.left, row.right))
        for row in (*self.side_exam, *self.sensation):
            fields.extend((row.left, row.right))
        for study in self.studies:
            fields.extend(cell for cell in study.cells if cell is not None)
            for _name, cells in study.segments:
                fields.extend(cell for cell in cells if cell is not None)
        fields.extend(self.labs)
        return tuple(fields)

    @property
    def give_way_fields(self) -> tuple[CaseField, ...]:
        return tuple(
            box
            for row in (*self.strength_movements, *self.strength_muscles)
            for box in (row.left_give_way, row.right_give_way)
            if box is not None
        )

    def by_path(self) -> Mapping[str, CaseField]:
        """Every input by its name (built once: the layout never changes)."""
        return self._by_path

    @cached_property
    def _by_path(self) -> Mapping[str, CaseField]:
        return {f.path: f for f in (*self.path_fields, *self.give_way_fields)}


# --- Building the layout from the Case model and the knowledge base ---------------------------


def _humanize(name: str) -> str:
    return name.replace("_", " ")


def _words(text: str) -> str:
    """A model description as a label: a field name it mentions (`delivery_weeks_ago`) is
    written out in words, so no id reaches the page."""
    return IDENTIFIER.sub(lambda found: _humanize(found.group(0)), text)


def _option_label(value: str) -> str:
    return OPTION_LABELS.get(value, _humanize(value))


def _literal_options(annotation: Any) -> tuple[tuple[str, str], ...] | None:
    if get_origin(annotation) is Literal:
        return tuple((str(value), _option_label(str(value))) for value in get_args(annotation))
    return None


def _without_none(annotation: Any) -> Any:
    """`X | None` as `X`; a union of literals (a `Literal | None` written out) as one."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _as_float(bound: object) -> float | None:
    return float(bound) if isinstance(bound, int | float) else None


def _bounds(metadata: Iterable[object]) -> tuple[float | None, float | None]:
    low: float | None = None
    high: float | None = None
    for item in metadata:
        if isinstance(item, Ge | Gt):
            low = _as_float(item.ge if isinstance(item, Ge) else item.gt)
        if isinstance(item, Le | Lt):
            high = _as_float(item.le if isinstance(item, Le) else item.lt)
    return low, high


def model_fields(
    model: type[BaseModel], prefix: str, skip: Iterable[str] = ()
) -> Iterator[CaseField]:
    """The model's fields as inputs, in the model's order: yes/no for a flag, a list for a
    fixed set of values, a number or text box, and a nested model's own fields in turn.
    Fields whose description says they are for older cases are left to the advanced box,
    as are lists and maps (they have tables of their own)."""
    skipped = frozenset(skip)
    for name, info in model.model_fields.items():
        if name in skipped:
            continue
        path = f"{prefix}.{name}" if prefix else name
        description = info.description or ""
        if description.startswith("Older cases"):
            continue
        label = LABELS.get(path) or _words(description) or _humanize(name).capitalize()
        annotation = _without_none(info.annotation)
        options = _literal_options(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from model_fields(annotation, path)
        elif options is not None:
            yield CaseField(path, label, "choice", options, HISTORY_HINTS.get(path, ""))
        elif annotation is bool:
            yield CaseField(path, label, "yes_no", YES_NO_OPTIONS)
        elif annotation is int:
            low, high = _bounds(info.metadata)
            if low is not None and high is not None and high - low <= 10:
                grades = tuple((str(n), str(n)) for n in range(int(low), int(high) + 1))
                yield CaseField(path, label, "choice", grades)
            else:
                yield CaseField(path, label, "int")
        elif annotation is float:
            yield CaseField(path, label, "float")
        elif annotation is str:
            yield CaseField(path, label, "text", hint=HISTORY_HINTS.get(path, ""))
        elif getattr(annotation, "__name__", "") == "date":
            yield CaseField(path, label, "date")


def _sections() -> tuple[FieldSection, ...]:
    parts = ("pain", "symptoms", "history", "labs")
    timing = {f.path: f for f in model_fields(Case, "", skip=parts)}
    return (
        FieldSection(
            "Patient and timing",
            tuple(spec for path, spec in timing.items() if path not in EXAMINED_FIELDS),
        ),
        FieldSection(
            "Pain and symptoms",
            (
                CaseField("pain.score", LABELS["pain.score"], "int"),
                CaseField(
                    "pain.sites",
                    "Where the pain is",
                    "list",
                    hint="Separate places with commas: low back, left lateral leg.",
                ),
                *model_fields(Symptoms, "symptoms"),
            ),
        ),
        FieldSection("History", tuple(model_fields(History, "history"))),
        FieldSection("Sphincters", tuple(timing[path] for path in EXAMINED_FIELDS)),
    )


def _mrc_row(name: str, label: str) -> SideRow:
    def grade(side: str) -> CaseField:
        return CaseField(f"exam.{side}.strength.{name}", f"{label}, {side}", "choice", MRC_OPTIONS)

    def give_way(side: str) -> CaseField:
        return CaseField(f"exam.{side}.give_way.{name}", f"{label}, {side}: gave way", "check")

    return SideRow(label, grade("left"), grade("right"), give_way("left"), give_way("right"))


def _choice_row(
    path: str, label: str, options: tuple[tuple[str, str], ...], kind: FieldKind = "choice"
) -> SideRow:
    left, right = (
        CaseField(path.format(side=side), f"{label}, {side}", kind, options) for side in SIDES
    )
    return SideRow(label, left, right)


def _strength(kb: KnowledgeBase) -> tuple[tuple[SideRow, ...], tuple[SideRow, ...]]:
    graded = [m for m in kb.muscles.values() if m.movement not in UNGRADED_MOVEMENTS]
    movements = dict.fromkeys(m.movement for m in graded if m.body_region == "lumbosacral")
    return (
        tuple(_mrc_row(movement, _humanize(movement).capitalize()) for movement in movements),
        tuple(_mrc_row(muscle.id, muscle.name) for muscle in graded),
    )


def _side_exam() -> tuple[SideRow, ...]:
    """The leg's signs other than strength, reflexes and sensation (which have grids of their
    own), from the model: a new sign added to `SideExam` gets its row here."""
    rows = []
    for name, info in SideExam.model_fields.items():
        annotation = _without_none(info.annotation)
        options = _literal_options(annotation)
        if options is None and annotation is not bool:
            continue
        kind: FieldKind = "choice" if options else "yes_no"
        label = SIDE_EXAM_LABELS.get(name) or info.description or _humanize(name).capitalize()
        rows.append(_choice_row(f"exam.{{side}}.{name}", label, options or YES_NO_OPTIONS, kind))
    return tuple(rows)


def study_limits(study: NerveConductionStudy) -> StudyLimits:
    return StudyLimits(
        amplitude_bands=tuple((band.min_age, band.amplitude_lower) for band in study.age_limits),
        amplitude_adult=study.amplitude_lower,
        latency_upper=study.latency_upper,
        velocity_lower=study.velocity_lower,
    )


def _study_cells(study: NerveConductionStudy, base: str) -> tuple[CaseField | None, ...]:
    unit = _option_label(study.amplitude_unit) if study.amplitude_unit else ""
    has = {
        "amplitude": study.amplitude_unit is not None,
        "latency": True,
        "velocity": study.modality in ("snap", "cmap"),
        "persistence": study.modality == "f_wave",
        "grade": True,
        "conduction_block": study.modality == "cmap",
    }
    cells: list[CaseField | None] = []
    for column in STUDY_COLUMNS:
        if not has[column]:
            cells.append(None)
            continue
        words = STUDY_COLUMN_LABELS[column] + (f" ({unit})" if column == "amplitude" else "")
        label = f"{study.name}, {base.split('.')[1]}: {words}"
        path = f"{base}.{column}"
        if column == "grade":
            cells.append(CaseField(path, label, "choice", SENSATION_OPTIONS))
        elif column == "conduction_block":
            cells.append(CaseField(path, label, "yes_no", YES_NO_OPTIONS))
        else:
            cells.append(CaseField(path, label, "float"))
    return tuple(cells)


def _segment_cells(
    study: NerveConductionStudy, base: str, name: str
) -> tuple[CaseField | None, ...]:
    unit = _option_label(study.amplitude_unit) if study.amplitude_unit else ""
    cells: list[CaseField | None] = []
    for column in STUDY_COLUMNS:
        if column not in SEGMENT_COLUMNS:
            cells.append(None)
            continue
        words = STUDY_COLUMN_LABELS[column] + (f" ({unit})" if column == "amplitude" else "")
        label = f"{study.name}, {base.split('.')[1]}, {name}: {words}"
        kind: FieldKind = "yes_no" if column == "conduction_block" else "float"
        options = YES_NO_OPTIONS if kind == "yes_no" else ()
        cells.append(CaseField(f"{base}.{column}", label, kind, options))
    return tuple(cells)


def _studies(kb: KnowledgeBase) -> tuple[StudyRow, ...]:
    rows = []
    for study in kb.studies.values():
        for side in SIDES:
            base = f"nerve_conduction.{side}.{study.id}"
            rows.append(
                StudyRow(
                    study_id=study.id,
                    side=side,
                    label=study.name,
                    unit=study.amplitude_unit or "",
                    cells=_study_cells(study, base),
                    segments=tuple(
                        (
                            segment.name,
                            _segment_cells(study, f"{base}.segments.{segment.id}", segment.name),
                        )
                        for segment in study.segments
                    ),
                    limits=study_limits(study),
                )
            )
    return tuple(rows)


LAB_NAMES = {
    "hba1c": "HbA1c",
    "white_cell_count": "White cell count",
    "esr": "ESR",
    "crp": "CRP",
    "ck": "CK",
    "inr": "INR",
    "egfr": "eGFR",
    "csf_protein": "CSF protein",
}
IMAGING_LABELS = {
    "kind": "Finding",
    "level": "Level or place",
    "side": "Side",
    "region": "Region imaged",
}
NEEDLE_LABELS = {
    "fibrillations": "Fibrillations (0-4+)",
    "fasciculations": "Fasciculations",
    "myokymia": "Myokymia",
    "motor_units": "Motor unit size",
    "recruitment": "Recruitment",
}


def _emg_table(kb: KnowledgeBase) -> RowTable:
    muscles = tuple(
        (muscle.id, muscle.name) for muscle in kb.muscles.values() if muscle.emg_accessible
    )
    needle = tuple(
        CaseField(
            f"{EMG_ROW}.{{row}}.{f.path}", NEEDLE_LABELS.get(f.path, f.label), f.kind, f.options
        )
        for f in model_fields(NeedleResult, "")
    )
    return RowTable(
        EMG_ROW,
        (
            CaseField(f"{EMG_ROW}.{{row}}.muscle", "Muscle", "choice", muscles),
            CaseField(f"{EMG_ROW}.{{row}}.side", "Side", "choice", tuple((s, s) for s in SIDES)),
            *needle,
        ),
    )


def _imaging_table() -> RowTable:
    return RowTable(
        IMAGING_ROW,
        tuple(
            CaseField(
                f"{IMAGING_ROW}.{{row}}.{f.path}",
                IMAGING_LABELS.get(f.path, f.label),
                f.kind,
                f.options,
                hint=f.label if f.path in IMAGING_LABELS else "",
            )
            for f in model_fields(ImagingFinding, "")
        ),
    )


def _labs() -> tuple[CaseField, ...]:
    """Each laboratory value named with its unit: the model's description gives the unit
    (`mm/h`) or the name with it (`HbA1c in %`)."""
    fields = []
    for spec in model_fields(Labs, "labs"):
        leaf = spec.path.rsplit(".", 1)[1]
        name = LAB_NAMES.get(leaf, _humanize(leaf).capitalize())
        description = Labs.model_fields[leaf].description or ""
        if name.lower() in description.lower():
            label = description
        else:
            label = f"{name} ({description})" if description else name
        fields.append(CaseField(spec.path, label, spec.kind, spec.options))
    return tuple(fields)


def _names(kb: KnowledgeBase) -> dict[str, str]:
    """Knowledge-base ids to clinical names, for messages and the list of changes."""
    names: dict[str, str] = {}
    for table in (kb.muscles, kb.reflexes, kb.sensory_areas, kb.studies):
        names.update({key: item.name for key, item in table.items()})
    for study in kb.studies.values():
        names.update({segment.id: segment.name for segment in study.segments})
    return names


def _build_layout(kb: KnowledgeBase) -> FormLayout:
    movements, muscles = _strength(kb)
    return FormLayout(
        sections=_sections(),
        strength_movements=movements,
        strength_muscles=muscles,
        reflexes=tuple(
            _choice_row(f"exam.{{side}}.reflexes.{reflex.id}", reflex.name, REFLEX_OPTIONS)
            for reflex in kb.reflexes.values()
        ),
        side_exam=_side_exam(),
        sensation=tuple(
            _choice_row(f"exam.{{side}}.sensation.{area.id}", area.name, SENSATION_OPTIONS)
            for area in kb.sensory_areas.values()
        ),
        studies=_studies(kb),
        emg=_emg_table(kb),
        imaging=_imaging_table(),
        labs=_labs(),
        names=_names(kb),
    )


def form_layout(kb: KnowledgeBase) -> FormLayout:
    """The form for this knowledge base (built once; the knowledge base is immutable)."""
    return kb.derived("case_form_layout", _build_layout)


# --- Limits beside the values -------------------------------------------------------------


def amplitude_limit(limits: StudyLimits, age: int | None) -> float | None:
    """The lower amplitude limit at this age, as the engine applies it (`lower_limit`)."""
    if age is None:
        return limits.amplitude_adult
    bands = [(min_age, lower) for min_age, lower in limits.amplitude_bands if min_age <= age]
    if bands:
        _min_age, lower = max(bands)
        if lower is not None:
            return lower
    return limits.amplitude_adult


def outside_limit(column: str, limits: StudyLimits, value: float, age: int | None) -> bool:
    """Whether a typed value lies beyond its normal limit (amplitude and velocity below,
    latency above); the engine's own reading of the study is on the assessment page."""
    if column == "amplitude":
        lower = amplitude_limit(limits, age)
        return lower is not None and value < lower
    if column == "velocity":
        return limits.velocity_lower is not None and value < limits.velocity_lower
    if column == "latency":
        return limits.latency_upper is not None and value > limits.latency_upper
    return False


# --- Reading the form ------------------------------------------------------------------------


def _value(spec: CaseField, raw: str) -> tuple[object, str]:
    """The typed value of one filled-in field, or a message.

    Numbers are ASCII digits only; their range is the Case model's to check, so its message
    names the field's own limits."""
    if spec.kind == "int":
        number = entered.whole_number(raw, minimum=-NUMBER_LIMIT, maximum=NUMBER_LIMIT)
        return (None, "Enter a whole number.") if number is None else (number, "")
    if spec.kind == "float":
        decimal = entered.decimal_number(raw, minimum=-NUMBER_LIMIT, maximum=NUMBER_LIMIT)
        return (None, "Enter a number.") if decimal is None else (decimal, "")
    if spec.kind == "yes_no":
        if raw not in ("yes", "no"):
            return None, "Choose yes or no."
        return raw == "yes", ""
    if spec.kind == "check":
        return (True, "") if raw == "yes" else (None, "Tick the box or leave it empty.")
    if spec.kind == "list":
        return [part.strip() for part in raw.split(",") if part.strip()], ""
    if spec.kind == "date":
        day = entered.calendar_day(raw)
        return (None, DATE_MESSAGE) if day is None else (day.isoformat(), "")
    if spec.kind == "choice":
        if raw not in {value for value, _label in spec.options}:
            return None, "Choose from the list."
        if spec.options and all(value.isdigit() for value, _label in spec.options):
            return int(raw), ""
    return raw, ""


def _node(data: dict[str, Any], parents: Iterable[str]) -> dict[str, Any]:
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    return node


def _put(data: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    _node(data, parents)[leaf] = value


def _advanced(text: str) -> tuple[dict[str, Any], str]:
    if not text.strip():
        return {}, ""
    try:
        loaded = entered.plain_yaml(text)
    except entered.UnreadableYaml as error:
        return {}, error.message
    if loaded is None:
        return {}, ""
    if not isinstance(loaded, dict):
        return {}, "Give a mapping of Case fields, like `age: 52`."
    return loaded, ""


@dataclass(frozen=True)
class ReadCase:
    """The outcome of reading the form: a Case, or the messages to show per field."""

    case: Case | None
    errors: dict[str, str]


@dataclass
class _Origins:
    """Where each row-entered finding came from, to send an error back to its row."""

    emg: dict[tuple[str, str], int]
    imaging: list[int]


def row_numbers(fields: Mapping[str, str], prefix: str) -> list[int]:
    """The row numbers a form sent for a row table, in order (at most `MAX_ROWS`)."""
    found: set[int] = set()
    for name in fields:
        head, _, rest = name.partition(".")
        number, _, _column = rest.partition(".")
        if head == prefix and number.isascii() and number.isdigit() and len(number) < 4:
            found.add(int(number))
    return sorted(found)[:MAX_ROWS]


def _row_values(
    fields: Mapping[str, str], table: RowTable, row: int, errors: dict[str, str]
) -> dict[str, object]:
    values: dict[str, object] = {}
    for column in table.columns:
        name = column.path.format(row=row)
        raw = fields.get(name, "").strip()
        if not raw:
            continue
        value, message = _value(column, raw)
        if message:
            errors[name] = message
        else:
            values[name.rsplit(".", 1)[1]] = value
    return values


def _read_emg(
    fields: Mapping[str, str], layout: FormLayout, data: dict[str, Any], errors: dict[str, str]
) -> dict[tuple[str, str], int]:
    origins: dict[tuple[str, str], int] = {}
    for row in row_numbers(fields, EMG_ROW):
        values = _row_values(fields, layout.emg, row, errors)
        muscle, side = values.pop("muscle", None), values.pop("side", None)
        if not values and muscle is None and side is None:
            continue
        if muscle is None:
            errors.setdefault(f"{EMG_ROW}.{row}.muscle", "Choose the muscle examined.")
            continue
        if side is None:
            errors.setdefault(f"{EMG_ROW}.{row}.side", "Choose the side.")
            continue
        if not values:
            errors.setdefault(f"{EMG_ROW}.{row}.fibrillations", "Record at least one finding.")
            continue
        key = (str(side), str(muscle))
        if key in origins:
            errors.setdefault(f"{EMG_ROW}.{row}.muscle", "This muscle is already on another row.")
            continue
        origins[key] = row
        _node(data, ("emg", str(side)))[str(muscle)] = values
    return origins


def _read_imaging(
    fields: Mapping[str, str], layout: FormLayout, data: dict[str, Any], errors: dict[str, str]
) -> list[int]:
    origins: list[int] = []
    findings = list(data.get("imaging") or ()) if isinstance(data.get("imaging"), list) else []
    for row in row_numbers(fields, IMAGING_ROW):
        values = _row_values(fields, layout.imaging, row, errors)
        if not values:
            continue
        origins.append(row)
        findings.append(values)
    if origins:
        data["imaging"] = findings
    offset = len(findings) - len(origins)
    return [-1] * offset + origins


def _read_paths(
    fields: Mapping[str, str], layout: FormLayout, data: dict[str, Any], errors: dict[str, str]
) -> None:
    for spec in layout.path_fields:
        raw = fields.get(spec.path, "").strip()
        if not raw:
            continue
        value, message = _value(spec, raw)
        if message:
            errors[spec.path] = message
        else:
            _put(data, spec.path, value)
    for box in layout.give_way_fields:
        if fields.get(box.path, "").strip():
            _exam, side, _give_way, name = box.path.split(".")
            node = _node(data, ("exam", side))
            given = node.get("give_way")
            names = list(given) if isinstance(given, list) else []
            if name not in names:
                names.append(name)
            node["give_way"] = names


def _add_units(data: dict[str, Any], kb: KnowledgeBase) -> None:
    """A typed amplitude is in the study's own unit, so the table gives that unit."""
    sides = data.get("nerve_conduction")
    if not isinstance(sides, dict):
        return
    for studies in sides.values():
        if not isinstance(studies, dict):
            continue
        for study_id, result in studies.items():
            study = kb.studies.get(study_id)
            if study is None or study.amplitude_unit is None or not isinstance(result, dict):
                continue
            segments = result.get("segments")
            amplitudes = [result.get("amplitude")]
            if isinstance(segments, dict):
                amplitudes += [s.get("amplitude") for s in segments.values() if isinstance(s, dict)]
            if any(a is not None for a in amplitudes):
                result.setdefault("unit", study.amplitude_unit)


def read_case(fields: Mapping[str, str], kb: KnowledgeBase) -> ReadCase:
    layout = form_layout(kb)
    data, problem = _advanced(fields.get(ADVANCED, ""))
    errors: dict[str, str] = {ADVANCED: problem} if problem else {}
    _read_paths(fields, layout, data, errors)
    origins = _Origins(
        emg=_read_emg(fields, layout, data, errors),
        imaging=_read_imaging(fields, layout, data, errors),
    )
    _add_units(data, kb)
    if errors:
        return ReadCase(None, errors)
    try:
        case = Case.model_validate(data)
    except ValidationError as error:
        known = layout.by_path()
        for item in error.errors():
            location = tuple(str(part) for part in item["loc"])
            key = field_for(location, known, origins)
            spec = known.get(key) or _row_field(key, layout)
            message = clinical_message(item, spec)
            if key == ADVANCED:
                line = f"{'.'.join(location)}: {message}"
                errors[ADVANCED] = f"{errors[ADVANCED]} {line}" if ADVANCED in errors else line
            else:
                errors.setdefault(key, message)
        return ReadCase(None, errors)
    return ReadCase(case, {})


def _row_field(key: str, layout: FormLayout) -> CaseField | None:
    head, _, rest = key.partition(".")
    _row, _, column = rest.partition(".")
    table = {EMG_ROW: layout.emg, IMAGING_ROW: layout.imaging}.get(head)
    if table is None:
        return None
    return next((c for c in table.columns if c.path.endswith(f".{column}")), None)


def field_for(
    location: tuple[str, ...], known: Mapping[str, CaseField], origins: _Origins | None = None
) -> str:
    """The form field an error at this Case path belongs beside.

    A path the form has is its own field; a rule about a whole study, cancer or leg goes to
    that part's first field; a needle or imaging finding to its row; the rest to the advanced
    box, and a rule about the whole case to the case."""
    if not location:
        return WHOLE_CASE
    path = ".".join(location)
    if path in known:
        return path
    if origins is not None and location[0] == "emg" and len(location) >= 3:
        row = origins.emg.get((location[1], location[2]))
        if row is not None:
            column = location[3] if len(location) > 3 else "muscle"
            return f"{EMG_ROW}.{row}.{column}"
    if origins is not None and location[0] == "imaging" and len(location) >= 2:
        index = int(location[1]) if location[1].isdigit() else -1
        if 0 <= index < len(origins.imaging) and origins.imaging[index] >= 0:
            column = location[2] if len(location) > 2 else "kind"
            return f"{IMAGING_ROW}.{origins.imaging[index]}.{column}"
    for key in known:
        if key.startswith(path + "."):
            return key
    return ADVANCED


def clinical_message(item: Mapping[str, Any], spec: CaseField | None) -> str:
    """A validation problem in the words a clinician would use about that field."""
    kind = str(item.get("type", ""))
    context = item.get("ctx") or {}
    choosing = spec is not None and spec.kind in ("choice", "yes_no")
    if kind == "missing":
        return "Choose one from the list." if choosing else "Enter this; it is needed."
    if kind in ("less_than_equal", "less_than"):
        return f"Enter a value of at most {_number(context.get('le', context.get('lt')))}."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Enter a value of at least {_number(context.get('ge', context.get('gt')))}."
    if kind in ("literal_error", "enum"):
        return "Choose from the list."
    if kind == "string_too_short":
        return f"Enter at least {context.get('min_length')} characters."
    if kind == "string_too_long":
        return f"Enter at most {context.get('max_length')} characters."
    if kind == "extra_forbidden":
        return "The case has no such field."
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return "Enter a value of the right kind (a number, yes or no, or a date)."
    text = str(item.get("msg", "")).removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_words(path: str, value: object, layout: FormLayout) -> str:
    """A stored value as the form shows it: a choice by its label, a flag as yes or no."""
    if value is None:
        return "not recorded"
    spec = layout.by_path().get(path)
    if spec is not None and spec.kind in ("choice", "yes_no"):
        for option, words in spec.options:
            if option == _text(value):
                return words
    return _humanize(_text(value))


def label_of(path: str, layout: FormLayout) -> str:
    """A field's name in clinical words, for the error summary and the list of changes."""
    spec = layout.by_path().get(path) or _row_field(path, layout)
    if spec is not None:
        if path.startswith((EMG_ROW, IMAGING_ROW)):
            row = int(path.split(".")[1]) + 1
            table = "Needle EMG" if path.startswith(EMG_ROW) else "Imaging"
            return f"{table}, row {row}: {spec.label}"
        return spec.label
    if path == ADVANCED:
        return "Advanced box"
    if path == WHOLE_CASE:
        return "The case"
    words = [layout.names.get(part, _humanize(part)) for part in path.split(".")]
    return ", ".join(words)


# --- A stored case back as form values --------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pop(data: dict[str, Any], path: str) -> tuple[bool, object]:
    *parents, leaf = path.split(".")
    node: Any = data
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    if not isinstance(node, dict) or leaf not in node:
        return False, None
    value = node[leaf]
    if isinstance(value, list) and all(isinstance(v, str) and "," not in v for v in value):
        del node[leaf]
        return True, ", ".join(value)
    if isinstance(value, dict | list):
        return False, None
    del node[leaf]
    return True, value


def _prune(value: Any) -> Any:
    """Drop empty maps, empty lists and unset values, so only what is left is shown."""
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def form_values(case_data: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, str]:
    """A stored case as the form's fields, so editing starts from it; what the tables cannot
    hold (pain sites, a cancer status with no table field) goes to the advanced box.
    `read_case` of the result gives the same case back."""
    layout = form_layout(kb)
    data: dict[str, Any] = _prune(dict(case_data))
    values: dict[str, str] = {}
    for spec in layout.path_fields:
        if spec.kind == "check":
            continue
        found, value = _pop(data, spec.path)
        if found and value is not None:
            values[spec.path] = _text(value)
    shown = {box.path for box in layout.give_way_fields}
    for side, exam in (data.get("exam") or {}).items():
        given = exam.get("give_way") if isinstance(exam, dict) else None
        if isinstance(given, list):
            kept = [n for n in given if f"exam.{side}.give_way.{n}" not in shown]
            values.update({f"exam.{side}.give_way.{n}": "yes" for n in given if n not in kept})
            exam["give_way"] = kept
    for studies in (data.get("nerve_conduction") or {}).values():
        for study_id, result in studies.items():
            study = kb.studies.get(study_id)
            shown_unit = study.amplitude_unit if study is not None else None
            if isinstance(result, dict) and "unit" in result and result["unit"] == shown_unit:
                result.pop("unit")
    row = 0
    for side, muscles in (data.get("emg") or {}).items():
        for muscle, result in list(muscles.items()):
            values[f"{EMG_ROW}.{row}.muscle"] = str(muscle)
            values[f"{EMG_ROW}.{row}.side"] = str(side)
            for column, value in result.items():
                values[f"{EMG_ROW}.{row}.{column}"] = _text(value)
            row += 1
        muscles.clear()
    for index, finding in enumerate(data.pop("imaging", None) or ()):
        for column, value in finding.items():
            values[f"{IMAGING_ROW}.{index}.{column}"] = _text(value)
    rest = _prune(data)
    if rest:
        values[ADVANCED] = yaml.safe_dump(rest, sort_keys=False, allow_unicode=True)
    return values
