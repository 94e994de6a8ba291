"""The batch's reason-free feature states agree with the reasoned ones, case by case.

`feature_columns` exists for speed only; any case on which it disagrees with
`derive_etiology_findings` would make a batch answer differ from a single assessment, so
hypothesis generates cases over every field the features read and compares the two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexcare.engine import assess, assess_batch
from plexcare.engine.case import Case, History, Symptoms
from plexcare.engine.etiology_features import feature_states
from plexcare.engine.feature_columns import ORDER, feature_columns
from plexcare.engine.site_and_cause import site_and_cause_model
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase

KB = knowledge_base()
VIGNETTES = Path(__file__).parent / "vignettes"
flag = st.none() | st.booleans()


BIRTH = frozenset({"pregnant", "delivery_instrumental", "labour_prolonged"})
"""Yes/no history only a woman's case may give."""


def _yes_no(model: type[Symptoms | History]) -> list[str]:
    """Every yes/no field of the section, so a flag added to the model is generated too."""
    return [name for name, info in model.model_fields.items() if info.annotation == bool | None]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def histories(draw: st.DrawFn, sex: str) -> dict[str, Any]:
    cancer = draw(
        st.none()
        | st.sampled_from(["none", "unknown"])
        | st.builds(
            lambda status, site: {"status": status, "site": site},
            st.sampled_from(["past", "active"]),
            st.sampled_from(["rectum", "cervix", "lymphoma"]),
        )
        | st.builds(lambda active: {"site": "prostate", "active": active}, st.booleans())
    )
    radiotherapy = draw(
        st.none()
        | st.sampled_from(["none", "unknown"])
        | st.builds(
            lambda region, years: {"status": "given", "region": region, "years_ago": years},
            _maybe(st.sampled_from(["pelvis", "abdomen", "breast_or_chest", "other"])),
            _maybe(st.floats(0, 30)),
        )
    )
    history: dict[str, Any] = {
        "diabetes": draw(_maybe(st.sampled_from(["none", "type1", "type2"]))),
        "cancer": cancer,
        "radiotherapy": radiotherapy,
        "pelvic_radiotherapy_years_ago": draw(_maybe(st.floats(0, 40))),
        "anticoagulant": draw(_maybe(st.sampled_from(["", "none", "apixaban", "Warfarin "]))),
        "recent_surgery": draw(_maybe(st.sampled_from(["hip_arthroplasty", "other", "spinal"]))),
        "trauma": draw(_maybe(st.sampled_from(["pelvic_fracture", "other"]))),
        **{name: draw(flag) for name in _yes_no(History) if name not in BIRTH},
    }
    if isinstance(radiotherapy, str):  # the older years field says it was given
        history["pelvic_radiotherapy_years_ago"] = None
    if sex != "male":
        history["delivery_weeks_ago"] = draw(_maybe(st.floats(0, 52)))
        history.update({name: draw(flag) for name in sorted(BIRTH)})
    return {key: value for key, value in history.items() if value is not None}


@st.composite
def side_exams(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "strength": draw(
            st.dictionaries(st.sampled_from(["iliacus", "tibialis_anterior"]), st.integers(0, 5))
        ),
        "give_way": draw(st.lists(st.sampled_from(["iliacus", "knee_extension"]), max_size=1)),
        "reflexes": draw(
            st.dictionaries(
                st.sampled_from(["patellar_reflex", "achilles_reflex"]),
                st.sampled_from(["absent", "reduced", "normal", "brisk"]),
            )
        ),
        "plantar": draw(_maybe(st.sampled_from(["flexor", "extensor", "mute"]))),
        "foot_pulses": draw(_maybe(st.sampled_from(["present", "reduced", "absent"]))),
    }


