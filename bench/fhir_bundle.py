"""How long a case takes through FHIR: export as a Bundle, validation against the R4B models
(with our value-set checks), and import back into a case, over the example cases.

`$everything` and every CDS Hooks call pay the export or the import once per case, so each must
stay a small share of a request's time.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import yaml

from plexcare.engine import Case, assess
from plexcare.fhir.bundle import case_bundle
from plexcare.fhir.case_import import case_from_bundle
from plexcare.fhir.conformance import problems_in
from plexcare.fhir.people import PatientFacts, PractitionerFacts
from plexcare.knowledge.loader import knowledge_base

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cases"
ROUNDS = 5


def main() -> None:
    kb = knowledge_base()
    cases = [
        Case.model_validate(yaml.safe_load(p.read_text())) for p in sorted(EXAMPLES.glob("*.yaml"))
    ]
    answers = [assess(case, kb).to_dict() for case in cases]
    patient = PatientFacts(id="1", name="Pat Example")
    clinician = PractitionerFacts(id="1", name="Dr Ada Okafor", specialty="neurology")
    export, validate, read = [], [], []
    sizes = []
    for _ in range(ROUNDS):
        for case, answer in zip(cases, answers, strict=True):
            started = time.perf_counter()
            bundle = case_bundle(
                case=case,
                assessment=answer,
                kb=kb,
                patient=patient,
                practitioner=clinician,
                issued="2026-03-02T08:00:00Z",
            )
            export.append((time.perf_counter() - started) * 1000)
            sizes.append(len(bundle["entry"]))
            travelled = json.loads(json.dumps(bundle))
            started = time.perf_counter()
            assert problems_in(travelled) == []
            validate.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            case_from_bundle(travelled, kb)
            read.append((time.perf_counter() - started) * 1000)
    print(f"FHIR Bundle of a case and its assessment ({len(cases)} example cases x {ROUNDS})")
    print(f"  resources per Bundle: median {statistics.median(sizes):.0f}, max {max(sizes)}")
    for label, timings in (
        ("export", export),
        ("validate (R4B + value sets)", validate),
        ("import (validate + read)", read),
    ):
        print(f"  {label}: median {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms")


if __name__ == "__main__":
    main()
