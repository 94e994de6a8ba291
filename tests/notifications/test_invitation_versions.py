"""Every change to an appointment reaches the patient's calendar as a newer version.

The SEQUENCE and DTSTAMP of each invitation are fixed when the change is made and kept with the
queued message, so a booking and its cancellation that wait for the same worker run still go
out as two versions, in order, and a message sent late repeats the version it was queued with.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.config import Settings
from plexcare.db import engine_for, session_factory
from plexcare.migrate import downgrade, upgrade
from plexcare.notifications import outbox
from plexcare.notifications.models import OutboxMessage
from plexcare.notifications.worker import Senders, deliver_due
from plexcare.scheduling import changes
from plexcare.scheduling import service as booking
from tests.conftest_db import TEST_NOW, SmallClinic, _libpq, postgres_base_url
from tests.notifications.mailbox import (
    RecordingEmails,
    RecordingShortMessages,
    SentInvitation,
    invitations,
)
from tests.scheduling.test_booking import TUESDAY_10, patient

BOOKED_AT = TEST_NOW
MOVED_AT = TEST_NOW + timedelta(minutes=5)
CANCELLED_AT = TEST_NOW + timedelta(minutes=10)
WORKER_RUNS_AT = TEST_NOW + timedelta(minutes=15)


def book(session: Session, clinic_people: SmallClinic, *, now: datetime = BOOKED_AT) -> int:
    appointment = booking.book(
        session=session,
        actor=patient(clinic_people),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=now,
    )
    session.commit()
    return appointment.id


def move(session: Session, clinic_people: SmallClinic, appointment_id: int) -> int:
    moved = changes.reschedule(
        session=session,
        actor=patient(clinic_people),
        appointment_id=appointment_id,
        starts_at=TUESDAY_10 + timedelta(hours=1),
        now=MOVED_AT,
    )
    session.commit()
    return moved.id


def cancel(
    session: Session, clinic_people: SmallClinic, appointment_id: int, *, now: datetime
) -> None:
    changes.cancel(
        session=session,
        actor=patient(clinic_people),
        appointment_id=appointment_id,
        now=now,
        reason=None,
    )
    session.commit()


def offer_a_waitlist_slot(session: Session, clinic_people: SmallClinic) -> None:
    """A message about no appointment, so with no invitation version."""
    outbox.enqueue(
        session=session,
        kind="waitlist_offer",
        recipient_user_id=clinic_people.patient_b.id,
        appointment_id=None,
        now=CANCELLED_AT,
    )
    session.commit()


def run_worker(db_url: str, now: datetime = WORKER_RUNS_AT) -> list[SentInvitation]:
    emails = RecordingEmails()
    deliver_due(
        sessions=session_factory(db_url),
        outlets=Senders(email=emails, short_message=RecordingShortMessages()),
        settings=Settings(),
        now=now,
    )
    return invitations(emails)


def assert_ordered_versions_of_one_event(sent: list[SentInvitation]) -> None:
    assert len({invitation.uid for invitation in sent}) == 1
    sequences = [invitation.sequence for invitation in sent]
    assert all(earlier < later for earlier, later in pairwise(sequences))
    stamps = [invitation.stamp for invitation in sent]
    assert stamps == sorted(stamps)


def test_book_then_cancel_before_the_worker_runs_sends_two_ordered_versions(
    db_url: str, session: Session, small_clinic: SmallClinic
) -> None:
    appointment_id = book(session, small_clinic)
    cancel(session, small_clinic, appointment_id, now=CANCELLED_AT)

    sent = run_worker(db_url)

    assert [(i.method, i.sequence, i.stamp) for i in sent] == [
        ("REQUEST", 0, BOOKED_AT),
        ("CANCEL", 1, CANCELLED_AT),
    ]
    assert_ordered_versions_of_one_event(sent)


def test_book_move_then_cancel_before_the_worker_runs_sends_three_ordered_versions(
    db_url: str, session: Session, small_clinic: SmallClinic
) -> None:
    first_id = book(session, small_clinic)
    moved_id = move(session, small_clinic, first_id)
    cancel(session, small_clinic, moved_id, now=CANCELLED_AT)

    sent = run_worker(db_url)

    assert [(i.method, i.sequence, i.stamp) for i in sent] == [
        ("REQUEST", 0, BOOKED_AT),
        ("REQUEST", 1, MOVED_AT),
        ("CANCEL", 2, CANCELLED_AT),
    ]
    assert [i.start for i in sent] == [TUESDAY_10, *[TUESDAY_10 + timedelta(hours=1)] * 2]
    assert_ordered_versions_of_one_event(sent)


def test_a_booking_cancelled_in_the_same_second_is_still_ordered_by_its_sequence(
    db_url: str, session: Session, small_clinic: SmallClinic
) -> None:
    appointment_id = book(session, small_clinic)
    cancel(session, small_clinic, appointment_id, now=BOOKED_AT)

    sent = run_worker(db_url)

    assert [(i.method, i.sequence, i.stamp) for i in sent] == [
        ("REQUEST", 0, BOOKED_AT),
        ("CANCEL", 1, BOOKED_AT),
    ]


def test_a_late_send_repeats_the_version_made_at_the_booking_and_so_does_the_reminder(
    db_url: str, session: Session, small_clinic: SmallClinic
) -> None:
    book(session, small_clinic)

    # The worker was down until an hour before the visit: confirmation and reminder are due.
    sent = run_worker(db_url, now=TUESDAY_10 - timedelta(hours=1))

    assert [(i.subject.split(":")[0], i.sequence, i.stamp) for i in sent] == [
        ("Appointment confirmed", 0, BOOKED_AT),
        ("Reminder", 0, BOOKED_AT),
    ]


def test_each_queued_message_keeps_the_version_its_change_made(
    session: Session, small_clinic: SmallClinic
) -> None:
    first_id = book(session, small_clinic)
    moved_id = move(session, small_clinic, first_id)
    cancel(session, small_clinic, moved_id, now=CANCELLED_AT)
    offer_a_waitlist_slot(session, small_clinic)

    rows = session.execute(
        select(
            OutboxMessage.kind,
            OutboxMessage.channel,
            OutboxMessage.calendar_sequence,
            OutboxMessage.calendar_stamp,
        )
        .where(OutboxMessage.appointment_id.is_not(None))
        .order_by(OutboxMessage.id)
    ).all()

    versions = {(kind, sequence, stamp) for kind, _channel, sequence, stamp in rows}
    assert versions == {
        ("confirmation", 0, BOOKED_AT),
        ("reminder", 0, BOOKED_AT),
        ("change", 1, MOVED_AT),
        ("reminder", 1, MOVED_AT),
        ("cancellation", 2, CANCELLED_AT),
    }
    offers = session.execute(
        select(OutboxMessage.calendar_sequence, OutboxMessage.calendar_stamp).where(
            OutboxMessage.kind == "waitlist_offer"
        )
    ).all()
    assert offers and all(version == (None, None) for version in offers)


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own, since the test steps its schema down and up."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'versions.db'}"
        upgrade(url)
        yield url
        engine_for(url).dispose()
        return
    request.getfixturevalue("postgres_url")  # the shared extension (btree_gist) exists
    base = postgres_base_url()
    assert base is not None
    schema = f"plexcare_versions_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options={quote(f'-csearch_path={schema},public')}"
    upgrade(url)
    yield url
    engine_for(url).dispose()
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def stored_versions(url: str) -> list[tuple[int, int | None, datetime | None]]:
    with session_factory(url)() as session:
        rows = session.execute(
            select(
                OutboxMessage.id, OutboxMessage.calendar_sequence, OutboxMessage.calendar_stamp
            ).order_by(OutboxMessage.id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]


def test_the_migration_gives_messages_queued_before_it_the_version_they_announce(
    own_database: str,
) -> None:
    with session_factory(own_database)() as session:
        clinic_people = SmallClinic(session)
        session.commit()
        first_id = book(session, clinic_people)
        moved_id = move(session, clinic_people, first_id)
        cancel(session, clinic_people, moved_id, now=CANCELLED_AT)
        book(session, clinic_people, now=CANCELLED_AT)  # a booking that still stands
        offer_a_waitlist_slot(session, clinic_people)
    as_queued = stored_versions(own_database)

    downgrade(own_database, "0005")
    upgrade(own_database)

    assert stored_versions(own_database) == as_queued
    assert any(sequence is None for _id, sequence, _stamp in as_queued)  # the waitlist offer
