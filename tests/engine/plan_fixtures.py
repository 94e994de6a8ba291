"""A small, hand-checkable knowledge base for the etiology, red-flag, work-up and plan tests.

Three disorders, a handful of features and treatments: small enough that every expected
number in a test can be worked out by hand, and independent of the real data files, which
other people edit.
"""

from __future__ import annotations

from typing import Any

from plexcare.engine.case import Case
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase

SRC = ["stewart_focal_2010"]


def _feature(fid: str, base: float) -> dict[str, Any]:
    return {
        "id": fid,
        "name": fid.replace("_", " ").capitalize(),
        "base_rate": base,
        "sources": SRC,
    }


def _freq(feature: str, frequency: float) -> dict[str, Any]:
    return {"feature": feature, "frequency": frequency, "sources": SRC}


def _workup(test: str, priority: str = "routine") -> dict[str, Any]:
    return {
        "test": test,
        "timing": "now",
        "reason": f"to look for {test}",
        "priority": priority,
        "sources": SRC,
    }


def _disorder(
    did: str,
    prior: float,
    localizations: list[str],
    features: list[dict[str, Any]],
    *,
    workup: list[dict[str, Any]] | None = None,
    treatments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": did,
        "name": did.replace("_", " ").capitalize(),
        "category": "plexopathy_cause",
        "icd10": ["G54.1"],
        "summary": "A disorder used by the engine tests only.",
        "localizations": localizations,
        "prior": prior,
        "features": features,
        "workup": workup or [_workup("emg_ncs")],
        "treatments": treatments or [],
        "sources": SRC,
    }


def _use(treatment: str, role: str) -> dict[str, Any]:
    return {"treatment": treatment, "role": role, "sources": SRC}


def _caution(condition: str, severity: str) -> dict[str, Any]:
    return {
        "condition": condition,
        "severity": severity,
        "text": f"careful: {condition}",
        "sources": SRC,
    }


def _rule(rid: str, urgency: str, when: list[list[str]], concerns: list[str]) -> dict[str, Any]:
    return {
        "id": rid,
        "urgency": urgency,
        "when": when,
        "see": ["emergency_department"],
        "patient": f"plain words for {rid}",
        "clinician": f"what to do for {rid}",
        "concerns": concerns,
        "sources": SRC,
    }


SMALL_RED_FLAGS = {
    "facts": [
        {"id": fact, "name": fact.replace("_", " ")}
        for fact in ("saddle_numbness", "bleeding_risk", "leg_weakness", "imaging_haematoma")
    ],
    "rules": [
        _rule("cauda_equina_warning", "emergency", [["saddle_numbness"]], ["l5_radiculopathy"]),
        _rule("haematoma_on_imaging", "emergency", [["imaging_haematoma"]], ["haematoma"]),
        _rule(
            "bleeding_risk_with_weakness",
            "same_day",
            [["bleeding_risk"], ["leg_weakness"]],
            ["haematoma"],
        ),
    ],
}
"""Three red-flag rules over four facts, enough to follow flags into work-up and plan."""


