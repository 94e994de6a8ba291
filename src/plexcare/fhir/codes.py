"""The code systems a plexcare resource speaks, and codings built from the knowledge base.

Our own ids (muscles, studies, disorders, findings) travel in plexcare code systems so that a
Bundle we wrote reads back exactly; the standard codes the knowledge base vouches for
(`terminology.yaml`: ICD-10-CM, SNOMED CT, LOINC) travel beside them so an EHR understands it
without knowing ours.
"""

from __future__ import annotations

from typing import Any

from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.terminology_model import CodeSystemName

PLEXCARE = "https://fhir.plexcare.example"
"""The base of our canonical URLs (code systems, identifiers)."""


def system(name: str) -> str:
    return f"{PLEXCARE}/CodeSystem/{name}"


CASE_FACT = system("case-fact")
EXAM_FINDING = system("exam-finding")
MUSCLE = system("muscle")
REFLEX = system("reflex")
SENSORY_AREA = system("sensory-area")
NERVE_STUDY = system("nerve-study")
STUDY_MEASURE = system("study-measure")
NEEDLE_MEASURE = system("needle-measure")
CASE_VALUE = system("case-value")
DISORDER = system("disorder")
LESION_SITE = system("lesion-site")
TEST = system("test")
TREATMENT = system("treatment")
ASSESSMENT = system("assessment")
APPOINTMENT_TYPE = system("appointment-type")
SPECIALTY = system("specialty")

PATIENT_ID = f"{PLEXCARE}/sid/patient"
CASE_ID = f"{PLEXCARE}/sid/case"

STANDARD = {
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
}
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"


def coding(code_system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"system": code_system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(*codings: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"coding": list(codings)}
    if text:
        found["text"] = text
    return found


def standard_codings(
    kb: KnowledgeBase,
    entry_id: str,
    systems: tuple[CodeSystemName, ...] = ("snomed", "icd10cm", "loinc"),
) -> list[dict[str, Any]]:
    """The standard codings the knowledge base gives for `entry_id` (none when it has none)."""
    entry = kb.terminology.get(entry_id)
    if entry is None:
        return []
    return [
        coding(STANDARD[code.system], code.code, code.display)
        for code in entry.codes
        if code.system in systems
    ]


def unit_of(kb: KnowledgeBase, entry_id: str) -> str | None:
    entry = kb.terminology.get(entry_id)
    return entry.unit if entry is not None else None


def category(code: str) -> list[dict[str, Any]]:
    return [concept(coding(OBSERVATION_CATEGORY, code))]


def laterality(kb: KnowledgeBase, side: str) -> dict[str, Any]:
    """An Observation component saying which side: SNOMED CT Laterality = left/right/both."""
    return {
        "code": concept(*standard_codings(kb, "laterality.attribute"), text="laterality"),
        "valueCodeableConcept": concept(
            *standard_codings(kb, f"laterality.{side}"), coding(CASE_VALUE, side), text=side
        ),
    }


def code_in(value: Any, code_system: str) -> str | None:
    """The code of the first coding in `code_system` in a CodeableConcept (or None)."""
    if not isinstance(value, dict):
        return None
    for found in value.get("coding") or []:
        if isinstance(found, dict) and found.get("system") == code_system:
            code = found.get("code")
            return str(code) if code is not None else None
    return None


def codes_in(value: Any, code_system: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [
        str(found["code"])
        for found in value.get("coding") or []
        if isinstance(found, dict) and found.get("system") == code_system and "code" in found
    ]
