"""Whatever a sender puts in a Bundle, reading it gives a case or says what is wrong
(`BundleError`, `NotConformant`): never another exception, which a route would answer with a
500. Valid Bundles are mutated at random: elements dropped, values swapped for other types,
codes swapped between our code systems."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine import Case
from plexcare.fhir import codes
from plexcare.fhir.bundle import case_bundle
from plexcare.fhir.case_import import BundleError, case_from_bundle
from plexcare.fhir.conformance import NotConformant
from plexcare.fhir.people import PatientFacts
from plexcare.knowledge.loader import knowledge_base

KB = knowledge_base()
SEEDS = [
    json.loads(
        json.dumps(
            case_bundle(
                case=Case.model_validate(
                    yaml.safe_load(Path(f"examples/cases/{name}.yaml").read_text())
                ),
                assessment=None,
                kb=KB,
                patient=PatientFacts(id="1", name="Pat Example"),
                practitioner=None,
                issued="2026-03-02T08:00:00Z",
            )
        )
    )
    for name in ("l5_radiculopathy", "cidp", "psoas_abscess", "fibular_head_conduction_block")
]
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.just({"coding": [{"system": codes.CASE_VALUE, "code": "nonsense"}]}),
    st.just([]),
)
SYSTEMS = [
    codes.CASE_FACT,
    codes.EXAM_FINDING,
    codes.NERVE_STUDY,
    codes.REFLEX,
    codes.MUSCLE,
    codes.STUDY_MEASURE,
]


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*here, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*here, index))
    return found


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        tree = tree[part]
    return tree


@st.composite
def mutated_bundles(draw: st.DrawFn) -> dict[str, Any]:
    bundle = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        paths = [p for p in _paths(bundle) if p[:1] == ("entry",) and len(p) > 2]
        path = draw(st.sampled_from(paths))
        parent = _parent(bundle, path)
        action = draw(st.sampled_from(["drop", "replace", "recode"]))
        if action == "drop":
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and len(parent) > path[-1]:
                parent.pop(path[-1])
        elif action == "replace":
            parent[path[-1]] = draw(ODD_VALUES)
        elif isinstance(parent, dict) and path[-1] == "system":
            parent["system"] = draw(st.sampled_from(SYSTEMS))
    return bundle


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=mutated_bundles())
def test_a_mutated_bundle_reads_as_a_case_or_says_what_is_wrong(bundle: dict[str, Any]) -> None:
    with contextlib.suppress(BundleError, NotConformant):
        case_from_bundle(bundle, KB)
