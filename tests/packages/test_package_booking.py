"""Health packages on SQLite and PostgreSQL: the catalogue, the proposed itinerary, and
booking every included appointment in one transaction, all or none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.clinic.demo import load_demo_clinic
from plexcare.notifications.models import OutboxMessage
from plexcare.packages import service as packages
from plexcare.packages.catalogue import DEFAULT_CATALOGUE, HealthPackage
from plexcare.packages.models import PackageBooking
from plexcare.scheduling import policy
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from tests.conftest_db import TEST_NOW, Personas, SmallClinic, add_user
from tests.packages.plexus_workup import PLEXUS_WORKUP
from tests.scheduling.crowd import Call, all_at_once

LIMIT = policy.BookingLimits().open_appointments


@pytest.fixture
def workup(session: Session, small_clinic: SmallClinic) -> HealthPackage:
    packages.add_package(session=session, package=PLEXUS_WORKUP)
    session.commit()
    return PLEXUS_WORKUP


def count(session: Session, model: Any, *where: Any) -> int:
    """Rows now; the read transaction is ended at once so it never holds SQLite's lock."""
    found = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    session.rollback()
    return found


def test_the_catalogue_lists_each_package_with_its_items_and_price(
    client: TestClient, workup: HealthPackage
) -> None:
    listed = client.get("/api/v1/packages").json()
    assert [item["code"] for item in listed] == ["plexus_workup"]
    assert listed[0]["price_minor_units"] == 50_000
    assert [item["appointment_type"] for item in listed[0]["items"]] == ["neuro_consult", "emg_ncs"]


def test_booking_a_package_books_every_appointment_in_its_order_and_spacing(
    client: TestClient, personas: Personas, workup: HealthPackage, session: Session
) -> None:
    answer = client.post(
        "/api/v1/packages/plexus_workup/bookings", headers=personas.headers["patient_a"], json={}
    )
    assert answer.status_code == 201, answer.text
    consult, emg = answer.json()["appointments"]
    consult_end = datetime.fromisoformat(consult["ends_at"])
    emg_start = datetime.fromisoformat(emg["starts_at"])
    assert emg_start >= consult_end + timedelta(minutes=15)
    assert (emg_start - datetime.fromisoformat(consult["starts_at"])).days <= 3
    assert count(session, PackageBooking) == 1
    mine = client.get("/api/v1/package-bookings", headers=personas.headers["patient_a"]).json()
    assert [len(item["appointments"]) for item in mine["items"]] == [2]
    assert [item["id"] for item in mine["items"][0]["appointments"]] == [consult["id"], emg["id"]]
    theirs = client.get("/api/v1/package-bookings", headers=personas.headers["patient_b"]).json()
    assert theirs["total"] == 0


def test_the_booking_list_shows_each_package_with_its_own_appointments_in_order(
    client: TestClient, personas: Personas, workup: HealthPackage
) -> None:
    booked = [
        client.post(
            "/api/v1/packages/plexus_workup/bookings", headers=personas.headers[name], json={}
        ).json()
        for name in ("patient_a", "patient_b")
    ]
    listed = client.get("/api/v1/package-bookings", headers=personas.headers["front_desk"]).json()
    shown = {
        item["id"]: [appointment["id"] for appointment in item["appointments"]]
        for item in listed["items"]
    }
    assert shown == {
        item["id"]: [appointment["id"] for appointment in item["appointments"]] for item in booked
    }
    assert len({id_ for ids in shown.values() for id_ in ids}) == 4


