"""Notice, holds, no-show strikes and status changes, all decided with an explicit `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.scheduling.policy import (
    AppointmentStatus,
    HoldPolicy,
    HoldPurpose,
    NoShowPolicy,
    NoticePolicy,
    PolicyInputError,
    check_transition,
    decide_cancellation,
    decide_reschedule,
    hold_expires_at,
    is_booking_restricted,
    is_hold_active,
)

START = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
BOOKED = AppointmentStatus.BOOKED


def test_cancelling_two_days_ahead_is_on_time() -> None:
    decision = decide_cancellation(
        policy=NoticePolicy(), appointment_start=START, now=START - timedelta(days=2)
    )
    assert decision.allowed and not decision.late and not decision.counts_toward_no_show


def test_cancelling_the_evening_before_is_allowed_but_late_and_counts_as_a_strike() -> None:
    decision = decide_cancellation(
        policy=NoticePolicy(), appointment_start=START, now=START - timedelta(hours=14)
    )
    assert decision.allowed and decision.late and decision.counts_toward_no_show
    assert "24 hours" in decision.reason


def test_exactly_the_notice_period_ahead_is_still_on_time() -> None:
    decision = decide_cancellation(
        policy=NoticePolicy(), appointment_start=START, now=START - timedelta(hours=24)
    )
    assert not decision.late


def test_a_clinic_can_forbid_late_cancellation_online() -> None:
    strict = NoticePolicy(allow_late_cancellation=False)
    decision = decide_cancellation(
        policy=strict, appointment_start=START, now=START - timedelta(hours=2)
    )
    assert not decision.allowed and "call the clinic" in decision.reason


def test_a_clinic_can_choose_not_to_count_late_cancellations() -> None:
    lenient = NoticePolicy(late_cancellation_counts_toward_no_show=False)
    decision = decide_cancellation(
        policy=lenient, appointment_start=START, now=START - timedelta(hours=2)
    )
    assert decision.allowed and decision.late and not decision.counts_toward_no_show


def test_the_clinic_cancelling_late_never_counts_against_the_patient() -> None:
    decision = decide_cancellation(
        policy=NoticePolicy(),
        appointment_start=START,
        now=START - timedelta(hours=1),
        by_clinic=True,
    )
    assert decision.allowed and not decision.late and not decision.counts_toward_no_show


def test_nothing_can_be_cancelled_or_moved_once_it_has_started() -> None:
    for decide in (decide_cancellation, decide_reschedule):
        decision = decide(policy=NoticePolicy(), appointment_start=START, now=START)
        assert not decision.allowed


def test_a_late_reschedule_is_flagged_but_not_a_strike_by_default() -> None:
    decision = decide_reschedule(
        policy=NoticePolicy(), appointment_start=START, now=START - timedelta(hours=3)
    )
    assert decision.allowed and decision.late and not decision.counts_toward_no_show


@pytest.mark.parametrize(
    ("target", "now", "allowed"),
    [
        (AppointmentStatus.CANCELLED, START - timedelta(hours=1), True),
        (AppointmentStatus.RESCHEDULED, START - timedelta(hours=1), True),
        (AppointmentStatus.CANCELLED, START + timedelta(minutes=5), False),
        (AppointmentStatus.COMPLETED, START + timedelta(minutes=30), True),
        (AppointmentStatus.NO_SHOW, START + timedelta(minutes=15), True),
        (AppointmentStatus.NO_SHOW, START - timedelta(minutes=15), False),
        (AppointmentStatus.COMPLETED, START - timedelta(days=1), False),
        (AppointmentStatus.BOOKED, START - timedelta(days=1), False),
    ],
)
def test_a_booked_appointment_changes_status_only_at_the_right_time(
    target: AppointmentStatus, now: datetime, allowed: bool
) -> None:
    check = check_transition(current=BOOKED, target=target, appointment_start=START, now=now)
    assert check.allowed is allowed


@given(
    current=st.sampled_from([s for s in AppointmentStatus if s is not BOOKED]),
    target=st.sampled_from(list(AppointmentStatus)),
    minutes=st.integers(min_value=-10_000, max_value=10_000),
)
def test_final_statuses_never_change(
    current: AppointmentStatus, target: AppointmentStatus, minutes: int
) -> None:
    now = START + timedelta(minutes=minutes)
    check = check_transition(current=current, target=target, appointment_start=START, now=now)
    assert not check.allowed
    assert current.value in check.reason


def test_a_checkout_hold_lasts_ten_minutes_and_is_gone_at_expiry() -> None:
    placed = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    expires = hold_expires_at(placed_at=placed, policy=HoldPolicy(), purpose=HoldPurpose.CHECKOUT)
    assert expires == placed + timedelta(minutes=10)
    assert is_hold_active(expires_at=expires, now=expires - timedelta(seconds=1))
    assert not is_hold_active(expires_at=expires, now=expires)


def test_a_waitlist_offer_hold_is_longer_but_never_outlives_the_slot() -> None:
    placed = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    policy = HoldPolicy()
    far = hold_expires_at(placed_at=placed, policy=policy, purpose=HoldPurpose.WAITLIST_OFFER)
    assert far == placed + timedelta(hours=2)
    soon_slot = placed + timedelta(minutes=45)
    near = hold_expires_at(
        placed_at=placed, policy=policy, purpose=HoldPurpose.WAITLIST_OFFER, slot_start=soon_slot
    )
    assert near == soon_slot


def test_online_booking_pauses_after_too_many_recent_strikes() -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    policy = NoShowPolicy(strikes_allowed=2, lookback=timedelta(days=365))
    two_recent = [now - timedelta(days=10), now - timedelta(days=100)]
    old = now - timedelta(days=400)
    assert not is_booking_restricted(strikes=[*two_recent, old], now=now, policy=policy)
    third = now - timedelta(days=1)
    assert is_booking_restricted(strikes=[*two_recent, third], now=now, policy=policy)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: NoticePolicy(cancellation_notice=timedelta(hours=-1)), "cancellation_notice"),
        (lambda: HoldPolicy(checkout=timedelta(0)), "checkout"),
        (lambda: NoShowPolicy(strikes_allowed=-1), "strikes_allowed"),
        (
            lambda: decide_cancellation(
                policy=NoticePolicy(), appointment_start=START, now=datetime(2025, 6, 1)
            ),
            "now",
        ),
        (
            lambda: check_transition(
                current=BOOKED,
                target=AppointmentStatus.CANCELLED,
                appointment_start=datetime(2025, 7, 1),
                now=START,
            ),
            "appointment_start",
        ),
    ],
)
def test_bad_policy_input_is_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(PolicyInputError) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field == field
