"""Follow-up visits on SQLite and PostgreSQL: scores checked against the knowledge base's
scales, and each patient's series over time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.followup.models import FollowUpVisit, OutcomeScore
from tests.conftest_db import TEST_NOW, Personas, SmallClinic

MRC_WEAK = {
    "hip_flexion_left": 5,
    "hip_flexion_right": 3,
    "knee_extension_left": 5,
    "knee_extension_right": 3,
    "ankle_dorsiflexion_left": 5,
    "ankle_dorsiflexion_right": 2,
}
MRC_BETTER = {**MRC_WEAK, "knee_extension_right": 4, "ankle_dorsiflexion_right": 4}


def record(
    client: TestClient,
    personas: Personas,
    clinic: SmallClinic,
    days_ago: int,
    scores: list[dict[str, Any]],
) -> Any:
    return client.post(
        "/api/v1/follow-up-visits",
        headers=personas.headers["clinician"],
        json={
            "patient_id": clinic.patient_a.id,
            "seen_at": (TEST_NOW - timedelta(days=days_ago)).isoformat(),
            "scores": scores,
        },
    )


def test_the_series_shows_each_scale_over_time_read_in_its_own_direction(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    first = record(
        client,
        personas,
        small_clinic,
        84,
        [
            {"scale": "pain_numeric_rating", "value": 7},
            {"scale": "mrc_sum_lower_limb", "items": MRC_WEAK},
            {"scale": "modified_rankin", "value": 3},
        ],
    )
    assert first.status_code == 201, first.text
    assert {s["scale"]: s["value"] for s in first.json()["scores"]}["mrc_sum_lower_limb"] == 23
    later = record(
        client,
        personas,
        small_clinic,
        0,
        [
            {"scale": "pain_numeric_rating", "value": 4},
            {"scale": "mrc_sum_lower_limb", "items": MRC_BETTER, "value": 26},
            {"scale": "modified_rankin", "value": 3},
        ],
    )
    assert later.status_code == 201, later.text

    answer = client.get(
        f"/api/v1/patients/{small_clinic.patient_a.id}/follow-up",
        headers=personas.headers["patient_a"],
    )

    assert answer.status_code == 200, answer.text
    series = {item["scale"]: item for item in answer.json()["series"]}
    pain = series["pain_numeric_rating"]
    assert [reading["value"] for reading in pain["readings"]] == [7, 4]
    assert pain["summary"]["direction"] == "better"
    assert pain["summary"]["change"] == -3
    assert pain["summary"]["reaches_mcid"] is True
    assert round(pain["summary"]["days"]) == 84
    assert series["mrc_sum_lower_limb"]["summary"]["direction"] == "better"
    assert series["mrc_sum_lower_limb"]["summary"]["reaches_mcid"] is None
    assert series["modified_rankin"]["summary"]["direction"] == "unchanged"
    assert len(answer.json()["visits"]) == 2


@pytest.mark.parametrize(
    ("score", "field", "words"),
    [
        ({"scale": "pain_numeric_rating", "value": 11}, "scores.0.value", "0 to 10"),
        ({"scale": "modified_rankin", "value": 2.5}, "scores.0.value", "whole numbers"),
        ({"scale": "pain_score", "value": 3}, "scores.0.scale", "unknown scale"),
        (
            {"scale": "mrc_sum_lower_limb", "items": {"hip_flexion_left": 5}},
            "scores.0.items",
            "needs a grade",
        ),
        (
            {"scale": "mrc_sum_lower_limb", "items": MRC_WEAK, "value": 30},
            "scores.0.value",
            "add up to 23",
        ),
    ],
)
def test_a_score_its_scale_does_not_allow_is_refused_naming_it_and_nothing_is_stored(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    session: Session,
    score: dict[str, Any],
    field: str,
    words: str,
) -> None:
    answer = record(client, personas, small_clinic, 1, [score])
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert words in answer.json()["detail"]
    assert session.scalar(select(func.count()).select_from(FollowUpVisit)) == 0
    assert session.scalar(select(func.count()).select_from(OutcomeScore)) == 0


def test_a_visit_in_the_future_is_refused(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    answer = record(
        client, personas, small_clinic, -2, [{"scale": "pain_numeric_rating", "value": 3}]
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "seen_at"


def test_only_the_patient_and_staff_read_the_series_and_only_clinicians_record(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    url = f"/api/v1/patients/{small_clinic.patient_a.id}/follow-up"
    seen = {
        who: client.get(url, headers=personas.headers[who]).status_code for who in personas.headers
    }
    assert seen == {
        "anonymous": 401,
        "patient_a": 200,
        "patient_b": 404,
        "clinician": 200,
        "front_desk": 200,
        "admin": 200,
    }
    desk = client.post(
        "/api/v1/follow-up-visits",
        headers=personas.headers["front_desk"],
        json={
            "patient_id": small_clinic.patient_a.id,
            "seen_at": TEST_NOW.isoformat(),
            "scores": [{"scale": "pain_numeric_rating", "value": 3}],
        },
    )
    assert desk.status_code == 403


def test_the_scales_are_listed_from_the_knowledge_base(client: TestClient) -> None:
    scales = {scale["id"]: scale for scale in client.get("/api/v1/outcome-scales").json()}
    assert scales["pain_numeric_rating"]["maximum"] == 10
    assert len(scales["mrc_sum_lower_limb"]["items"]) == 6
