"""The front desk manages each clinician's weekly hours, breaks, leave and holidays through the
API, and slot search follows at once (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest_db import Personas, SmallClinic

TUESDAY = "2026-03-03"
WEDNESDAY = "2026-03-04"


def slot_times(client: TestClient, clinic_people: SmallClinic, day: str) -> list[str]:
    """Start times (UTC, HH:MM) of the neurologist's free consultations on one day."""
    answer = client.get(
        "/api/v1/slots",
        params={
            "clinician_id": clinic_people.neurologist.id,
            "appointment_type_id": clinic_people.consultation.id,
            "from_date": day,
            "to_date": day,
        },
    )
    assert answer.status_code == 200, answer.text
    return [item["starts_at"][11:16] for item in answer.json()["items"]]


def tuesday_afternoons(**extra: Any) -> dict[str, Any]:
    return {
        "hours": [{"weekday": 1, "starts": "14:00", "ends": "16:00"}],
        "breaks": [{"weekday": 1, "starts": "15:00", "ends": "15:30"}],
        **extra,
    }


def test_the_front_desk_replaces_the_weekly_hours_and_breaks_and_slots_follow(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    url = f"/api/v1/clinicians/{small_clinic.neurologist.id}/availability"
    answer = client.put(url, headers=personas.headers["front_desk"], json=tuesday_afternoons())
    assert answer.status_code == 200, answer.text
    assert answer.json()["hours"] == [{"weekday": 1, "starts": "14:00:00", "ends": "16:00:00"}]
    assert client.get(url).json()["breaks"] == [
        {"weekday": 1, "starts": "15:00:00", "ends": "15:30:00"}
    ]
    assert slot_times(client, small_clinic, TUESDAY) == ["14:00", "14:30", "15:30"]
    assert slot_times(client, small_clinic, WEDNESDAY) == []


def test_a_bad_window_is_refused_by_name_and_the_old_pattern_stays(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    url = f"/api/v1/clinicians/{small_clinic.neurologist.id}/availability"
    before = client.get(url).json()
    desk = personas.headers["front_desk"]
    backwards = {"hours": [{"weekday": 0, "starts": "12:00", "ends": "09:00"}]}
    sunday_plus_one = {"hours": [{"weekday": 7, "starts": "09:00", "ends": "12:00"}]}
    overlapping = {
        "hours": [
            {"weekday": 2, "starts": "09:00", "ends": "12:00"},
            {"weekday": 2, "starts": "11:00", "ends": "13:00"},
        ]
    }
    bad_break = tuesday_afternoons(breaks=[{"weekday": 1, "starts": "15:30", "ends": "15:00"}])
    for body, field in (
        (backwards, "hours.0.ends"),
        (sunday_plus_one, "hours.0.weekday"),
        (overlapping, "hours.1"),
        (bad_break, "breaks.0.ends"),
    ):
        answer = client.put(url, headers=desk, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field
    assert client.get(url).json() == before


def test_leave_closes_the_days_and_taking_it_back_reopens_them(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    desk = personas.headers["front_desk"]
    exceptions = f"/api/v1/clinicians/{small_clinic.neurologist.id}/exceptions"
    open_slots = slot_times(client, small_clinic, TUESDAY)
    added = client.post(
        exceptions, headers=desk, json={"kind": "leave", "first_day": TUESDAY, "last_day": TUESDAY}
    )
    assert added.status_code == 201, added.text
    assert slot_times(client, small_clinic, TUESDAY) == []
    listed = client.get(exceptions, headers=personas.headers["clinician"])
    assert [row["id"] for row in listed.json()] == [added.json()["id"]]

    removed = client.delete(f"{exceptions}/{added.json()['id']}", headers=desk)
    assert removed.status_code == 204
    assert slot_times(client, small_clinic, TUESDAY) == open_slots
    assert client.get(exceptions, headers=desk).json() == []
    again = client.delete(f"{exceptions}/{added.json()['id']}", headers=desk)
    assert again.status_code == 404
    assert again.json()["errors"][0]["field"] == "exception_id"


def test_an_exception_is_removed_only_through_its_own_clinician(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    desk = personas.headers["front_desk"]
    holiday = client.post(
        f"/api/v1/clinicians/{small_clinic.neurologist.id}/exceptions",
        headers=desk,
        json={"kind": "holiday", "first_day": TUESDAY, "last_day": TUESDAY},
    ).json()
    other = f"/api/v1/clinicians/{small_clinic.pain.id}/exceptions/{holiday['id']}"
    assert client.delete(other, headers=desk).status_code == 404
    assert slot_times(client, small_clinic, TUESDAY) == []


def test_the_availability_of_a_clinician_who_does_not_exist_is_a_404(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    answer = client.put(
        "/api/v1/clinicians/999999/availability",
        headers=personas.headers["front_desk"],
        json=tuesday_afternoons(),
    )
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "clinician_id"


def test_the_public_list_of_appointment_types_names_what_each_one_needs(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get("/api/v1/appointment-types")
    assert answer.status_code == 200, answer.text
    needs = {item["code"]: item["resource_kinds"] for item in answer.json()}
    assert needs == {"neuro_consult": [], "emg_ncs": ["emg_machine", "emg_room"]}