@st.composite
def cases(draw: st.DrawFn) -> Case:
    sex = draw(st.sampled_from(["female", "male", "other"]))
    imaging_kinds = ["normal", "mass", "haematoma", "disc_herniation", "aneurysm", "bakers_cyst"]
    data: dict[str, Any] = {
        "age": draw(st.integers(18, 90)),
        "sex": sex,
        "bmi": draw(_maybe(st.floats(15, 50))),
        "tempo": draw(_maybe(st.sampled_from(["acute", "subacute", "chronic"]))),
        "affected_side": draw(_maybe(st.sampled_from(["left", "right", "both"]))),
        "pain": {
            "score": draw(_maybe(st.integers(0, 10))),
            "sites": draw(st.lists(st.sampled_from(["low back", "groin", "Back"]), max_size=2)),
        },
        "symptoms": {name: draw(flag) for name in _yes_no(Symptoms)}
        | {"weight_loss_kg": draw(_maybe(st.floats(0, 20)))},
        "history": draw(histories(sex)),
        "exam": draw(st.dictionaries(st.sampled_from(["left", "right"]), side_exams())),
        "anal_tone": draw(_maybe(st.sampled_from(["normal", "reduced"]))),
        "emg": draw(
            st.dictionaries(
                st.sampled_from(["left", "right"]),
                st.dictionaries(
                    st.sampled_from(["tibialis_anterior", "vastus_lateralis"]),
                    st.builds(lambda m: {"myokymia": m}, flag),
                    max_size=2,
                ),
                max_size=2,
            )
        ),
        "imaging": draw(
            st.lists(
                st.builds(
                    lambda kind, region: {"kind": kind, "region": region},
                    st.sampled_from(imaging_kinds),
                    _maybe(st.sampled_from(["lumbar_spine", "pelvis", "knee"])),
                ),
                max_size=3,
            )
        ),
        "labs": {
            "hba1c": draw(_maybe(st.floats(4, 12))),
            "esr": draw(_maybe(st.floats(0, 120))),
            "crp": draw(_maybe(st.floats(0, 200))),
            "ck": draw(_maybe(st.floats(0, 5000))),
            "inr": draw(_maybe(st.floats(0.8, 6))),
            "white_cell_count": draw(_maybe(st.floats(1, 30))),
            "csf_protein": draw(_maybe(st.floats(10, 300))),
        },
    }
    data["symptoms"] = {k: v for k, v in data["symptoms"].items() if v is not None}
    data["labs"] = {k: v for k, v in data["labs"].items() if v is not None}
    if data["bmi"] is None:
        del data["bmi"]
    return Case.model_validate(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cases(), min_size=1, max_size=4))
def test_batch_states_equal_the_reasoned_states_on_any_case(batch: list[Case]) -> None:
    index = site_and_cause_model(KB).etiology.feature_index
    np.testing.assert_array_equal(
        feature_columns(batch, index, KB), feature_states(batch, index, KB)
    )


def test_every_feature_of_the_knowledge_base_has_a_place_in_a_row(kb: KnowledgeBase) -> None:
    assert set(ORDER) == set(kb.etiology_features)
    assert len(ORDER) == len(set(ORDER))


@pytest.mark.parametrize("name", sorted(p.name for p in VIGNETTES.glob("*.yaml")))
def test_a_vignette_gets_the_same_cause_from_a_batch_as_alone(name: str, kb: KnowledgeBase) -> None:
    case = Case.model_validate(yaml.safe_load((VIGNETTES / name).read_text()))
    alone = assess(case, kb)
    batch = assess_batch([case], kb)
    by_disorder = dict(zip(batch.disorders, batch.etiology[0].tolist(), strict=True))
    for cause in alone.etiology[:5]:
        assert by_disorder[cause.disorder] == pytest.approx(cause.probability, abs=1e-9)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_any_recorded_vocabulary_gives_one_answer_that_sums_to_one(case: Case) -> None:
    result = assess(case, KB)
    assert sum(c.probability for c in result.etiology) == pytest.approx(1.0)
    assert sum(c.probability for c in result.localization.candidates) == pytest.approx(1.0)
    assert 0.0 <= result.localization.plexopathy_probability <= 1.0 + 1e-9