def test_if_one_slot_is_taken_nothing_of_the_package_is_booked(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    workup: HealthPackage,
    session: Session,
) -> None:
    proposal = client.get("/api/v1/packages/plexus_workup/itinerary").json()["slots"]
    chosen = [
        {key: slot[key] for key in ("clinician_id", "appointment_type_id", "starts_at")}
        for slot in proposal
    ]
    taken = client.post(
        "/api/v1/appointments", headers=personas.headers["patient_b"], json=chosen[1]
    )
    assert taken.status_code == 201, taken.text

    answer = client.post(
        "/api/v1/packages/plexus_workup/bookings",
        headers=personas.headers["patient_a"],
        json={"items": chosen},
    )

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    patient_a = small_clinic.patient_a.id
    assert count(session, Appointment, Appointment.patient_id == patient_a) == 0
    assert count(session, PackageBooking) == 0
    assert count(session, OutboxMessage, OutboxMessage.recipient_user_id == patient_a) == 0


def test_chosen_slots_out_of_the_package_order_are_refused_naming_the_item(
    client: TestClient, personas: Personas, workup: HealthPackage
) -> None:
    proposal = client.get("/api/v1/packages/plexus_workup/itinerary").json()["slots"]
    swapped = [
        {key: slot[key] for key in ("clinician_id", "appointment_type_id", "starts_at")}
        for slot in reversed(proposal)
    ]
    answer = client.post(
        "/api/v1/packages/plexus_workup/bookings",
        headers=personas.headers["patient_a"],
        json={"items": swapped},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "items.0.appointment_type_id"


def test_an_unknown_package_is_not_found(client: TestClient, workup: HealthPackage) -> None:
    assert client.get("/api/v1/packages/spa_day/itinerary").status_code == 404


def test_every_package_of_the_demo_catalogue_can_be_booked_whole(session: Session) -> None:
    """Each by a patient of its own: one patient's packages would overlap each other (every
    itinerary starts at the earliest free time) and pass the online limit of open
    appointments, both refused now."""
    assert load_demo_clinic(session=session, now=TEST_NOW)
    for number, package in enumerate(DEFAULT_CATALOGUE):
        patient = add_user(session, email=f"package{number}@example.org", role=Role.patient)
        record, appointments = packages.book_package(
            session=session,
            actor=Actor(user_id=patient.id, role="patient"),
            code=package.code,
            chosen=None,
            now=TEST_NOW,
        )
        assert len(appointments) == len(package.items)
        assert record.price_minor_units == package.price_minor_units
    session.commit()
    assert count(session, PackageBooking) == len(DEFAULT_CATALOGUE)


def test_a_package_that_would_pass_the_patients_online_limit_books_nothing(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    workup: HealthPackage,
    session: Session,
) -> None:
    """The limit is checked by each appointment's own insert, in the package's transaction."""
    later = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    for number in range(LIMIT - 1):
        booking.book(
            session=session,
            actor=Actor(user_id=small_clinic.patient_a.id, role="patient"),
            clinician_id=small_clinic.second_neurologist.id,
            appointment_type_id=small_clinic.consultation.id,
            starts_at=later + timedelta(minutes=30 * number),
            now=TEST_NOW,
        )
    session.commit()
    answer = client.post(
        "/api/v1/packages/plexus_workup/bookings", headers=personas.headers["patient_a"], json={}
    )
    assert answer.status_code == 409, answer.text
    assert f"already have {LIMIT} upcoming appointments" in answer.json()["detail"]
    assert count(session, Appointment) == LIMIT - 1
    assert count(session, PackageBooking) == 0


def test_one_patient_booking_a_package_twenty_times_at_once_gets_whole_packages_only(
    server: str, personas: Personas, workup: HealthPackage, session: Session
) -> None:
    answers = all_at_once(
        server,
        [
            Call("/api/v1/packages/plexus_workup/bookings", personas.headers["patient_a"])
            for _ in range(20)
        ],
    )
    won = [answer for answer in answers if answer.status == 201]
    assert won and all(answer.status == 409 for answer in answers if answer not in won)
    assert count(session, PackageBooking) == len(won) <= LIMIT // 2
    appointments = session.scalars(select(Appointment)).all()
    session.rollback()
    assert len(appointments) == 2 * len(won)
    assert not any(
        first.starts_at < second.ends_at and second.starts_at < first.ends_at
        for first, second in combinations(appointments, 2)
    )
