"""The administrator's pages: roles, staff accounts, clinicians' hours and leave, appointment
types and rooms; every change stored, audited, and refused with the field named when wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.audit.models import AuditEvent
from plexcare.clinic.models import AppointmentType, Resource
from plexcare.scheduling import search
from tests.conftest_db import TEST_NOW, SmallClinic, make_app
from tests.portal.forms import csrf_token, sign_in

ADMIN_PAGES = (
    "/admin",
    "/admin/closures",
    "/admin/appointment-types",
    "/admin/resources",
    "/admin/outbox",
    "/admin/audit",
)


@pytest.fixture
def admin(client: TestClient, small_clinic: SmallClinic) -> Iterator[TestClient]:
    sign_in(client, "admin@clinic.example")
    yield client


def count(session: Session, statement: object) -> int:
    found = session.scalar(statement)  # type: ignore[call-overload]
    session.rollback()
    return int(found or 0)


def okafor_days(session: Session, clinician_id: int, first: date, last: date) -> list[datetime]:
    found = [
        item.slot.start
        for item in search.search(
            session=session,
            now=TEST_NOW,
            first_day=first,
            last_day=last,
            clinician_id=clinician_id,
            limit=1000,
        )
    ]
    session.rollback()
    return found


def test_an_admin_changes_a_role_but_never_their_own(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    bob, me = small_clinic.patient_b.id, small_clinic.admin.id
    token = csrf_token(admin, "/admin")
    changed = admin.post(
        f"/admin/users/{bob}/role", data={"csrf_token": token, "role": "front_desk"}
    )
    assert "The role is changed" in changed.text
    role = session.scalar(select(User.role).where(User.id == bob))
    session.rollback()
    assert role == "front_desk"
    audited = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "user_role", AuditEvent.subject_id == str(bob))
    )
    assert count(session, audited) == 1
    own = admin.post(f"/admin/users/{me}/role", data={"csrf_token": token, "role": "patient"})
    assert own.status_code == 409
    bad = admin.post(f"/admin/users/{bob}/role", data={"csrf_token": token, "role": "owner"})
    assert bad.status_code == 422


def test_an_admin_creates_a_staff_account_and_a_short_password_is_named(
    admin: TestClient, session: Session
) -> None:
    token = csrf_token(admin, "/admin")
    form = {"csrf_token": token, "full_name": "Dee Desk", "email": "dee@clinic.example"}
    short = admin.post("/admin/users", data={**form, "role": "front_desk", "password": "short"})
    assert short.status_code == 422 and 'id="error-password"' in short.text
    made = admin.post(
        "/admin/users", data={**form, "role": "front_desk", "password": "a long enough secret"}
    )
    assert "The account is created" in made.text
    role = session.scalar(select(User.role).where(User.email == "dee@clinic.example"))
    session.rollback()
    assert role == "front_desk"


def test_weekly_hours_and_leave_change_what_search_offers(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    okafor = small_clinic.neurologist.id
    page = f"/admin/clinicians/{okafor}/hours"
    token = csrf_token(admin, page)
    form = {"csrf_token": token, "starts-0": "10:00", "ends-0": "12:00"}
    saved = admin.post(page, data=form)
    assert "The weekly hours are saved" in saved.text
    monday = okafor_days(session, okafor, date(2026, 3, 9), date(2026, 3, 10))
    assert monday and min(monday) == datetime(2026, 3, 9, 10, tzinfo=UTC)
    assert all(start.date() == date(2026, 3, 9) for start in monday)  # Tuesday has no hours now

    wrong = admin.post(page, data={"csrf_token": token, "starts-2": "14:00", "ends-2": "09:00"})
    assert wrong.status_code == 422 and 'id="error-starts-2"' in wrong.text

    admin.post(page, data={**form, "starts-1": "09:00", "ends-1": "17:00"})
    leave = admin.post(
        f"{page.removesuffix('/hours')}/leave",
        data={"csrf_token": token, "first_day": "2026-03-10", "note": "Conference"},
    )
    assert "The leave is saved" in leave.text
    assert okafor_days(session, okafor, date(2026, 3, 10), date(2026, 3, 10)) == []


def test_hours_and_leave_are_not_changed_without_the_forms_token(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    okafor = small_clinic.neurologist.id
    page = f"/admin/clinicians/{okafor}/hours"
    before = okafor_days(session, okafor, date(2026, 3, 9), date(2026, 3, 10))
    forged = "0" * 64
    for path, form in (
        (page, {"starts-0": "10:00", "ends-0": "12:00"}),
        (f"/admin/clinicians/{okafor}/leave", {"first_day": "2026-03-10", "note": "Away"}),
        (f"/admin/clinicians/{okafor}/leave/1/remove", {}),
    ):
        assert admin.post(path, data={**form, "csrf_token": forged}).status_code == 403
    assert okafor_days(session, okafor, date(2026, 3, 9), date(2026, 3, 10)) == before


def test_an_admin_adds_a_type_and_a_room_and_duplicates_are_named(
    admin: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    lind = str(small_clinic.second_neurologist.id)
    token = csrf_token(admin, "/admin/appointment-types")
    form = {
        "csrf_token": token,
        "code": "mri_review",
        "name": "MRI review",
        "duration": "20",
        f"offered_by-{lind}": lind,
    }
    added = admin.post("/admin/appointment-types", data=form)
    assert "The appointment type is added" in added.text and "MRI review" in added.text
    again = admin.post("/admin/appointment-types", data=form)
    assert again.status_code == 422 and 'id="error-code"' in again.text
    assert count(session, select(func.count()).select_from(AppointmentType)) == 3

    room = admin.post(
        "/admin/resources", data={"csrf_token": token, "name": "EMG room 2", "kind": "emg_room"}
    )
    assert "EMG room 2" in room.text
    same = admin.post(
        "/admin/resources", data={"csrf_token": token, "name": "EMG room 2", "kind": "emg_room"}
    )
    assert same.status_code == 422
    assert count(session, select(func.count()).select_from(Resource)) == 3


@pytest.mark.parametrize(
    "email", ["ann@example.org", "dr.okafor@clinic.example", "desk@clinic.example"]
)
def test_only_admins_open_the_admin_pages(
    db_url: str, small_clinic: SmallClinic, email: str
) -> None:
    with TestClient(make_app(db_url)) as client:
        for page in ADMIN_PAGES:
            assert client.get(page, follow_redirects=False).status_code == 303
        sign_in(client, email)
        for page in ADMIN_PAGES:
            assert client.get(page).status_code == 403, page
