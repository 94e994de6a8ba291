"""Fifty changes of one appointment sent at the same instant, on SQLite and PostgreSQL: the
appointment is locked while it changes, so exactly one change wins, every other client gets a
409 problem naming why, and nothing else is written: no second appointment, no extra message,
no audit row for a refused change.

Without the lock (PostgreSQL reads the appointment as booked in every request) ten concurrent
reschedules made ten booked appointments and twenty change messages.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.notifications.models import OutboxMessage
from plexcare.notifications.outbox import CHANNELS
from plexcare.scheduling.models import Appointment, ClinicianReservation
from tests.conftest_db import Personas, SmallClinic
from tests.scheduling.crowd import (
    CROWD,
    Answer,
    Call,
    all_at_once,
    free_consultation_starts,
    statuses,
)
from tests.scheduling.test_changes import book_tuesday


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def message_kinds(session: Session) -> Counter[str]:
    return Counter(session.scalars(select(OutboxMessage.kind)))


def appointment_audits(session: Session) -> int:
    return count(session, AuditEvent, AuditEvent.subject_type == "appointment")


def reschedule(appointment: Appointment, headers: dict[str, str], starts_at: datetime) -> Call:
    return Call(
        f"/api/v1/appointments/{appointment.id}/reschedule",
        headers,
        {"starts_at": starts_at.isoformat()},
    )


def cancel(appointment: Appointment, headers: dict[str, str], number: int) -> Call:
    return Call(
        f"/api/v1/appointments/{appointment.id}/cancel", headers, {"reason": f"clash {number}"}
    )


def refused_because(answers: list[Answer], reason: str) -> bool:
    return all(
        answer.is_problem and answer.body["status"] == 409 and reason in answer.body["detail"]
        for answer in answers
    )


def test_fifty_reschedules_of_one_appointment_sent_at_once_move_it_exactly_once(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    old = book_tuesday(session, small_clinic)
    audits_before = appointment_audits(session)
    session.commit()  # ends the read: on SQLite the app needs the one connection
    headers = personas.headers["patient_a"]
    answers = all_at_once(
        server, [reschedule(old, headers, start) for start in free_consultation_starts(CROWD)]
    )

    assert statuses(answers) == [200] + [409] * (CROWD - 1)
    [winner] = [answer for answer in answers if answer.status == 200]
    losers = [answer for answer in answers if answer.status == 409]
    assert refused_because(losers, "a rescheduled appointment can no longer change")
    session.expire_all()
    booked = session.scalars(
        select(Appointment).where(Appointment.uid == old.uid, Appointment.status == "booked")
    ).all()
    assert [(item.id, item.starts_at) for item in booked] == [
        (winner.body["id"], datetime.fromisoformat(winner.body["starts_at"]))
    ]
    moved = session.get(Appointment, old.id)
    assert moved is not None and moved.status == "rescheduled"
    assert moved.rescheduled_to_id == booked[0].id
    assert message_kinds(session) == {"confirmation": 2, "reminder": 4, "change": 2}
    assert count(session, ClinicianReservation) == 1
    assert appointment_audits(session) == audits_before + 2


def test_fifty_cancels_sent_at_once_answer_one_200_and_queue_one_cancellation(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    appointment = book_tuesday(session, small_clinic)
    audits_before = appointment_audits(session)
    session.commit()  # ends the read: on SQLite the app needs the one connection
    headers = personas.headers["patient_a"]
    answers = all_at_once(server, [cancel(appointment, headers, number) for number in range(CROWD)])

    assert statuses(answers) == [200] + [409] * (CROWD - 1)
    [winner] = [answer for answer in answers if answer.status == 200]
    assert refused_because(
        [answer for answer in answers if answer.status == 409],
        "a cancelled appointment can no longer change",
    )
    session.expire_all()
    cancelled = session.get(Appointment, appointment.id)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.sequence == 1
    assert cancelled.cancel_reason == winner.call.body["reason"]
    assert message_kinds(session)["cancellation"] == len(CHANNELS)
    assert count(session, OutboxMessage) == 4 + len(CHANNELS)
    assert count(session, ClinicianReservation) == 0
    assert appointment_audits(session) == audits_before + 1


def test_cancels_and_reschedules_sent_together_leave_one_winner_and_the_database_agrees(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    old = book_tuesday(session, small_clinic)
    session.commit()  # ends the read: on SQLite the app needs the one connection
    headers = personas.headers["patient_a"]
    starts = free_consultation_starts(CROWD)
    answers = all_at_once(
        server,
        [
            cancel(old, headers, number) if number % 2 else reschedule(old, headers, start)
            for number, start in enumerate(starts)
        ],
    )

    assert statuses(answers) == [200] + [409] * (CROWD - 1)
    [winner] = [answer for answer in answers if answer.status == 200]
    assert all(answer.is_problem for answer in answers if answer is not winner)
    session.expire_all()
    after = session.get(Appointment, old.id)
    assert after is not None
    same_uid = session.scalars(select(Appointment).where(Appointment.uid == old.uid)).all()
    kinds = message_kinds(session)
    if winner.call.path.endswith("/cancel"):
        assert winner.body["status"] == after.status == "cancelled"
        assert len(same_uid) == 1
        assert kinds["cancellation"] == len(CHANNELS) and "change" not in kinds
    else:
        moved_to = session.get(Appointment, winner.body["id"])
        assert after.status == "rescheduled" and moved_to is not None
        assert moved_to.status == "booked" and moved_to.uid == old.uid
        assert moved_to.starts_at == datetime.fromisoformat(winner.body["starts_at"])
        assert len(same_uid) == 2
        assert kinds["change"] == len(CHANNELS) and "cancellation" not in kinds
    assert count(session, ClinicianReservation) == (0 if after.status == "cancelled" else 1)