def small_kb() -> KnowledgeBase:
    features = [
        _feature("diabetes", 0.2),
        _feature("severe_pain", 0.4),
        _feature("painless", 0.25),
        _feature("anticoagulated", 0.08),
        _feature("imaging_haematoma", 0.02),
        _feature("imaging_disc_herniation", 0.25),
        _feature("back_pain", 0.5),
        _feature("sphincter_dysfunction", 0.05),
        _feature("recent_weight_loss", 0.12),
    ]
    disorders = [
        _disorder(
            "diabetic_amyotrophy",
            0.3,
            ["upper_lumbar_plexus", "pan_plexus"],
            [
                _freq("diabetes", 0.99),
                _freq("severe_pain", 0.9),
                _freq("painless", 0.05),
                _freq("recent_weight_loss", 0.8),
            ],
            workup=[_workup("hba1c"), _workup("mri_lumbosacral_plexus"), _workup("emg_ncs")],
            treatments=[
                _use("ivig", "cause_directed"),
                _use("gabapentin", "pain"),
                _use("physiotherapy", "rehabilitation"),
            ],
        ),
        _disorder(
            "haematoma",
            0.1,
            ["upper_lumbar_plexus", "femoral_in_pelvis"],
            [
                _freq("anticoagulated", 0.7),
                _freq("imaging_haematoma", 0.95),
                _freq("severe_pain", 0.9),
            ],
            workup=[
                _workup("ct_abdomen_pelvis", "emergency"),
                _workup("coagulation_screen", "emergency"),
            ],
            treatments=[_use("anticoagulant_reversal", "cause_directed")],
        ),
        _disorder(
            "l5_radiculopathy",
            0.6,
            ["root_l5"],
            [
                _freq("back_pain", 0.8),
                _freq("imaging_disc_herniation", 0.7),
                _freq("diabetes", 0.15),
            ],
            workup=[_workup("mri_lumbar_spine"), _workup("emg_ncs")],
            treatments=[
                _use("gabapentin", "pain"),
                _use("nsaid", "pain"),
                _use("discectomy_referral", "surgery"),
            ],
        ),
    ]
    treatments = [
        {
            "id": "ivig",
            "name": "IVIG",
            "kind": "drug",
            "evidence": "RCT",
            "dosing": "2 g/kg",
            "cautions": [_caution("renal_impairment", "monitor")],
            "sources": SRC,
        },
        {
            "id": "gabapentin",
            "name": "Gabapentin",
            "kind": "drug",
            "evidence": "RCT",
            "dosing": "300 mg at night",
            "cautions": [
                _caution("renal_impairment", "adjust_dose"),
                _caution("older_adult", "monitor"),
                _caution("peptic_ulcer", "monitor"),
            ],
            "sources": SRC,
        },
        {
            "id": "anticoagulant_reversal",
            "name": "Reverse the anticoagulant",
            "kind": "drug",
            "evidence": "guideline",
            "sources": SRC,
        },
        {
            "id": "physiotherapy",
            "name": "Physiotherapy",
            "kind": "therapy",
            "evidence": "expert",
            "sources": SRC,
        },
        {
            "id": "discectomy_referral",
            "name": "Spinal surgery referral",
            "kind": "referral",
            "evidence": "RCT",
            "sources": SRC,
        },
        {
            "id": "ankle_foot_orthosis",
            "name": "Ankle-foot orthosis",
            "kind": "device",
            "evidence": "cohort",
            "indicated_when_weak": ["ankle_dorsiflexion"],
            "indicated_below_mrc": 4,
            "sources": SRC,
        },
        {
            "id": "nsaid",
            "name": "NSAID",
            "kind": "drug",
            "evidence": "RCT",
            "cautions": [
                _caution("anticoagulated", "contraindicated"),
                _caution("severe_renal_impairment", "contraindicated"),
            ],
            "sources": SRC,
        },
    ]
    tests = [
        {
            "id": t,
            "name": t.replace("_", " "),
            "kind": kind,
            "purpose": "for the tests",
            "sources": SRC,
        }
        for t, kind in [
            ("emg_ncs", "electrodiagnostic"),
            ("hba1c", "lab"),
            ("mri_lumbosacral_plexus", "imaging"),
            ("mri_lumbar_spine", "imaging"),
            ("ct_abdomen_pelvis", "imaging"),
            ("coagulation_screen", "lab"),
        ]
    ]
    muscles = [
        {
            "id": "tibialis_anterior",
            "name": "Tibialis anterior",
            "roots": [{"root": "L5", "share": "major"}],
            "nerves": ["deep_fibular_nerve"],
            "plexus_part": "lumbosacral_trunk",
            "movement": "ankle_dorsiflexion",
            "distality": 0.7,
            "sources": SRC,
        },
    ]
    packaged = knowledge_base()
    return KnowledgeBase.model_validate(
        {
            "version": "test",
            "red_flags": SMALL_RED_FLAGS,
            "electrodiagnosis": packaged.electrodiagnosis,
            "thresholds": packaged.thresholds,
            "generalized_patterns": packaged.generalized_patterns,
            "references": {
                "stewart_focal_2010": {
                    "id": "stewart_focal_2010",
                    "kind": "textbook",
                    "citation": "Stewart JD. Focal Peripheral Neuropathies.",
                    "year": 2010,
                }
            },
            "structures": {},
            "muscles": {m["id"]: m for m in muscles},
            "sensory_areas": {},
            "reflexes": {},
            "studies": {},
            "etiology_features": {f["id"]: f for f in features},
            "tests": {t["id"]: t for t in tests},
            "treatments": {t["id"]: t for t in treatments},
            "disorders": {d["id"]: d for d in disorders},
            "education": {
                "sections": [{"id": "what", "title": "What", "paragraphs": ["x"], "sources": SRC}],
                "faq": [
                    {
                        "id": f"q{i}",
                        "topic": "other",
                        "question": "q?",
                        "answer": "a",
                        "sources": SRC,
                    }
                    for i in range(5)
                ],
            },
        }
    )


def case(**fields: Any) -> Case:
    """A case with sensible defaults; only what a test is about needs saying."""
    return Case.model_validate({"age": 60, "sex": "male", **fields})
