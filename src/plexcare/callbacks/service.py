"""Callback use-cases: a request from anyone (rate-limited), and the front desk's queue.
Never commits.

The rate limit counts accepted requests in the database, not in one process's memory, so it
holds when several app processes or hosts serve the form: at most 5 an hour from one client
(an IPv6 client by its /64) and 3 a day for one phone number (`rate_limit.decide` with the
limits of `CallbackRateLimiter`). Counting and saving are one step per key: the request first
locks the client's and the number's rows (`repository.lock_rate_keys`), so a burst of requests
for one number is counted one after another and accepts exactly the limit, on PostgreSQL as
on SQLite. The response target is computed once from the clinic's hours
(`queue_rules.response_due`) and stored, so "overdue" is a comparison with the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import lru_cache

from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.callbacks import repository
from plexcare.callbacks.models import CallbackRequest
from plexcare.callbacks.phone import normalize_phone_number
from plexcare.callbacks.queue_rules import (
    ClinicHours,
    ResponseTargets,
    check_urgency,
    response_due,
    validate_preferred_window,
)
from plexcare.callbacks.rate_limit import CallbackRateLimiter, RateDecision, client_key, decide
from plexcare.callbacks.schemas import CallbackStatus
from plexcare.config import get_settings
from plexcare.errors import Conflict, InvalidInput, NotFound, ServiceError

LIMITS = CallbackRateLimiter()
LONGEST_WINDOW = max(LIMITS.per_client.window, LIMITS.per_phone.window)
"""A key untouched for this long counts no request, so its lock row can go."""
UNKNOWN_CLIENT = "unknown"
KEY_LENGTH = 64
"""`CallbackRequest.client_key` and `CallbackRateKey.key` hold this many characters; the key is
cut once, so the stored key and the counted one are the same."""


class TooManyRequests(ServiceError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class CallbackView:
    request: CallbackRequest
    overdue: bool


FULL_NAME_LIMIT = 200
REASON_LIMIT = 1000


@lru_cache(maxsize=8)
def _public_holidays(region: str, first_year: int) -> frozenset[date]:
    """Two years of the clinic calendar's public holidays: enough for any response target.
    `holidays` is imported on first use, as in `scheduling.closures`, to keep it out of the
    start."""
    import holidays

    country, _, subdivision = region.partition("-")
    calendar = holidays.country_holidays(
        country, subdiv=subdivision or None, years=(first_year, first_year + 1)
    )
    return frozenset(calendar)


def clinic_hours(now: datetime | None = None) -> ClinicHours:
    """When the phones are staffed, from settings: working days, opening and closing times,
    and the public holidays of the clinic's calendar (closed), so a promise made on a Friday
    evening before a bank holiday Monday names Tuesday."""
    settings = get_settings()
    year = (now or datetime.now(UTC)).astimezone(settings.clinic_zone).year
    return ClinicHours(
        time_zone=settings.clinic_timezone,
        opens=time.fromisoformat(settings.clinic_opens),
        closes=time.fromisoformat(settings.clinic_closes),
        holidays=_public_holidays(settings.public_holidays, year),
    )


def clinic_targets(now: datetime | None = None) -> ResponseTargets:
    return ResponseTargets(hours=clinic_hours(now))


def is_overdue(request: CallbackRequest, now: datetime) -> bool:
    return request.status in repository.OPEN_STATUSES and now > request.due_at


def _rate_decision(*, session: Session, client: str, phone: str, now: datetime) -> RateDecision:
    by_client = decide(
        repository.requested_since(
            session=session, since=now - LIMITS.per_client.window, client_key=client
        ),
        now=now,
        rule=LIMITS.per_client,
    )
    by_phone = decide(
        repository.requested_since(
            session=session, since=now - LIMITS.per_phone.window, phone=phone
        ),
        now=now,
        rule=LIMITS.per_phone,
    )
    refused = [
        *([replace(by_client, limited_by="client")] if not by_client.allowed else []),
        *([replace(by_phone, limited_by="phone")] if not by_phone.allowed else []),
    ]
    if refused:
        return max(refused, key=lambda decision: decision.retry_after_seconds)
    return RateDecision(allowed=True, remaining=min(by_client.remaining, by_phone.remaining))


def request_callback(
    *,
    session: Session,
    actor: Actor,
    full_name: str,
    phone: str,
    region: str,
    preferred_start: datetime | None,
    preferred_end: datetime | None,
    reason: str,
    urgency: str,
    now: datetime,
) -> CallbackRequest:
    """Queue a callback; no account needed. An emergency is refused with emergency advice."""
    chosen = check_urgency(urgency)
    if not full_name.strip():
        raise InvalidInput("enter the name to ask for", field="full_name")
    if len(full_name.strip()) > FULL_NAME_LIMIT:
        raise InvalidInput(f"a name may be at most {FULL_NAME_LIMIT} characters", field="full_name")
    if len(reason.strip()) > REASON_LIMIT:
        raise InvalidInput(f"a reason may be at most {REASON_LIMIT:,} characters", field="reason")
    number = normalize_phone_number(phone, region=region)
    targets = clinic_targets(now)
    if (preferred_start is None) != (preferred_end is None):
        missing = "preferred_end" if preferred_end is None else "preferred_start"
        raise InvalidInput("give both ends of the preferred window, or neither", field=missing)
    if preferred_start is not None and preferred_end is not None:
        window = validate_preferred_window(
            preferred_start, preferred_end, now=now, hours=targets.hours
        )
        preferred_start, preferred_end = window.start, window.end
    client = client_key(actor.client_ip or UNKNOWN_CLIENT)[:KEY_LENGTH]
    repository.lock_rate_keys(
        session=session, keys=(("client", client), ("phone", number)), now=now
    )
    decision = _rate_decision(session=session, client=client, phone=number, now=now)
    if not decision.allowed:
        if decision.limited_by == "client":
            about, rule = "from this address", LIMITS.per_client
        else:
            about, rule = "for this number", LIMITS.per_phone
        raise TooManyRequests(
            f"too many callback requests {about} ({rule}); try again in "
            f"{decision.retry_after_seconds} seconds, or call the clinic",
            retry_after_seconds=decision.retry_after_seconds,
        )
    request = CallbackRequest(
        full_name=full_name.strip(),
        phone=number,
        preferred_start=preferred_start,
        preferred_end=preferred_end,
        reason=reason.strip(),
        urgency=chosen,
        status=CallbackStatus.new.value,
        patient_user_id=actor.user_id if actor.is_patient else None,
        client_key=client,
        note="",
        created_at=now,
        due_at=response_due(requested_at=now, urgency=chosen, targets=targets),
        updated_at=now,
    )
    session.add(request)
    session.flush()
    repository.forget_idle_rate_keys(session=session, idle_since=now - LONGEST_WINDOW)
    audit.record_access(
        session=session,
        actor=actor,
        action="create",
        subject_type="callback_request",
        subject_id=request.id,
        patient_user_id=request.patient_user_id,
        now=now,
    )
    return request


def desk_queue(
    *,
    session: Session,
    actor: Actor,
    status: CallbackStatus | None,
    owner_user_id: int | None,
    overdue_only: bool,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[CallbackView], int]:
    rows, total = repository.queue(
        session=session,
        status=status.value if status else None,
        owner_user_id=owner_user_id,
        overdue_at=now if overdue_only else None,
        limit=limit,
        offset=offset,
    )
    for row in rows:
        audit.record_access(
            session=session,
            actor=actor,
            action="read",
            subject_type="callback_request",
            subject_id=row.id,
            patient_user_id=row.patient_user_id,
            now=now,
        )
    return [CallbackView(request=row, overdue=is_overdue(row, now)) for row in rows], total


def update_callback(
    *,
    session: Session,
    actor: Actor,
    callback_id: int,
    status: CallbackStatus | None,
    owner_user_id: int | None,
    note: str | None,
    fields_set: Sequence[str],
    now: datetime,
) -> CallbackView:
    """Take a request, hand it to a colleague, record the outcome or a note."""
    actor.require_role(Role.front_desk, Role.admin)
    request = repository.callback_request(session=session, callback_id=callback_id, for_update=True)
    if request is None:
        raise NotFound("no such callback request")
    taken_by_colleague = request.status == CallbackStatus.in_progress.value and (
        request.owner_user_id not in (None, actor.user_id)
    )
    if (
        status is CallbackStatus.in_progress
        and taken_by_colleague
        and "owner_user_id" not in (fields_set)
    ):
        raise Conflict("a colleague has already taken this request", field="status")
    if "owner_user_id" in fields_set:
        if owner_user_id is not None:
            owner = accounts_repository.user_by_id(session=session, user_id=owner_user_id)
            if owner is None or owner.role not in (Role.front_desk, Role.admin):
                raise InvalidInput("name a front-desk colleague", field="owner_user_id")
        request.owner_user_id = owner_user_id
    if status is not None:
        request.status = status.value
        if status is CallbackStatus.in_progress and request.owner_user_id is None:
            request.owner_user_id = actor.user_id
    if note is not None:
        request.note = note
    request.updated_at = now
    session.flush()
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="callback_request",
        subject_id=request.id,
        patient_user_id=request.patient_user_id,
        now=now,
    )
    return CallbackView(request=request, overdue=is_overdue(request, now))
