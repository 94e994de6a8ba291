"""Quick writes that arrive together go to PostgreSQL as one round (`scheduling.booking_rounds`,
migration 0014): each booking is written whole with its audit entry, messages and idempotency
record, one booking's clash or refusal never costs another its booking, and a patient asking
twice at once is counted as asking twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from plexcare.accounts.roles import Role
from plexcare.notifications.outbox import CHANNELS
from plexcare.postgres_pools import PostgresPools, asyncpg_dsn
from plexcare.scheduling.booking_rounds import BookingRounds, Write
from tests.conftest_db import TEST_NOW, SmallClinic, add_user
from tests.scheduling.test_booking import TUESDAY_10

pytestmark = pytest.mark.postgres

HALF_HOUR = timedelta(minutes=30)
CLASH = (asyncpg.ExclusionViolationError, asyncpg.UniqueViolationError)
"""How the database refuses a time already taken (by the clinician's or the patient's
overlap, or the clinician's start), which the full booking then answers with a 409."""


@pytest.fixture
def pools(postgres_url: str) -> PostgresPools:
    dsn = asyncpg_dsn(postgres_url)
    assert dsn is not None
    return PostgresPools(dsn)


_numbers = itertools.count()


def _patients(session: Session, count: int) -> list[int]:
    ids = [
        add_user(session, email=f"rounds{next(_numbers)}@example.org", role=Role.patient).id
        for _ in range(count)
    ]
    session.commit()
    return ids


def _version(session: Session) -> int:
    return int(session.scalar(text("SELECT version FROM booking_rules_version")) or 0)


def _write(
    session: Session, patient_id: int, clinician_id: int, type_id: int, starts: datetime
) -> Write:
    number = next(_numbers)
    return Write(
        rules_version=_version(session),
        uid=f"round-{number}",
        patient_id=patient_id,
        clinician_id=clinician_id,
        appointment_type_id=type_id,
        starts_at=starts,
        ends_at=starts + HALF_HOUR,
        blocked_until=starts + HALF_HOUR,
        now=TEST_NOW,
        open_limit=6,
        client_ip="203.0.113.9",
        reminder_due=starts - timedelta(hours=24),
        channels=CHANNELS,
        idempotency_key=f"key-{number}",
        fingerprint="0" * 64,
        answer=f'{{"id":0,"uid":"round-{number}"}}',
    )


def _together(pools: PostgresPools, writes: Sequence[Write]) -> list[int | BaseException]:
    """The writes sent at the same moment through one `BookingRounds`, as concurrent requests
    send them: each one's answer, or the error it was answered with."""

    async def send() -> list[int | BaseException]:
        rounds = BookingRounds()
        try:
            return await asyncio.gather(
                *(rounds.write(pools, write) for write in writes), return_exceptions=True
            )
        finally:
            await pools.close()

    return asyncio.run(send())


def _written(session: Session, appointment_id: int) -> tuple[int, int, int, str]:
    """(the transaction that wrote it, its audit entries, its messages, its stored answer,
    found under the key `_write` numbered as its uid)."""
    session.expire_all()
    row = session.execute(
        text(
            "SELECT a.xmin::text::bigint, "
            "(SELECT count(*) FROM audit_events e WHERE e.subject_type = 'appointment' "
            " AND e.subject_id = a.id::text AND e.action = 'create'), "
            "(SELECT count(*) FROM outbox_messages m WHERE m.appointment_id = a.id), "
            "(SELECT r.response_body FROM idempotency_records r "
            " WHERE r.user_id = a.patient_id AND r.key = replace(a.uid, 'round-', 'key-')) "
            "FROM appointments a WHERE a.id = :id"
        ),
        {"id": appointment_id},
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), str(row[3])


def _assert_whole(session: Session, appointment_id: int) -> None:
    """The booking was written whole: one audit entry, a confirmation and a reminder on every
    channel, and its answer stored under its key."""
    _, audits, messages, stored = _written(session, appointment_id)
    assert (audits, messages) == (1, 2 * len(CHANNELS))
    assert stored.startswith(f'{{"id":{appointment_id},')


def _count(session: Session, table: str) -> int:
    session.expire_all()
    return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def test_bookings_sent_together_are_written_in_one_transaction_each_whole(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    kind = clinic_people.consultation.id
    patients = _patients(pg_session, 4)
    places = [
        (clinic_people.neurologist.id, TUESDAY_10),
        (clinic_people.neurologist.id, TUESDAY_10 + timedelta(hours=1)),
        (clinic_people.second_neurologist.id, TUESDAY_10),
        (clinic_people.pain.id, TUESDAY_10),
    ]
    writes = [
        _write(pg_session, patient, clinician, kind, starts)
        for patient, (clinician, starts) in zip(patients, places, strict=True)
    ]
    answers = _together(pools, writes)
    assert all(isinstance(answer, int) and answer > 0 for answer in answers), answers
    booked = [answer for answer in answers if isinstance(answer, int)]
    assert len({_written(pg_session, answer)[0] for answer in booked}) == 1
    for answer in booked:
        _assert_whole(pg_session, answer)
    assert _count(pg_session, "clinician_reservations") == 4


def test_a_clash_in_a_round_refuses_only_the_booking_that_clashed(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    kind = clinic_people.consultation.id
    first, second, third = _patients(pg_session, 3)
    neurologist = clinic_people.neurologist.id
    writes = [
        _write(pg_session, first, neurologist, kind, TUESDAY_10),
        _write(pg_session, second, neurologist, kind, TUESDAY_10),
        _write(pg_session, third, clinic_people.pain.id, kind, TUESDAY_10),
    ]
    answers = _together(pools, writes)
    refused = [answer for answer in answers if isinstance(answer, BaseException)]
    assert len(refused) == 1
    assert isinstance(refused[0], CLASH)
    assert isinstance(answers[2], int) and answers[2] > 0
    booked = [answer for answer in answers if isinstance(answer, int)]
    for answer in booked:
        _assert_whole(pg_session, answer)
    assert _count(pg_session, "appointments") == 2
    assert _count(pg_session, "clinician_reservations") == 2
    assert _count(pg_session, "audit_events") == 2
    assert _count(pg_session, "idempotency_records") == 2


def test_a_patient_asking_twice_at_once_is_counted_against_their_limit(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    """The two writes go in two rounds, so the second's limit counts the first (sent without
    idempotency keys, whose uniqueness would otherwise refuse a round holding both)."""
    kind = clinic_people.consultation.id
    (patient,) = _patients(pg_session, 1)
    limited = [
        _write(pg_session, patient, clinic_people.neurologist.id, kind, TUESDAY_10),
        _write(pg_session, patient, clinic_people.pain.id, kind, TUESDAY_10 + timedelta(hours=2)),
    ]
    one_open = [replace(write, open_limit=1, idempotency_key=None) for write in limited]
    answers = _together(pools, one_open)
    assert sorted(answer > 0 for answer in answers if isinstance(answer, int)) == [False, True]
    assert _count(pg_session, "appointments") == 1


def test_one_refused_booking_leaves_the_rest_of_its_round_booked(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    """A clinician's account is not a patient's: the write refuses it (0), alone."""
    kind = clinic_people.consultation.id
    (patient,) = _patients(pg_session, 1)
    writes = [
        _write(
            pg_session, clinic_people.clinician_user.id, clinic_people.pain.id, kind, TUESDAY_10
        ),
        _write(pg_session, patient, clinic_people.neurologist.id, kind, TUESDAY_10),
    ]
    answers = _together(pools, writes)
    assert answers[0] == 0
    assert isinstance(answers[1], int) and answers[1] > 0
    assert _count(pg_session, "appointments") == 1
    assert _count(pg_session, "clinician_reservations") == 1


def test_a_round_at_a_version_no_longer_current_writes_nothing(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    kind = clinic_people.consultation.id
    patients = _patients(pg_session, 2)
    stale = [
        replace(write, rules_version=write.rules_version - 1)
        for write in (
            _write(pg_session, patients[0], clinic_people.neurologist.id, kind, TUESDAY_10),
            _write(pg_session, patients[1], clinic_people.pain.id, kind, TUESDAY_10),
        )
    ]
    assert _together(pools, stale) == [-1, -1]
    assert _count(pg_session, "appointments") == 0
    assert _count(pg_session, "clinician_reservations") == 0


def test_writes_from_rules_of_two_versions_are_not_judged_by_one(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    """A round checks one version: a write from rules the clinic has since changed, arriving
    with a current one, is refused as stale (-1) whichever comes first, and the current one
    is booked."""
    kind = clinic_people.consultation.id
    patients = _patients(pg_session, 4)
    current = [
        _write(pg_session, patient, clinician, kind, TUESDAY_10)
        for patient, clinician in zip(
            patients[:2], (clinic_people.neurologist.id, clinic_people.pain.id), strict=True
        )
    ]
    stale = [
        replace(write, rules_version=write.rules_version - 1)
        for write in (
            _write(pg_session, patients[2], clinic_people.second_neurologist.id, kind, TUESDAY_10),
            _write(pg_session, patients[3], clinic_people.pain.id, kind, TUESDAY_10 + HALF_HOUR),
        )
    ]
    answers = _together(pools, [current[0], stale[0], stale[1], current[1]])
    assert [answer == -1 for answer in answers] == [False, True, True, False]
    assert all(isinstance(answer, int) and answer > 0 for answer in (answers[0], answers[3]))
    assert _count(pg_session, "appointments") == 2


def test_a_write_whose_request_went_away_before_its_round_is_not_written(
    pg_session: Session, clinic_people: SmallClinic, pools: PostgresPools
) -> None:
    kind = clinic_people.consultation.id
    patients = _patients(pg_session, 3)
    clinicians = (
        clinic_people.neurologist.id,
        clinic_people.second_neurologist.id,
        clinic_people.pain.id,
    )
    writes = [
        _write(pg_session, patient, clinician, kind, TUESDAY_10)
        for patient, clinician in zip(patients, clinicians, strict=True)
    ]

    async def send() -> list[int | BaseException]:
        rounds = BookingRounds()
        requests = [asyncio.create_task(rounds.write(pools, write)) for write in writes]
        await asyncio.sleep(0)
        requests[2].cancel()
        try:
            return await asyncio.gather(*requests, return_exceptions=True)
        finally:
            await pools.close()

    answers = asyncio.run(send())
    assert isinstance(answers[2], asyncio.CancelledError)
    booked = pg_session.execute(text("SELECT clinician_id FROM appointments")).scalars().all()
    assert sorted(booked) == sorted(clinicians[:2])


_weeks = itertools.count(1)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    asks=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=10
    )
)
def test_whatever_arrives_together_no_two_bookings_overlap_and_each_is_whole(
    pg_session: Session,
    clinic_people: SmallClinic,
    pools: PostgresPools,
    asks: list[tuple[int, int, int]],
) -> None:
    """Patients (4), clinicians (3) and half-hour starts (4, so asks overlap and clash) drawn
    at random, all sent at once, each example in a week of its own: every write is answered
    by a booking or a refusal, every booking is written whole, and no clinician or patient
    is in two places at once."""
    kind = clinic_people.consultation.id
    clinicians = [clinic_people.neurologist.id, clinic_people.second_neurologist.id]
    clinicians.append(clinic_people.pain.id)
    week = TUESDAY_10 + timedelta(weeks=next(_weeks))
    patients = _patients(pg_session, 4)
    writes = [
        _write(pg_session, patients[who], clinicians[where], kind, week + HALF_HOUR * when)
        for who, where, when in asks
    ]
    answers = _together(pools, writes)
    booked = [answer for answer in answers if isinstance(answer, int) and answer > 0]
    refused = [answer for answer in answers if not isinstance(answer, int) or answer <= 0]
    assert len(booked) + len(refused) == len(writes)
    assert all(isinstance(answer, CLASH) for answer in refused)
    for answer in booked:
        _assert_whole(pg_session, answer)
    in_week = pg_session.execute(
        text(
            "SELECT clinician_id, patient_id, starts_at FROM appointments "
            "WHERE starts_at >= :week AND starts_at < :next"
        ),
        {"week": week, "next": week + timedelta(days=1)},
    ).all()
    assert len(in_week) == len(booked)
    assert len({(clinician, starts) for clinician, _, starts in in_week}) == len(in_week)
    assert len({(patient, starts) for _, patient, starts in in_week}) == len(in_week)
    asked_places = {(clinicians[where], week + HALF_HOUR * when) for _, where, when in asks}
    assert {(clinician, starts) for clinician, _, starts in in_week} <= asked_places
