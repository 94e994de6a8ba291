"""Work-up not yet done: tests of the likely causes, minus what the case already has."""

from __future__ import annotations

from datetime import date
from typing import Any

from plexcare.engine.etiology import RankedCause, SiteSupport, compile_etiology, rank_causes
from plexcare.engine.etiology_features import EtiologyFindings, derive_etiology_findings
from plexcare.engine.red_flags import raise_red_flags
from plexcare.engine.workup import WorkupRecommendation, recommend_workup
from tests.engine.plan_fixtures import case, small_kb

KB = small_kb()
MODEL = compile_etiology(KB)


def _workup(**fields: Any) -> dict[str, WorkupRecommendation]:
    patient = case(**fields)
    found = derive_etiology_findings(patient, KB)
    causes = rank_causes(MODEL, found, SiteSupport({}, {}))
    flags = raise_red_flags(patient, KB, found)
    return {item.test: item for item in recommend_workup(patient, causes, flags, KB)}


def test_the_leading_causes_tests_are_recommended_weighted_by_probability() -> None:
    items = _workup(history={"diabetes": "type2"}, pain={"score": 9})
    assert {"hba1c", "mri_lumbosacral_plexus", "emg_ncs"} <= set(items)
    assert items["emg_ncs"].weight > items["hba1c"].weight  # asked for by two causes
    assert set(items["emg_ncs"].for_causes) >= {"diabetic_amyotrophy", "l5_radiculopathy"}


def test_labs_and_imaging_already_in_the_case_are_not_asked_for_again() -> None:
    items = _workup(
        history={"diabetes": "type2"},
        labs={"hba1c": 8.0},
        imaging=[{"kind": "disc_herniation", "level": "L4-L5"}],
    )
    assert "hba1c" not in items
    assert "mri_lumbar_spine" not in items


def test_a_red_flag_keeps_its_causes_emergency_tests_at_the_top() -> None:
    items = _workup(history={"anticoagulant": "warfarin", "diabetes": "type2"}, pain={"score": 9})
    ordered = list(items)
    assert items["ct_abdomen_pelvis"].priority == "emergency"
    assert ordered[0] in ("ct_abdomen_pelvis", "coagulation_screen")


def test_an_emg_done_in_the_first_three_weeks_is_repeated_after_three_weeks() -> None:
    items = _workup(
        evaluated_on=date(2026, 3, 10),
        onset_on=date(2026, 3, 1),
        emg={"left": {"tibialis_anterior": {"fibrillations": 0}}},
    )
    assert items["emg_ncs"].timing.startswith("on or after 2026-03-22")
    assert "first 3 weeks" in items["emg_ncs"].reason


def test_an_emg_done_after_three_weeks_is_not_repeated() -> None:
    items = _workup(
        weeks_since_onset=6,
        emg={"left": {"tibialis_anterior": {"fibrillations": 2}}},
    )
    assert "emg_ncs" not in items


def test_an_emg_not_yet_done_in_week_one_is_booked_for_three_weeks_from_onset() -> None:
    items = _workup(weeks_since_onset=1)
    assert items["emg_ncs"].timing == "in 14 days (3 weeks from onset)"


def _cause(disorder: str, probability: float) -> RankedCause:
    return RankedCause(disorder, disorder, "plexopathy_cause", probability, (), (), 1.0, "")


def test_an_urgent_test_of_an_unlikely_unflagged_cause_is_not_put_first() -> None:
    causes = [
        _cause("l5_radiculopathy", 0.5),
        _cause("diabetic_amyotrophy", 0.3),
        _cause("haematoma", 0.08),
    ]
    items = {i.test: i for i in recommend_workup(case(), causes, (), KB)}
    assert items["ct_abdomen_pelvis"].priority == "routine"
    flagged = raise_red_flags(case(imaging=[{"kind": "haematoma"}]), KB, _found_haematoma())
    kept = {i.test: i for i in recommend_workup(case(), causes, flagged, KB)}
    assert kept["ct_abdomen_pelvis"].priority == "emergency"


def _found_haematoma() -> EtiologyFindings:
    return derive_etiology_findings(case(imaging=[{"kind": "haematoma"}]), KB)
