"""Account use-cases: register, sign in, issue and resolve tokens. Never commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from plexcare.accounts import repository
from plexcare.accounts.models import AccessToken, User
from plexcare.accounts.passwords import hash_password, verify_password
from plexcare.accounts.roles import Role
from plexcare.callbacks.phone import normalize_phone_number
from plexcare.config import get_settings
from plexcare.errors import Conflict, NotAuthenticated

TOKEN_KINDS = ("bearer", "session")


def _token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def create_user(
    *,
    session: Session,
    email: str,
    password: str,
    full_name: str,
    role: Role,
    now: datetime,
    phone: str | None = None,
    consent_email: bool = True,
    consent_sms: bool = False,
) -> User:
    """A new account; the e-mail address is unique whatever its letter case."""
    email = email.lower()
    if repository.user_by_email(session=session, email=email) is not None:
        raise Conflict("an account with this e-mail address already exists", field="email")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role.value,
        full_name=full_name,
        phone=_e164(phone),
        consent_email=consent_email,
        consent_sms=consent_sms,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User:
    user = repository.user_by_email(session=session, email=email)
    if not verify_password(user.password_hash if user else None, password):
        raise NotAuthenticated("wrong e-mail address or password")
    assert user is not None
    if not user.is_active:
        raise NotAuthenticated("this account is disabled")
    return user


def issue_token(
    *, session: Session, user: User, kind: str, now: datetime, lifetime: timedelta
) -> tuple[str, AccessToken]:
    """A new random token; only its hash is stored, the raw value is returned once."""
    if kind not in TOKEN_KINDS:
        raise ValueError(f"unknown token kind {kind!r}")
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user_id=user.id,
        token_hash=_token_hash(raw),
        kind=kind,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return raw, token


def user_for_token(*, session: Session, raw_token: str, kind: str, now: datetime) -> User | None:
    """The active user a live token of this kind belongs to, or None."""
    return repository.live_token_owner(
        session=session, token_hash=_token_hash(raw_token), kind=kind, now=now
    )


def holder_of_token(
    *, session: Session, raw_token: str, kind: str, now: datetime
) -> tuple[int, str] | None:
    """(user id, role) of the active user a live token of this kind belongs to, or None."""
    return repository.live_token_holder(
        session=session, token_hash=_token_hash(raw_token), kind=kind, now=now
    )


def revoke_token(*, session: Session, raw_token: str, now: datetime) -> None:
    token = repository.token_by_hash(session=session, token_hash=_token_hash(raw_token))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now


def update_contact_preferences(
    *,
    session: Session,
    user: User,
    consent_email: bool | None,
    consent_sms: bool | None,
    phone: str | None,
) -> User:
    if consent_email is not None:
        user.consent_email = consent_email
    if consent_sms is not None:
        user.consent_sms = consent_sms
    if phone is not None:
        user.phone = _e164(phone)
    session.flush()
    return user


def _e164(phone: str | None) -> str | None:
    """Phone numbers are stored in E.164 so reminders by SMS reach them; bad ones are refused."""
    if phone is None:
        return None
    return normalize_phone_number(phone, region=get_settings().phone_region)
