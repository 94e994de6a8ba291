"""The health-package pages: the catalogue with prices, the planned itinerary, booking it all
or none (a taken slot books nothing and shows a new plan), and the patient's own packages with
cancelling every appointment of one together."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.packages import service as packages
from plexcare.packages.models import PackageBooking
from plexcare.portal.form_values import instant
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.packages.plexus_workup import PLEXUS_WORKUP
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in

pytestmark = ON_SQLITE

FIELD = re.compile(r'name="(item-[0-9]+-[a-z]+|items)" value="([^"]*)"')


@pytest.fixture
def workup(session: Session, small_clinic: SmallClinic) -> SmallClinic:
    packages.add_package(session=session, package=PLEXUS_WORKUP)
    session.commit()
    return small_clinic


def booked(session: Session) -> tuple[int, int]:
    found = (
        session.scalar(select(func.count()).select_from(PackageBooking)) or 0,
        session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
        or 0,
    )
    session.rollback()
    return found


def plan_fields(client: TestClient) -> dict[str, str]:
    page = client.get("/packages/plexus_workup")
    assert page.status_code == 200
    return {
        "csrf_token": csrf_token(client, "/packages/plexus_workup"),
        **dict(FIELD.findall(page.text)),
    }


def test_the_catalogue_shows_each_package_with_its_price_and_items(
    client: TestClient, workup: SmallClinic
) -> None:
    page = client.get("/packages")
    assert page.status_code == 200
    assert "Plexus work-up" in page.text and "£500.00" in page.text
    assert "Nerve conduction studies and EMG (1 h)" in page.text


def test_a_visitor_sees_the_plan_and_is_asked_to_sign_in_to_book(
    client: TestClient, workup: SmallClinic
) -> None:
    page = client.get("/packages/plexus_workup")
    assert page.status_code == 200
    assert "Monday 2 March 2026, 09:00 GMT" in page.text
    assert "Sign in to book this package" in page.text
    assert client.get("/packages/no_such_package").status_code == 404


def test_a_patient_books_the_whole_plan_and_sees_it_in_their_packages(
    client: TestClient, workup: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")

    answer = client.post("/packages/plexus_workup/book", data=plan_fields(client))

    assert answer.status_code == 200
    assert "Your package is booked" in answer.text
    assert answer.text.count("· booked") == 2
    assert booked(session) == (1, 2)


def test_a_slot_taken_meanwhile_books_nothing_and_shows_a_new_plan(
    client: TestClient, workup: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    fields = plan_fields(client)
    bob = Actor(user_id=workup.patient_b.id, role=Role.patient)
    clinician_id = int(fields["item-0-clinician"])
    starts = fields["item-0-start"]
    moment = instant(starts)
    assert moment is not None
    booking.book(
        session=session,
        actor=bob,
        clinician_id=clinician_id,
        appointment_type_id=int(fields["item-0-type"]),
        starts_at=moment,
        now=TEST_NOW,
    )
    session.commit()

    answer = client.post("/packages/plexus_workup/book", data=fields)

    assert answer.status_code == 409
    assert "Nothing was booked" in answer.text
    assert booked(session) == (0, 1)


def test_cancelling_a_package_cancels_every_appointment_of_it(
    client: TestClient, workup: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    client.post("/packages/plexus_workup/book", data=plan_fields(client))
    booking_id = session.scalars(select(PackageBooking.id)).one()
    session.rollback()
    token = csrf_token(client, "/me/packages")

    answer = client.post(f"/me/packages/{booking_id}/cancel", data={"csrf_token": token})

    assert answer.status_code == 200
    assert "The package has been cancelled" in answer.text
    assert answer.text.count("· cancelled") == 2
    assert booked(session) == (1, 0)


def test_another_patient_cannot_cancel_the_package(
    client: TestClient, second_browser: TestClient, workup: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    client.post("/packages/plexus_workup/book", data=plan_fields(client))
    booking_id = session.scalars(select(PackageBooking.id)).one()
    session.rollback()
    sign_in(second_browser, "bob@example.org")
    token = csrf_token(second_browser, "/packages/plexus_workup")

    answer = second_browser.post(f"/me/packages/{booking_id}/cancel", data={"csrf_token": token})

    assert answer.status_code == 404
    assert booked(session) == (1, 2)


def test_booking_or_cancelling_without_the_form_token_changes_nothing(
    client: TestClient, workup: SmallClinic, session: Session
) -> None:
    sign_in(client, "ann@example.org")
    fields = plan_fields(client)
    forged = {key: value for key, value in fields.items() if key != "csrf_token"}
    assert client.post("/packages/plexus_workup/book", data=forged).status_code == 403
    assert booked(session) == (0, 0)
    client.post("/packages/plexus_workup/book", data=fields)
    booking_id = session.scalars(select(PackageBooking.id)).one()
    session.rollback()
    made_up = {"csrf_token": "0" * 64}
    assert client.post(f"/me/packages/{booking_id}/cancel", data=made_up).status_code == 403
    assert booked(session) == (1, 2)
