"""Leave, holidays and extra sessions stay within a year's span and a few years of today: a
typo like 2062 for 2026 is refused by name, never stored as centuries of leave."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest_db import Personas, SmallClinic


@pytest.mark.parametrize(
    ("first_day", "last_day", "field"),
    [
        ("2026-04-06", "2027-04-07", "last_day"),
        ("0001-01-01", "9999-12-31", "last_day"),
        ("2024-12-01", "2024-12-02", "first_day"),
        ("2030-01-01", "2030-01-02", "first_day"),
        ("2029-02-01", "2029-04-01", "last_day"),
    ],
)
def test_leave_too_long_or_too_far_from_today_is_refused_by_name(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    first_day: str,
    last_day: str,
    field: str,
) -> None:
    answer = client.post(
        f"/api/v1/clinicians/{small_clinic.neurologist.id}/exceptions",
        headers=personas.headers["front_desk"],
        json={"kind": "leave", "first_day": first_day, "last_day": last_day},
    )
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == [field]


def test_a_year_of_leave_planned_up_to_three_years_ahead_is_accepted(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    answer = client.post(
        f"/api/v1/clinicians/{small_clinic.neurologist.id}/exceptions",
        headers=personas.headers["front_desk"],
        json={"kind": "leave", "first_day": "2028-03-01", "last_day": "2029-02-28"},
    )
    assert answer.status_code == 201, answer.text
