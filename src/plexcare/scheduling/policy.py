"""The clinic's rules for changing an appointment: notice, holds, and which status may follow which.

Every function takes ``now`` explicitly, so the booking service decides with the request's clock
and tests decide with a fixed one. Nothing here touches the database; the service stores what
these functions answer (e.g. a late cancellation's ``counts_toward_no_show`` as a strike).

Usage::

    from plexcare.scheduling.policy import (
        AppointmentStatus, HoldPolicy, HoldPurpose, NoticePolicy, NoShowPolicy,
        check_transition, decide_cancellation, hold_expires_at, is_hold_active,
        is_booking_restricted,
    )

    decision = decide_cancellation(
        policy=NoticePolicy(), appointment_start=appointment.start, now=now, by_clinic=False
    )
    if not decision.allowed:
        raise Conflict(decision.reason)
    if decision.counts_toward_no_show:
        record_strike(patient, at=now)            # the service's own storage

    check = check_transition(
        current=AppointmentStatus.BOOKED, target=AppointmentStatus.NO_SHOW,
        appointment_start=appointment.start, now=now,
    )
    expires = hold_expires_at(placed_at=now, policy=HoldPolicy(), purpose=HoldPurpose.CHECKOUT)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "AppointmentStatus",
    "BookingLimits",
    "ChangeDecision",
    "HoldPolicy",
    "HoldPurpose",
    "NoShowPolicy",
    "NoticePolicy",
    "PolicyInputError",
    "TransitionCheck",
    "check_transition",
    "decide_cancellation",
    "decide_reschedule",
    "hold_expires_at",
    "is_booking_restricted",
    "is_hold_active",
]


class PolicyInputError(ValueError):
    """Bad policy input, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _require_aware(value: datetime, field_name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PolicyInputError(field_name, "must be a time-zone-aware datetime")


class AppointmentStatus(StrEnum):
    """Where an appointment is in its life. Only BOOKED can change; the others are final."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    RESCHEDULED = "rescheduled"


@dataclass(frozen=True)
class NoticePolicy:
    """How much notice a patient owes the clinic before cancelling or moving an appointment.

    Inside the notice window a change is *late*: by default still allowed (a patient who cannot
    come should free the slot for someone else) but flagged, and a late cancellation counts
    toward the no-show policy. A clinic can forbid late changes instead.
    """

    cancellation_notice: timedelta = timedelta(hours=24)
    reschedule_notice: timedelta = timedelta(hours=24)
    allow_late_cancellation: bool = True
    allow_late_reschedule: bool = True
    late_cancellation_counts_toward_no_show: bool = True
    late_reschedule_counts_toward_no_show: bool = False

    def __post_init__(self) -> None:
        if self.cancellation_notice < timedelta(0):
            raise PolicyInputError("cancellation_notice", "must not be negative")
        if self.reschedule_notice < timedelta(0):
            raise PolicyInputError("reschedule_notice", "must not be negative")


@dataclass(frozen=True)
class ChangeDecision:
    """The answer to "may this appointment be cancelled / moved now", with the reason shown."""

    allowed: bool
    late: bool
    counts_toward_no_show: bool
    reason: str


def _decide_change(
    *,
    verb: str,
    notice: timedelta,
    allow_late: bool,
    late_counts: bool,
    appointment_start: datetime,
    now: datetime,
    by_clinic: bool,
) -> ChangeDecision:
    _require_aware(appointment_start, "appointment_start")
    _require_aware(now, "now")
    if now >= appointment_start:
        return ChangeDecision(
            allowed=False,
            late=True,
            counts_toward_no_show=False,
            reason=f"the appointment has already started and can no longer be {verb}",
        )
    if by_clinic:
        return ChangeDecision(
            allowed=True, late=False, counts_toward_no_show=False, reason=f"{verb} by the clinic"
        )
    if appointment_start - now >= notice:
        return ChangeDecision(
            allowed=True, late=False, counts_toward_no_show=False, reason="enough notice given"
        )
    hours = notice.total_seconds() / 3600
    if not allow_late:
        return ChangeDecision(
            allowed=False,
            late=True,
            counts_toward_no_show=False,
            reason=f"appointments cannot be {verb} less than {hours:g} hours ahead; "
            "please call the clinic",
        )
    return ChangeDecision(
        allowed=True,
        late=True,
        counts_toward_no_show=late_counts,
        reason=f"{verb} with less than {hours:g} hours' notice",
    )


def decide_cancellation(
    *, policy: NoticePolicy, appointment_start: datetime, now: datetime, by_clinic: bool = False
) -> ChangeDecision:
    """Whether the appointment may be cancelled now, and whether it is late.

    Nothing can be cancelled once it has started (staff mark it completed or no-show instead).
    A cancellation by the clinic is never late and never counts against the patient.
    """
    return _decide_change(
        verb="cancelled",
        notice=policy.cancellation_notice,
        allow_late=policy.allow_late_cancellation,
        late_counts=policy.late_cancellation_counts_toward_no_show,
        appointment_start=appointment_start,
        now=now,
        by_clinic=by_clinic,
    )


def decide_reschedule(
    *, policy: NoticePolicy, appointment_start: datetime, now: datetime, by_clinic: bool = False
) -> ChangeDecision:
    """Whether the appointment may be moved now; the new slot is checked by availability."""
    return _decide_change(
        verb="rescheduled",
        notice=policy.reschedule_notice,
        allow_late=policy.allow_late_reschedule,
        late_counts=policy.late_reschedule_counts_toward_no_show,
        appointment_start=appointment_start,
        now=now,
        by_clinic=by_clinic,
    )


@dataclass(frozen=True)
class TransitionCheck:
    """Whether a status change is allowed, with the reason to show when it is not."""

    allowed: bool
    reason: str


_BEFORE_START = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED})
_AFTER_START = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW})


def check_transition(
    *,
    current: AppointmentStatus,
    target: AppointmentStatus,
    appointment_start: datetime,
    now: datetime,
) -> TransitionCheck:
    """Whether ``current → target`` is allowed at ``now``.

    Only a BOOKED appointment changes. Cancelling and rescheduling happen before it starts;
    marking it completed or a no-show happens once it has started, because nobody can have
    missed an appointment that has not begun. Notice rules come on top (decide_cancellation).
    """
    _require_aware(appointment_start, "appointment_start")
    _require_aware(now, "now")
    if current is not AppointmentStatus.BOOKED:
        return TransitionCheck(
            allowed=False, reason=f"a {current.value} appointment can no longer change"
        )
    if target in _BEFORE_START:
        if now >= appointment_start:
            return TransitionCheck(
                allowed=False, reason=f"cannot be {target.value} after it has started"
            )
        return TransitionCheck(allowed=True, reason=f"booked → {target.value}")
    if target in _AFTER_START:
        if now < appointment_start:
            return TransitionCheck(
                allowed=False, reason=f"cannot be marked {target.value} before it starts"
            )
        return TransitionCheck(allowed=True, reason=f"booked → {target.value}")
    return TransitionCheck(allowed=False, reason="the appointment is already booked")


@dataclass(frozen=True)
class BookingLimits:
    """How much of the calendar one patient may take when booking for themselves.

    `open_appointments` counts booked appointments that have not started yet. Six covers a
    work-up (consultation, nerve studies, imaging review, follow-ups) with room to spare, and
    stops one account from emptying a clinic's week. The front desk is not limited: it books
    treatment courses on purpose. Nobody, patient or staff, can book one patient into two
    appointments at once.
    """

    open_appointments: int = 6

    def __post_init__(self) -> None:
        if self.open_appointments < 1:
            raise PolicyInputError("open_appointments", "must be at least 1")


class HoldPurpose(StrEnum):
    """Why a slot is held: a patient filling in the booking form, or a waitlist offer."""

    CHECKOUT = "checkout"
    WAITLIST_OFFER = "waitlist_offer"


@dataclass(frozen=True)
class HoldPolicy:
    """How long a held slot stays reserved before it returns to everyone.

    A checkout hold is short (the patient is on the page); a waitlist offer is longer because
    the patient has to read a message first.
    """

    checkout: timedelta = timedelta(minutes=10)
    waitlist_offer: timedelta = timedelta(hours=2)

    def __post_init__(self) -> None:
        if self.checkout <= timedelta(0):
            raise PolicyInputError("checkout", "must be positive")
        if self.waitlist_offer <= timedelta(0):
            raise PolicyInputError("waitlist_offer", "must be positive")


def hold_expires_at(
    *,
    placed_at: datetime,
    policy: HoldPolicy,
    purpose: HoldPurpose,
    slot_start: datetime | None = None,
) -> datetime:
    """When a hold placed at ``placed_at`` lapses; never later than the slot's own start."""
    _require_aware(placed_at, "placed_at")
    length = policy.checkout if purpose is HoldPurpose.CHECKOUT else policy.waitlist_offer
    expires = placed_at + length
    if slot_start is not None:
        _require_aware(slot_start, "slot_start")
        expires = min(expires, slot_start)
    return expires


def is_hold_active(*, expires_at: datetime, now: datetime) -> bool:
    """A hold reserves its slot strictly before ``expires_at``; at that instant it is gone."""
    _require_aware(expires_at, "expires_at")
    _require_aware(now, "now")
    return now < expires_at


@dataclass(frozen=True)
class NoShowPolicy:
    """After this many strikes (no-shows, late cancellations) within the look-back, online
    booking is paused and the patient books through the front desk instead."""

    strikes_allowed: int = 2
    lookback: timedelta = timedelta(days=365)

    def __post_init__(self) -> None:
        if self.strikes_allowed < 0:
            raise PolicyInputError("strikes_allowed", "must not be negative")
        if self.lookback <= timedelta(0):
            raise PolicyInputError("lookback", "must be positive")


def is_booking_restricted(
    *, strikes: Iterable[datetime], now: datetime, policy: NoShowPolicy
) -> bool:
    """True when the strikes inside the look-back exceed what the policy allows."""
    _require_aware(now, "now")
    recent = 0
    for strike in strikes:
        _require_aware(strike, "strikes")
        if now - policy.lookback <= strike <= now:
            recent += 1
    return recent > policy.strikes_allowed
