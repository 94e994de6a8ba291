"""Red flags are raised from the findings, whatever the cause ranking says."""

from __future__ import annotations

from typing import Any

from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.red_flags import RedFlagAlert, raise_red_flags
from tests.engine.plan_fixtures import case, small_kb

KB = small_kb()


def _flags(**fields: Any) -> dict[str, RedFlagAlert]:
    patient = case(**fields)
    alerts = raise_red_flags(patient, derive_etiology_findings(patient, KB), KB)
    return {alert.feature: alert for alert in alerts}


def test_a_case_without_warning_features_raises_no_flag() -> None:
    assert _flags(tempo="chronic", pain={"score": 3}) == {}


def test_saddle_numbness_raises_an_emergency_for_cauda_equina() -> None:
    flags = _flags(symptoms={"saddle_numbness": True})
    alert = flags["sphincter_dysfunction"]
    assert alert.urgency == "emergency"
    assert alert.concerns == ("l5_radiculopathy",)
    assert "saddle numbness" in alert.finding


def test_each_feature_is_flagged_once_at_its_highest_urgency() -> None:
    flags = _flags(history={"anticoagulant": "warfarin"}, imaging=[{"kind": "haematoma"}])
    assert set(flags) == {"anticoagulated", "imaging_haematoma"}
    assert flags["imaging_haematoma"].urgency == "emergency"
    assert flags["anticoagulated"].urgency == "urgent"


def test_rapidly_progressive_weakness_is_urgent() -> None:
    flags = _flags(
        tempo="subacute",
        symptoms={"progressing": True},
        exam={"right": {"strength": {"knee_extension": 2}}},
    )
    alert = flags["rapidly_progressive_weakness"]
    assert alert.urgency == "urgent"
    assert "knee extension MRC 2" in alert.finding


def test_slowly_progressive_or_mild_weakness_is_not_a_red_flag() -> None:
    chronic = _flags(
        tempo="chronic",
        symptoms={"progressing": True},
        exam={"right": {"strength": {"knee_extension": 2}}},
    )
    mild = _flags(
        tempo="acute",
        symptoms={"progressing": True},
        exam={"right": {"strength": {"knee_extension": 4}}},
    )
    assert chronic == {} and mild == {}


def test_flags_come_most_urgent_first() -> None:
    patient = case(
        history={"anticoagulant": "warfarin"},
        imaging=[{"kind": "haematoma"}],
        symptoms={"saddle_numbness": True},
    )
    alerts = raise_red_flags(patient, derive_etiology_findings(patient, KB), KB)
    urgencies = [alert.urgency for alert in alerts]
    assert urgencies == sorted(urgencies, key=["emergency", "urgent", "routine"].index)
