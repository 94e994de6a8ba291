"""The outbox worker (`plexcare worker`): sends due messages, retries with backoff, and
respects consent.

Each message is handled in its own short transaction, claimed with `FOR UPDATE SKIP LOCKED`
on PostgreSQL so several workers can run side by side without sending anything twice; on
SQLite the claim is serialized by `BEGIN IMMEDIATE`. A send that fails for a reason that may
pass (a dropped connection) is retried after 1, 2, 4 … minutes up to `MAX_ATTEMPTS`; a
permanent failure (the address is refused) stops at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plexcare.accounts.models import User
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import Settings
from plexcare.db import utc_now
from plexcare.notifications import icalendar, messages, senders
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling import waitlist
from plexcare.scheduling.models import Appointment

MAX_ATTEMPTS = 6
CLINIC_NAME = "plexcare Neuromuscular Clinic"
CLINIC_LOCATION = "plexcare clinic, outpatient department"
_log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Senders:
    email: senders.EmailSender
    short_message: senders.ShortMessageSender


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes, capped at an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _consents(user: User) -> list[senders.ConsentRecord]:
    return [
        senders.ConsentRecord(
            channel=senders.Channel.EMAIL, granted=user.consent_email, recorded_at=user.created_at
        ),
        senders.ConsentRecord(
            channel=senders.Channel.SMS, granted=user.consent_sms, recorded_at=user.created_at
        ),
    ]


def _notice(
    session: Session, appointment: Appointment, patient: User, settings: Settings
) -> messages.AppointmentNotice:
    clinician = session.get(Clinician, appointment.clinician_id)
    kind = session.get(AppointmentType, appointment.appointment_type_id)
    return messages.AppointmentNotice(
        reference=f"A{appointment.id}",
        patient_name=patient.full_name,
        clinician_name=clinician.full_name if clinician else "your clinician",
        clinic_name=CLINIC_NAME,
        visit_name=kind.name if kind else "appointment",
        start=appointment.starts_at,
        end=appointment.ends_at,
        time_zone=settings.clinic_timezone,
        location=CLINIC_LOCATION,
    )


def _render(
    session: Session, message: OutboxMessage, patient: User, settings: Settings
) -> tuple[str, str, str, bytes | None, str]:
    """Subject, e-mail text, short text, optional .ics and its iTIP method.

    The invitation's SEQUENCE and DTSTAMP are the ones stored when the change was queued (a
    row queued before they were stored falls back to the appointment's sequence and the row's
    creation time), so what is sent does not depend on when the worker runs."""
    if message.kind == "second_opinion_answered":
        text = (
            f"Dear {patient.full_name}, a specialist has answered your request for a second "
            "opinion. Sign in to plexcare to read it."
        )
        return "Your second opinion is ready", text, text, None, ""
    if message.kind == "waitlist_offer" or message.appointment_id is None:
        text = (
            f"Dear {patient.full_name}, an earlier appointment has become free and is being "
            "held for you. Sign in to plexcare to book it before the offer lapses."
        )
        return "An earlier appointment is available", text, text, None, ""
    appointment = session.get(Appointment, message.appointment_id)
    if appointment is None:
        raise senders.DeliveryError("the appointment no longer exists", permanent=True)
    notice = _notice(session, appointment, patient, settings)
    if message.kind == "cancellation":
        rendered = messages.render_cancellation(notice=notice)
        method = icalendar.CalendarMethod.CANCEL
    elif message.kind == "reminder":
        rendered = messages.render_reminder(notice=notice)
        method = icalendar.CalendarMethod.REQUEST
    elif message.kind == "change":
        previous = session.scalar(
            select(Appointment.starts_at).where(Appointment.rescheduled_to_id == appointment.id)
        )
        rendered = messages.render_change(notice=notice, previous_start=previous or notice.start)
        method = icalendar.CalendarMethod.REQUEST
    else:
        rendered = messages.render_confirmation(notice=notice)
        method = icalendar.CalendarMethod.REQUEST
    ics = icalendar.build_invitation(
        appointment=icalendar.CalendarAppointment(
            appointment_id=appointment.uid,
            sequence=(
                appointment.sequence
                if message.calendar_sequence is None
                else message.calendar_sequence
            ),
            start=appointment.starts_at,
            end=appointment.ends_at,
            time_zone=settings.clinic_timezone,
            clinic_name=CLINIC_NAME,
            clinician_name=notice.clinician_name,
            visit_name=notice.visit_name,
            location=CLINIC_LOCATION,
            organizer=icalendar.CalendarParty(email=settings.smtp_sender, name=CLINIC_NAME),
            attendee=icalendar.CalendarParty(email=patient.email, name=patient.full_name),
        ),
        method=method,
        stamp=message.calendar_stamp or message.created_at,
        domain=settings.smtp_sender.rpartition("@")[2] or "plexcare.example",
    )
    return rendered.subject, rendered.text, rendered.short_text, ics, method.value


def _deliver(
    session: Session, message: OutboxMessage, outlets: Senders, settings: Settings, now: datetime
) -> str:
    """Send one message; the new status ('sent' or 'skipped'), or raise DeliveryError."""
    patient = session.get(User, message.recipient_user_id)
    if patient is None or not patient.is_active:
        return "skipped"
    channel = senders.Channel(message.channel)
    if not senders.has_consent(records=_consents(patient), channel=channel, now=now):
        return "skipped"
    subject, text, short_text, ics, method = _render(session, message, patient, settings)
    if channel is senders.Channel.EMAIL:
        attachments = (senders.Attachment.calendar(ics=ics, method=method),) if ics else ()
        outlets.email.send(
            senders.OutgoingEmail(
                to=patient.email, subject=subject, text=text, attachments=attachments
            )
        )
    else:
        if not patient.phone:
            return "skipped"
        outlets.short_message.send(
            senders.ShortMessage(to=patient.phone, text=short_text, channel=channel)
        )
    return "sent"


def _claim_next(session: Session, now: datetime) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def deliver_due(
    *,
    sessions: sessionmaker[Session],
    outlets: Senders,
    settings: Settings,
    now: datetime,
    limit: int = 100,
) -> DeliveryReport:
    """Send every message due at `now` (up to `limit`), one transaction each."""
    report = DeliveryReport()
    for _ in range(limit):
        with sessions() as session:
            message = _claim_next(session, now)
            if message is None:
                break
            message.attempts += 1
            try:
                message.status = _deliver(session, message, outlets, settings, now)
            except (senders.DeliveryError, senders.MessageInputError, OSError) as error:
                permanent = getattr(error, "permanent", isinstance(error, ValueError))
                message.last_error = str(error)[:500]
                if permanent or message.attempts >= MAX_ATTEMPTS:
                    message.status = "failed"
                    report.failed += 1
                else:
                    message.due_at = now + backoff(message.attempts)
                    report.retried += 1
                _log.warning("message %s not delivered: %s", message.id, type(error).__name__)
            else:
                if message.status == "sent":
                    message.sent_at = now
                    report.sent += 1
                else:
                    report.skipped += 1
            session.commit()
    return report


def expire_waitlist_offers(*, sessions: sessionmaker[Session], now: datetime) -> int:
    """Lapsed waitlist offers go to the next patient in line."""
    with sessions() as session:
        count = waitlist.expire_offers(session=session, now=now)
        session.commit()
    return count


def smtp_senders(settings: Settings) -> Senders:
    """E-mail over the configured SMTP server (the demo's local sink under `serve --demo`);
    SMS and WhatsApp to the log, until a gateway is configured."""
    return Senders(
        email=senders.SmtpEmailSender(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender
        ),
        short_message=senders.LoggingShortMessageSender(),
    )


def deliver_round(
    *, sessions: sessionmaker[Session], outlets: Senders, settings: Settings, now: datetime
) -> DeliveryReport:
    """One round of the worker: lapsed waitlist offers passed on, then due messages sent."""
    expire_waitlist_offers(sessions=sessions, now=now)
    return deliver_due(sessions=sessions, outlets=outlets, settings=settings, now=now)


class BackgroundWorker:
    """The outbox worker in a thread of the serving process, so `make run` sends what it
    promises without a second command.

    Each round runs `deliver_round` at the wall clock's time, then waits `interval` seconds or
    until `stop`. A round that fails (the database busy, say) is logged and the next one tries
    again: the messages stay pending in the outbox, so nothing is lost. Several processes may
    run it at once (PostgreSQL claims each message with SKIP LOCKED)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        outlets: Senders,
        settings: Settings,
        interval: float = 2.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._outlets = outlets
        self._settings = settings
        self._interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="plexcare-outbox-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                report = deliver_round(
                    sessions=self._sessions,
                    outlets=self._outlets,
                    settings=self._settings,
                    now=self._clock(),
                )
            except Exception:
                _log.exception("outbox round failed; trying again")
            else:
                if report.sent or report.failed or report.retried:
                    _log.info(
                        "outbox: sent %d, retried %d, failed %d",
                        report.sent,
                        report.retried,
                        report.failed,
                    )
            self._stopping.wait(self._interval)
