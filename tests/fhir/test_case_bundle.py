"""A case and its assessment as a FHIR Bundle: every resource valid R4, the clinic's findings
in standard codes where the knowledge base has them, and the round trip exact: export, import,
assess gives the same answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine import Case, assess
from plexcare.fhir import codes
from plexcare.fhir.bundle import case_bundle
from plexcare.fhir.case_import import BundleError, case_from_bundle
from plexcare.fhir.conformance import NotConformant, check_resource, problems_in
from plexcare.fhir.people import PatientFacts, PractitionerFacts
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase

EXAMPLES = sorted(Path("examples/cases").glob("*.yaml"))
ISSUED = "2026-03-02T08:00:00+00:00"
PATIENT = PatientFacts(id="7", name="Ann Example", email="ann@example.org")
CLINICIAN = PractitionerFacts(id="3", name="Dr Ada Okafor", specialty="neurology")


def example(name: str) -> Case:
    return Case.model_validate(yaml.safe_load(Path(f"examples/cases/{name}.yaml").read_text()))


def bundle_of(case: Case, kb: KnowledgeBase) -> dict[str, Any]:
    answer = assess(case, kb).to_dict()
    exported = case_bundle(
        case=case, assessment=answer, kb=kb, patient=PATIENT, practitioner=CLINICIAN, issued=ISSUED
    )
    # Through JSON, as it would travel.
    return dict(json.loads(json.dumps(exported)))


def resources(bundle: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == kind:
            yield entry["resource"]


def codings(concept: dict[str, Any], system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_export_import_assess_gives_the_same_answer(path: Path, kb: KnowledgeBase) -> None:
    case = Case.model_validate(yaml.safe_load(path.read_text()))
    bundle = bundle_of(case, kb)
    imported = case_from_bundle(bundle, kb)
    assert imported == case
    assert assess(imported, kb).to_dict() == assess(case, kb).to_dict()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_resource_in_the_bundle_is_valid_r4(path: Path, kb: KnowledgeBase) -> None:
    bundle = bundle_of(Case.model_validate(yaml.safe_load(path.read_text())), kb)
    assert problems_in(bundle) == []
    for entry in bundle["entry"]:
        assert problems_in(entry["resource"]) == [], entry["resource"]["resourceType"]


def test_the_leading_cause_is_a_provisional_condition_with_its_icd10cm_code(
    kb: KnowledgeBase,
) -> None:
    bundle = bundle_of(example("l5_radiculopathy"), kb)
    [condition] = [c for c in resources(bundle, "Condition") if "meta" not in c]
    assert codings(condition["code"], codes.STANDARD["icd10cm"]) == ["M54.16"]
    assert codings(condition["code"], codes.DISORDER) == ["l5_radiculopathy"]
    assert codings(condition["verificationStatus"], codes.CONDITION_VERIFICATION) == ["provisional"]
    assert codings(condition["bodySite"][0], codes.STANDARD["snomed"]) == ["7771000"]  # left


def test_diabetic_amyotrophy_is_coded_by_the_patients_diabetes_type(kb: KnowledgeBase) -> None:
    case = example("diabetic_amyotrophy_upper_plexus")
    assert case.history.diabetes == "type2"
    bundle = bundle_of(case, kb)
    [risk] = [r for r in resources(bundle, "RiskAssessment") if r["code"]["text"] == "cause"]
    leading = risk["prediction"][0]["outcome"]
    assert codings(leading, codes.DISORDER) == ["diabetic_lumbosacral_radiculoplexus_neuropathy"]
    assert codings(leading, codes.STANDARD["icd10cm"]) == ["E11.44"]
    type1 = case.model_copy(
        update={"history": case.history.model_copy(update={"diabetes": "type1"})}
    )
    [risk] = [
        r for r in resources(bundle_of(type1, kb), "RiskAssessment") if r["code"]["text"] == "cause"
    ]
    icd = [codings(p["outcome"], codes.STANDARD["icd10cm"]) for p in risk["prediction"]]
    assert ["E10.44"] in icd


def test_strength_is_an_observation_of_the_muscle_with_its_side(kb: KnowledgeBase) -> None:
    bundle = bundle_of(example("l5_radiculopathy"), kb)
    strength = [
        o
        for o in resources(bundle, "Observation")
        if codings(o["code"], codes.EXAM_FINDING) == ["strength"]
    ]
    ehl = next(
        o for o in strength if codings(o["bodySite"], codes.MUSCLE) == ["extensor_hallucis_longus"]
    )
    assert ehl["valueInteger"] == 3
    laterality = ehl["component"][0]
    assert codings(laterality["code"], codes.STANDARD["snomed"]) == ["272741003"]
    assert codings(laterality["valueCodeableConcept"], codes.STANDARD["snomed"]) == ["7771000"]
    assert ehl["bodySite"]["text"] == "left Extensor hallucis longus"


def test_nerve_conduction_values_carry_ucum_units(kb: KnowledgeBase) -> None:
    bundle = bundle_of(example("l5_radiculopathy"), kb)
    [fibular] = [
        o
        for o in resources(bundle, "Observation")
        if codings(o["code"], codes.NERVE_STUDY) == ["fibular_cmap_edb"]
    ]
    measures = {
        codings(c["code"], codes.STUDY_MEASURE)[0]: c["valueQuantity"]
        for c in fibular["component"]
        if "valueQuantity" in c
    }
    assert measures["amplitude"] == {"value": 2.6, "unit": "mV", "system": codes.UCUM, "code": "mV"}
    assert measures["velocity"]["code"] == "m/s"


def test_the_study_and_the_imaging_each_have_a_diagnostic_report(kb: KnowledgeBase) -> None:
    bundle = bundle_of(example("l5_radiculopathy"), kb)
    reports = {
        codings(r["category"][0], codes.DIAGNOSTIC_SERVICE)[0]: r
        for r in resources(bundle, "DiagnosticReport")
    }
    assert set(reports) == {"EN", "RAD"}
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    study = [urls[ref["reference"]] for ref in reports["EN"]["result"]]
    assert {o["resourceType"] for o in study} == {"Observation"}
    assert len(study) == 3 + 7  # three nerve conduction studies, seven needled muscles
    [imaging] = [urls[ref["reference"]] for ref in reports["RAD"]["result"]]
    assert codings(imaging["valueCodeableConcept"], codes.CASE_VALUE) == ["disc_herniation"]


def test_workup_plan_and_differential_are_requests_a_care_plan_and_risk_assessments(
    kb: KnowledgeBase,
) -> None:
    case = example("pan_plexus_haematoma_anticoagulated")
    answer = assess(case, kb).to_dict()
    bundle = bundle_of(case, kb)
    requests = list(resources(bundle, "ServiceRequest"))
    assert [codings(r["code"], codes.TEST)[0] for r in requests] == [
        w["test"] for w in answer["workup"]
    ]
    assert all(r["intent"] == "proposal" for r in requests)
    [plan] = resources(bundle, "CarePlan")
    planned = [
        a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"] if "code" in a["detail"]
    ]
    assert planned and set(planned) <= {
        i["treatment"]
        for g in answer["plan"].values()
        if isinstance(g, list)
        for i in g
        if "treatment" in i
    }
    risks = {r["code"]["text"]: r for r in resources(bundle, "RiskAssessment")}
    assert set(risks) == {"cause", "lesion site"}
    probabilities = [p["probabilityDecimal"] for p in risks["cause"]["prediction"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) <= 1.0 + 1e-9


def test_the_same_case_gives_the_same_bundle(kb: KnowledgeBase) -> None:
    case = example("cidp")
    assert bundle_of(case, kb) == bundle_of(case, kb)


def test_the_models_miss_a_wrong_gender_but_our_check_does_not() -> None:
    patient = {"resourceType": "Patient", "gender": "xyz"}
    [problem] = problems_in(patient)
    assert problem.location == "Patient.gender"
    with pytest.raises(NotConformant):
        check_resource({"resourceType": "Observation", "status": "done", "code": {"text": "x"}})
    assert problems_in({"resourceType": "Observation", "code": {"text": "x"}})[0].location == (
        "Observation.status"
    )


def test_an_ehr_bundle_of_standard_codes_reads_as_a_case(kb: KnowledgeBase) -> None:
    ehr = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "gender": "female",
                    "birthDate": "1960-05-20",
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "subject": {"reference": "Patient/p1"},
                    "clinicalStatus": {
                        "coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]
                    },
                    "code": {"coding": [{"system": codes.STANDARD["snomed"], "code": "44054006"}]},
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": codes.STANDARD["loinc"], "code": "4548-4"}]},
                    "valueQuantity": {"value": 9.1, "unit": "%", "system": codes.UCUM, "code": "%"},
                }
            },
        ],
    }
    case = case_from_bundle(ehr, kb, today=date(2026, 3, 2))
    assert (case.sex, case.age, case.history.diabetes, case.labs.hba1c) == (
        "female",
        65,
        "type2",
        9.1,
    )


def test_a_lab_value_in_another_unit_is_refused_not_misread(kb: KnowledgeBase) -> None:
    ehr = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "gender": "male", "birthDate": "1950-01-01"}},
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": codes.STANDARD["loinc"], "code": "1988-5"}]},
                    "valueQuantity": {
                        "value": 5,
                        "unit": "mg/dL",
                        "system": codes.UCUM,
                        "code": "mg/dL",
                    },
                }
            },
        ],
    }
    with pytest.raises(BundleError) as raised:
        case_from_bundle(ehr, kb, today=date(2026, 3, 2))
    assert raised.value.location == "Bundle.entry[1].resource.valueQuantity"
    assert "mg/L" in raised.value.message


def test_a_finding_without_its_side_is_refused_naming_the_place(kb: KnowledgeBase) -> None:
    bundle = bundle_of(example("l5_radiculopathy"), kb)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation" and codings(
            resource["code"], codes.EXAM_FINDING
        ) == ["strength"]:
            resource.pop("component")
            break
    with pytest.raises(BundleError) as raised:
        case_from_bundle(bundle, kb)
    assert raised.value.location.startswith("Bundle.entry[")
    assert "laterality" in raised.value.message


MUSCLES = [
    "tibialis_anterior",
    "gluteus_medius",
    "vastus_lateralis",
    "iliacus",
    "extensor_hallucis_longus",
]
STUDIES = ["sural_snap", "superficial_fibular_snap", "fibular_cmap_edb", "tibial_cmap_ahb"]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    side = draw(st.sampled_from(["left", "right"]))
    strength = draw(st.dictionaries(st.sampled_from(MUSCLES), st.integers(0, 5), max_size=4))
    studies = draw(
        st.dictionaries(
            st.sampled_from(STUDIES),
            st.fixed_dictionaries(
                {"amplitude": st.floats(0, 60, allow_nan=False).map(lambda v: round(v, 2))},
                optional={"velocity": st.floats(10, 70).map(lambda v: round(v, 1))},
            ),
            max_size=3,
        )
    )
    for name, result in studies.items():
        result["unit"] = "uV" if name.endswith("snap") else "mV"
    needles = draw(
        st.dictionaries(
            st.sampled_from(MUSCLES),
            st.fixed_dictionaries(
                {}, optional={"fibrillations": st.integers(0, 4), "myokymia": st.booleans()}
            ),
            max_size=3,
        )
    )
    return Case.model_validate(
        {
            "age": draw(st.integers(18, 95)),
            "sex": draw(st.sampled_from(["female", "male", "other"])),
            "weeks_since_onset": draw(st.none() | st.floats(0, 100).map(lambda v: round(v, 1))),
            "affected_side": side,
            "symptoms": draw(
                st.fixed_dictionaries(
                    {}, optional={"fever": st.booleans(), "back_pain": st.booleans()}
                )
            ),
            "history": draw(
                st.fixed_dictionaries(
                    {}, optional={"diabetes": st.sampled_from(["none", "type1", "type2"])}
                )
            ),
            "exam": {side: {"strength": strength}} if strength else {},
            "nerve_conduction": {side: studies} if studies else {},
            "emg": {side: {m: n for m, n in needles.items() if n}} if any(needles.values()) else {},
            "labs": draw(
                st.fixed_dictionaries(
                    {}, optional={"crp": st.floats(0, 300).map(lambda v: round(v, 1))}
                )
            ),
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_any_case_survives_the_trip_through_a_bundle(case: Case) -> None:
    kb = knowledge_base()
    exported = json.loads(
        json.dumps(
            case_bundle(
                case=case, assessment=None, kb=kb, patient=PATIENT, practitioner=None, issued=ISSUED
            )
        )
    )
    assert problems_in(exported) == []
    assert case_from_bundle(exported, kb) == case
