"""Writing and reading the audit log. Never commits: an audit row shares the transaction of
the access it records, so a rolled-back write leaves no trace and a committed one always does."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent

ACTIONS = (
    "read",
    "create",
    "update",
    "delete",
    "sign_in",
    "sign_in_failed",
    "locked_out",
    "register_existing",
)
"""Accesses to records, and the events of an account's door: sign-ins, failed ones (on an
existing account), lock-outs, and a registration for an address that already has an account."""


def record_access(
    *,
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | str,
    patient_user_id: int | None,
    now: datetime,
) -> AuditEvent:
    """Note that `actor` did `action` to a patient's record."""
    event = AuditEvent(
        **_event_values(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            patient_user_id=patient_user_id,
            now=now,
        )
    )
    session.add(event)
    return event


def _event_values(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | str,
    patient_user_id: int | None,
    now: datetime,
) -> dict[str, object]:
    """One audit row's columns, for both ways of writing it; an unknown action is a bug."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return {
        "occurred_at": now,
        "actor_user_id": actor.user_id,
        "actor_role": actor.role,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "patient_user_id": patient_user_id,
        "client_ip": actor.client_ip,
    }


_INSERT_EVENT = insert(typing.cast(Table, AuditEvent.__table__))


def record_access_now(
    *,
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | str,
    patient_user_id: int | None,
    now: datetime,
) -> None:
    """`record_access` for one access on a hot path (a booking): the row is inserted at once,
    still in the caller's transaction, without the ORM unit of work, which costs more than
    the insert itself. Code that records many accesses in a loop uses `record_access`, whose
    rows go to the database in one batch at the next flush."""
    session.execute(
        _INSERT_EVENT,
        _event_values(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            patient_user_id=patient_user_id,
            now=now,
        ),
    )


def list_events(
    *,
    session: Session,
    patient_user_id: int | None,
    actor_user_id: int | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[AuditEvent], int]:
    query = select(AuditEvent)
    if patient_user_id is not None:
        query = query.where(AuditEvent.patient_user_id == patient_user_id)
    if actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == actor_user_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return events, total
