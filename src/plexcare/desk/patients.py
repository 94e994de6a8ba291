"""Finding a caller among the clinic's patients, or registering them, at the front desk.

Every patient a search shows is an audited read of their account; a registration is audited
as the account's creation by the desk. The desk never sets a password anyone knows: the
account gets a long random one, and the patient chooses their own when they first want to
sign in (until then the clinic books for them). Never commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.callbacks.phone import normalize_phone_number
from plexcare.config import get_settings
from plexcare.errors import InvalidInput, NotFound

FOUND_LIMIT = 20
NAME_LIMIT = 200
EMAIL_LIMIT = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _audit_read(session: Session, actor: Actor, user: User, now: datetime) -> None:
    audit.record_access(
        session=session,
        actor=actor,
        action="read",
        subject_type="patient",
        subject_id=user.id,
        patient_user_id=user.id,
        now=now,
    )


def find_patients(*, session: Session, actor: Actor, text: str, now: datetime) -> list[User]:
    """Patients whose name, e-mail or phone contains `text` (at least two characters)."""
    actor.require_role(Role.front_desk, Role.admin)
    wanted = text.strip().lower()[:100]
    if len(wanted) < 2:
        raise InvalidInput("type at least two letters or digits", field="q")
    pattern = f"%{wanted.replace('%', '').replace('_', '')}%"
    digits = re.sub(r"\D", "", wanted)
    rules = [func.lower(User.full_name).like(pattern), func.lower(User.email).like(pattern)]
    if len(digits) >= 4:
        rules.append(User.phone.like(f"%{digits[-9:]}%"))
    found: Sequence[User] = session.scalars(
        select(User)
        .where(User.role == Role.patient.value, or_(*rules))
        .order_by(User.full_name, User.id)
        .limit(FOUND_LIMIT)
    ).all()
    for user in found:
        _audit_read(session, actor, user, now)
    return list(found)


def patient_for_desk(*, session: Session, actor: Actor, patient_id: int, now: datetime) -> User:
    """One patient's account for the desk to book for (audited read); NotFound otherwise."""
    actor.require_role(Role.front_desk, Role.admin)
    user = session.get(User, patient_id)
    if user is None or user.role != Role.patient.value:
        raise NotFound("no such patient", field="patient_id")
    _audit_read(session, actor, user, now)
    return user


def register_caller(
    *, session: Session, actor: Actor, full_name: str, email: str, phone: str, now: datetime
) -> User:
    """A new patient account for a caller, checked field by field (a 4xx names the field)."""
    actor.require_role(Role.front_desk, Role.admin)
    name = " ".join(full_name.split())
    if not name:
        raise InvalidInput("enter the caller's name", field="full_name")
    if len(name) > NAME_LIMIT:
        raise InvalidInput(f"at most {NAME_LIMIT} characters", field="full_name")
    address = email.strip().lower()
    if len(address) > EMAIL_LIMIT or not _EMAIL.fullmatch(address):
        raise InvalidInput("enter an e-mail address like name@example.org", field="email")
    number = normalize_phone_number(phone, region=get_settings().phone_region, field="phone")
    user = accounts.create_user(
        session=session,
        email=address,
        password=secrets.token_urlsafe(32),
        full_name=name,
        role=Role.patient,
        now=now,
        phone=number,
    )
    audit.record_access(
        session=session,
        actor=actor,
        action="create",
        subject_type="patient",
        subject_id=user.id,
        patient_user_id=user.id,
        now=now,
    )
    return user
