"""Account use-cases: register, sign in, issue and resolve tokens. Never commits.

Two doors are open to anyone, and neither says whether an e-mail address has an account:

- `sign_in` answers a wrong password and an unknown address alike, and throttles failures per
  account and per client address (`login_throttle`) with counters in the database, so every
  app process shares them. A locked key is refused before any password is checked, so the
  answer is the same for an account that exists and one that does not, and a right password
  is refused too until the lock ends. The caller commits even when sign-in fails: the failure
  must be counted.
- `register_patient` gives the same answer, in about the same time, whether it created an
  account or found one already there (then it creates nothing and notes the attempt in the
  audit log).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts import repository
from plexcare.accounts.actor import ANONYMOUS, Actor
from plexcare.accounts.login_throttle import Scope, ThrottleRule, ThrottleState, after_failure
from plexcare.accounts.models import AccessToken, User
from plexcare.accounts.passwords import hash_password, verify_password
from plexcare.accounts.roles import Role
from plexcare.accounts.token_holders import TokenHolders
from plexcare.audit import service as audit
from plexcare.callbacks.phone import normalize_phone_number
from plexcare.callbacks.rate_limit import client_key
from plexcare.config import Settings, get_settings
from plexcare.errors import Conflict, NotAuthenticated, ServiceError

TOKEN_KINDS = ("bearer", "session")
WRONG_CREDENTIALS = "wrong e-mail address or password"
UNKNOWN_CLIENT = "unknown"
IDLE_THROTTLE_ROWS = timedelta(days=2)
"""A throttle row untouched this long (and not locked) no longer matters and is deleted."""


class SignInThrottled(ServiceError):
    """Too many failed sign-ins for this account or from this address; try again later."""

    status = 429
    title = "Too many requests"

    def __init__(self, *, retry_after_seconds: int) -> None:
        minutes = -(-retry_after_seconds // 60)
        super().__init__(
            "too many failed sign-in attempts; try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}"
        )
        self.retry_after_seconds = retry_after_seconds


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


def register_patient(
    *,
    session: Session,
    email: str,
    password: str,
    full_name: str,
    client_ip: str | None,
    now: datetime,
    phone: str | None = None,
    consent_email: bool = True,
    consent_sms: bool = False,
) -> None:
    """A new patient account, unless the address already has one: then nothing is created and
    the attempt is audited. Returns nothing, so no caller can tell the two apart.

    The password is hashed either way (the slow step), so the time taken does not tell them
    apart either. Two registrations of one new address at once create one account: the
    second meets the unique index and is treated as "already there".
    """
    email = email.strip().lower()
    e164 = _e164(phone)
    password_hash = hash_password(password)
    visitor = Actor(user_id=None, role=ANONYMOUS, client_ip=client_ip)
    existing = repository.user_by_email(session=session, email=email)
    if existing is None:
        user = User(
            email=email,
            password_hash=password_hash,
            role=Role.patient.value,
            full_name=full_name,
            phone=e164,
            consent_email=consent_email,
            consent_sms=consent_sms,
            is_active=True,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(user)
        except IntegrityError:
            existing = repository.user_by_email(session=session, email=email)
        else:
            _audit_account(session=session, actor=visitor, action="create", user=user, now=now)
            return
    if existing is not None:
        _audit_account(
            session=session, actor=visitor, action="register_existing", user=existing, now=now
        )


def authenticate(*, session: Session, email: str, password: str) -> User:
    """The active account these credentials open, with no throttling: for trusted callers
    (tests, the command line). Public sign-in goes through `sign_in`."""
    user = repository.user_by_email(session=session, email=email)
    if not verify_password(user.password_hash if user else None, password):
        raise NotAuthenticated(WRONG_CREDENTIALS)
    assert user is not None
    if not user.is_active:
        raise NotAuthenticated("this account is disabled")
    return user


def throttle_rules(settings: Settings) -> dict[Scope, ThrottleRule]:
    window = timedelta(minutes=settings.login_window_minutes)
    return {
        "account": ThrottleRule(limit=settings.login_failures_per_account, window=window),
        "address": ThrottleRule(limit=settings.login_failures_per_address, window=window),
    }


def account_key(email: str, *, secret: str) -> str:
    """The throttle key of an e-mail address as typed: a keyed hash, 64 hex characters."""
    normalized = email.strip().lower().encode()
    return hmac.new(secret.encode(), normalized, hashlib.sha256).hexdigest()


def sign_in(
    *, session: Session, email: str, password: str, client_ip: str | None, now: datetime
) -> User:
    """The account these credentials open, throttled per account and per client address.

    Raises `SignInThrottled` while either key is locked (whatever the password), and
    `NotAuthenticated` for a wrong password, an unknown address or a disabled account; both
    change the throttle's rows, so the caller commits before answering.
    """
    settings = get_settings()
    rules = throttle_rules(settings)
    keys: dict[Scope, repository.ThrottleKey] = {
        "account": ("account", account_key(email, secret=settings.secret_key)),
        "address": ("address", client_key(client_ip or UNKNOWN_CLIENT)[:64]),
    }
    _refuse_if_locked(
        session=session,
        states=repository.login_throttles(session=session, keys=keys.values()),
        now=now,
    )
    user = repository.user_by_email(session=session, email=email)
    verified = verify_password(user.password_hash if user else None, password)
    # The password was checked without holding the rows, so a burst of guesses is hashed in
    # parallel; the verdict is given under the rows' locks, from the latest count.
    states = repository.lock_login_throttles(session=session, keys=keys.values(), now=now)
    _refuse_if_locked(session=session, states=states, now=now)
    visitor = Actor(user_id=None, role=ANONYMOUS, client_ip=client_ip)
    if verified and user is not None and user.is_active:
        repository.save_login_throttle(
            session=session, key=keys["account"], state=ThrottleState(), now=now
        )
        signed_in = Actor(user_id=user.id, role=user.role, client_ip=client_ip)
        _audit_account(session=session, actor=signed_in, action="sign_in", user=user, now=now)
        return user
    locked_out = False
    for scope, key in keys.items():
        before = states[key]
        after = after_failure(before, now=now, rule=rules[scope])
        repository.save_login_throttle(session=session, key=key, state=after, now=now)
        if after.lockouts > before.lockouts:
            locked_out = True
            _audit_lockout(
                session=session, actor=visitor, scope=scope, key=key[1], user=user, now=now
            )
    if locked_out:
        # Rare enough to cost nothing, often enough to keep the table small.
        repository.forget_idle_login_throttles(
            session=session, idle_since=now - IDLE_THROTTLE_ROWS, batch=100
        )
    if user is not None:
        _audit_account(session=session, actor=visitor, action="sign_in_failed", user=user, now=now)
    if verified and user is not None:
        raise NotAuthenticated("this account is disabled")
    raise NotAuthenticated(WRONG_CREDENTIALS)


def _refuse_if_locked(
    *, session: Session, states: dict[repository.ThrottleKey, ThrottleState], now: datetime
) -> None:
    waits = {key: state.wait_seconds(now) for key, state in states.items()}
    locked = [key for key, wait in waits.items() if wait]
    if locked:
        repository.count_refused_sign_ins(session=session, keys=locked)
        raise SignInThrottled(retry_after_seconds=max(waits.values()))


def _audit_account(
    *, session: Session, actor: Actor, action: str, user: User, now: datetime
) -> None:
    audit.record_access(
        session=session,
        actor=actor,
        action=action,
        subject_type="account",
        subject_id=user.id,
        patient_user_id=user.id if user.role == Role.patient else None,
        now=now,
    )


def _audit_lockout(
    *, session: Session, actor: Actor, scope: Scope, key: str, user: User | None, now: datetime
) -> None:
    """A lock-out names the account (or, with none, the start of the address's keyed hash, so
    repeated lock-outs of one unknown address can be told apart) or the client address."""
    if scope == "account" and user is not None:
        _audit_account(session=session, actor=actor, action="locked_out", user=user, now=now)
    else:
        audit.record_access(
            session=session,
            actor=actor,
            action="locked_out",
            subject_type="sign_in_account" if scope == "account" else "client_address",
            subject_id=key[:16] if scope == "account" else key,
            patient_user_id=None,
            now=now,
        )


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
    *,
    session: Session,
    raw_token: str,
    kind: str,
    now: datetime,
    remembered: TokenHolders | None = None,
) -> tuple[int, str] | None:
    """(user id, role) of the active user a live token of this kind belongs to, or None.

    With `remembered`, an answer given in the last few seconds is reused (`token_holders`
    says what that allows), and a fresh one from the database is remembered."""
    token_hash = _token_hash(raw_token)
    holder = remembered.recall(token_hash, now) if remembered is not None else None
    if holder is None:
        holder = repository.live_token_holder(
            session=session, token_hash=token_hash, kind=kind, now=now
        )
        if holder is None:
            return None
        if remembered is not None:
            remembered.remember(token_hash, holder)
    return holder.user_id, holder.role


def remembered_holder_of_token(
    *, raw_token: str, now: datetime, remembered: TokenHolders
) -> tuple[int, str] | None:
    """(user id, role) if this process remembers the token's holder, without asking the
    database (so an `async` caller may ask it on the event loop); None means "ask
    `holder_of_token`", not "refused"."""
    holder = remembered.recall(_token_hash(raw_token), now)
    return None if holder is None else (holder.user_id, holder.role)


async def holder_of_bearer_token_on(
    connection: asyncpg.Connection, *, raw_token: str, now: datetime, remembered: TokenHolders
) -> tuple[int, str] | None:
    """`holder_of_token` for a bearer token this process does not remember, asked on the event
    loop through asyncpg (the quick booking's first sight of a token), and remembered as
    `holder_of_token` remembers it."""
    token_hash = _token_hash(raw_token)
    holder = await repository.live_token_holder_on(
        connection, token_hash=token_hash, kind="bearer", now=now
    )
    if holder is None:
        return None
    remembered.remember(token_hash, holder)
    return holder.user_id, holder.role


def revoke_token(*, session: Session, raw_token: str, now: datetime) -> None:
    """The token stops working: at once for page sessions (never remembered), within
    `PLEXCARE_TOKEN_CACHE_SECONDS` for a bearer token an app process has just seen."""
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
