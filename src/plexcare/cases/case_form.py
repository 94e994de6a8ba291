"""The clinician's case form: structured fields for what is recorded at every visit, and an
advanced YAML/JSON box for the rest of the Case model (nerve conduction, needle EMG, imaging,
labs, other muscles). Pure: form fields in, a validated `Case` or messages per field out.

Each structured field is named by its dotted path in the Case (`symptoms.fever`,
`exam.left.strength.tibialis_anterior`), so a validation error from the Case model lands
beside the field that caused it; errors in the advanced box are reported there with their path.
A structured field that is filled in overrides the same value in the advanced box.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from plexcare.engine import Case
from plexcare.portal import form_values

FieldKind = Literal["int", "float", "text", "choice", "yes_no", "date"]
ADVANCED = "advanced"
WHOLE_CASE = "case"
"""The error key for a rule about the case as a whole (dates out of order)."""
SIDES = ("left", "right")
NUMBER_LIMIT = 10**15
"""Beyond any Case field's range, so the model names the field's own range; a longer number
is refused as unreadable."""
DATE_MESSAGE = "Enter a date like 2026-03-02, between 1900 and 2100."


@dataclass(frozen=True)
class CaseField:
    path: str
    label: str
    kind: FieldKind
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class FieldSection:
    title: str
    fields: tuple[CaseField, ...]


YES_NO_OPTIONS = (("yes", "Yes"), ("no", "No"))
MRC_OPTIONS = tuple((str(grade), str(grade)) for grade in range(5, -1, -1))
REFLEX_OPTIONS = (
    ("normal", "normal"),
    ("reduced", "reduced"),
    ("absent", "absent"),
    ("brisk", "brisk"),
)

STRENGTH_MUSCLES = (
    ("iliacus", "Hip flexion (iliopsoas)"),
    ("adductor_longus", "Hip adduction (adductor longus)"),
    ("gluteus_medius", "Hip abduction (gluteus medius)"),
    ("gluteus_maximus", "Hip extension (gluteus maximus)"),
    ("vastus_lateralis", "Knee extension (quadriceps)"),
    ("biceps_femoris_long_head", "Knee flexion (hamstrings)"),
    ("tibialis_anterior", "Ankle dorsiflexion (tibialis anterior)"),
    ("extensor_hallucis_longus", "Big-toe extension (EHL)"),
    ("tibialis_posterior", "Ankle inversion (tibialis posterior)"),
    ("peroneus_longus", "Ankle eversion (peroneus longus)"),
    ("gastrocnemius_medial_head", "Plantar flexion (gastrocnemius)"),
)
"""The muscles most bedside examinations grade; any other goes in the advanced box."""
REFLEXES = (
    ("patellar_reflex", "Knee jerk (patellar)"),
    ("achilles_reflex", "Ankle jerk (Achilles)"),
)

SECTIONS = (
    FieldSection(
        "Patient and timing",
        (
            CaseField("id", "Case label (optional)", "text", hint="Not the patient's name."),
            CaseField("age", "Age (years)", "int"),
            CaseField(
                "sex", "Sex", "choice", (("female", "female"), ("male", "male"), ("other", "other"))
            ),
            CaseField("evaluated_on", "Date of this evaluation", "date"),
            CaseField("onset_on", "Date the symptoms began", "date"),
            CaseField("weeks_since_onset", "Or: weeks since onset", "float"),
            CaseField(
                "tempo",
                "Tempo",
                "choice",
                (
                    ("acute", "acute (days)"),
                    ("subacute", "subacute (weeks)"),
                    ("chronic", "chronic (months)"),
                ),
            ),
            CaseField(
                "affected_side",
                "Affected side",
                "choice",
                (("left", "left"), ("right", "right"), ("both", "both")),
            ),
        ),
    ),
    FieldSection(
        "Pain and symptoms",
        (
            CaseField("pain.score", "Worst pain (0-10)", "int"),
            CaseField("symptoms.back_pain", "Back pain", "yes_no"),
            CaseField("symptoms.progressing", "Weakness still worsening", "yes_no"),
            CaseField("symptoms.bladder_bowel", "New bladder or bowel trouble", "yes_no"),
            CaseField("symptoms.saddle_numbness", "Saddle numbness", "yes_no"),
            CaseField("symptoms.fever", "Fever", "yes_no"),
            CaseField(
                "symptoms.breathing_or_swallowing",
                "Breathlessness, weak cough or trouble swallowing",
                "yes_no",
            ),
            CaseField("symptoms.cold_pale_leg", "Cold, pale or pulseless leg", "yes_no"),
            CaseField(
                "symptoms.swelling_or_bruising",
                "New swelling or bruising of groin, flank, buttock or thigh",
                "yes_no",
            ),
            CaseField("symptoms.weight_loss_kg", "Unintended weight loss (kg)", "float"),
        ),
    ),
    FieldSection(
        "History",
        (
            CaseField(
                "history.diabetes",
                "Diabetes",
                "choice",
                (("none", "none"), ("type1", "type 1"), ("type2", "type 2")),
            ),
            CaseField(
                "history.cancer.site",
                "Cancer (site), if any",
                "text",
                hint="Recorded as active; give `active: false` in the advanced box if not.",
            ),
            CaseField(
                "history.pelvic_radiotherapy_years_ago", "Pelvic radiotherapy (years ago)", "float"
            ),
            CaseField(
                "history.anticoagulant",
                "Anticoagulant (name)",
                "text",
                hint="Name the drug: the bleeding advice gives its level test and reversal.",
            ),
            CaseField("history.bleeding_disorder", "Bleeding disorder", "yes_no"),
            CaseField(
                "history.groin_catheterisation",
                "Groin arterial or venous access in the past month",
                "yes_no",
            ),
            CaseField(
                "history.recent_surgery",
                "Recent surgery",
                "choice",
                (
                    ("hip_arthroplasty", "hip arthroplasty"),
                    ("pelvic", "pelvic"),
                    ("abdominal", "abdominal"),
                    ("spinal", "spinal"),
                    ("vascular", "vascular"),
                    ("lithotomy", "lithotomy position"),
                    ("other", "other"),
                ),
            ),
            CaseField(
                "history.spinal_procedure",
                "Epidural, spinal anaesthetic, spinal injection or lumbar puncture recently",
                "yes_no",
            ),
            CaseField("history.injection_drug_use", "Injection drug use", "yes_no"),
            CaseField(
                "history.immunosuppressed",
                "Immunosuppressed (drugs, long-term steroids, immune deficiency)",
                "yes_no",
            ),
            CaseField("history.chemotherapy_recent", "Chemotherapy in the past 6 weeks", "yes_no"),
            CaseField(
                "history.infection_risk",
                "Other infection risk (e.g. a recent bacterial infection)",
                "yes_no",
            ),
        ),
    ),
)
STRENGTH_FIELDS = tuple(
    (
        label,
        tuple(
            CaseField(f"exam.{side}.strength.{muscle}", f"{label}, {side}", "choice", MRC_OPTIONS)
            for side in SIDES
        ),
    )
    for muscle, label in STRENGTH_MUSCLES
)
REFLEX_FIELDS = tuple(
    (
        label,
        tuple(
            CaseField(
                f"exam.{side}.reflexes.{reflex}", f"{label}, {side}", "choice", REFLEX_OPTIONS
            )
            for side in SIDES
        ),
    )
    for reflex, label in REFLEXES
)
ALL_FIELDS: tuple[CaseField, ...] = (
    *(f for section in SECTIONS for f in section.fields),
    *(f for _label, pair in STRENGTH_FIELDS for f in pair),
    *(f for _label, pair in REFLEX_FIELDS for f in pair),
)
FIELD_PATHS = frozenset(f.path for f in ALL_FIELDS)


def _value(spec: CaseField, raw: str) -> tuple[object, str]:
    """The typed value of one filled-in field, or a message.

    Numbers are ASCII digits only; their range is the Case model's to check, so its message
    names the field's own limits."""
    if spec.kind == "int":
        number = form_values.whole_number(raw, minimum=-NUMBER_LIMIT, maximum=NUMBER_LIMIT)
        return (None, "Enter a whole number.") if number is None else (number, "")
    if spec.kind == "float":
        decimal = form_values.decimal_number(raw, minimum=-NUMBER_LIMIT, maximum=NUMBER_LIMIT)
        return (None, "Enter a number.") if decimal is None else (decimal, "")
    if spec.kind == "yes_no":
        if raw not in ("yes", "no"):
            return None, "Choose yes or no."
        return raw == "yes", ""
    if spec.kind == "date":
        day = form_values.calendar_day(raw)
        return (None, DATE_MESSAGE) if day is None else (day.isoformat(), "")
    if spec.kind == "choice" and raw not in {value for value, _label in spec.options}:
        return None, "Choose from the list."
    return raw, ""


def _put(data: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def _advanced(text: str) -> tuple[dict[str, Any], str]:
    if not text.strip():
        return {}, ""
    try:
        loaded = form_values.plain_yaml(text)
    except form_values.UnreadableYaml as error:
        return {}, error.message
    if loaded is None:
        return {}, ""
    if not isinstance(loaded, dict):
        return {}, "Give a mapping of Case fields, like `age: 52`."
    return loaded, ""


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


@dataclass(frozen=True)
class ReadCase:
    """The outcome of reading the form: a Case, or the messages to show per field."""

    case: Case | None
    errors: dict[str, str]


def read_case(fields: Mapping[str, str]) -> ReadCase:
    data, problem = _advanced(fields.get(ADVANCED, ""))
    errors: dict[str, str] = {ADVANCED: problem} if problem else {}
    for spec in ALL_FIELDS:
        raw = fields.get(spec.path, "").strip()
        if not raw:
            continue
        value, message = _value(spec, raw)
        if message:
            errors[spec.path] = message
        else:
            _put(data, spec.path, value)
    if errors:
        return ReadCase(None, errors)
    try:
        case = Case.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            path = _location(tuple(item["loc"]))
            text = str(item["msg"]).removeprefix("Value error, ")
            if path in FIELD_PATHS:
                errors.setdefault(path, text)
            elif not path:
                errors.setdefault(WHOLE_CASE, text[:1].upper() + text[1:] + ".")
            else:
                line = f"{path}: {text}."
                errors[ADVANCED] = f"{errors[ADVANCED]} {line}" if ADVANCED in errors else line
        return ReadCase(None, errors)
    return ReadCase(case, {})
