"""The edges of the scheduling policy that `make mutate` found no test standing on: the exact
instant an appointment starts, zero-length settings, and the words a refusal gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from plexcare.scheduling.policy import (
    AppointmentStatus,
    BookingLimits,
    ChangeDecision,
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
NAIVE = datetime(2025, 7, 1, 9, 0)
BOOKED = AppointmentStatus.BOOKED


def test_a_refusal_names_the_field_and_the_problem_in_its_message() -> None:
    with pytest.raises(PolicyInputError) as raised:
        NoticePolicy(reschedule_notice=timedelta(minutes=-1))
    assert raised.value.field == "reschedule_notice"
    assert raised.value.problem == "must not be negative"
    assert str(raised.value) == "reschedule_notice: must not be negative"


@pytest.mark.parametrize(
    ("build", "field", "problem"),
    [
        (
            lambda: NoticePolicy(cancellation_notice=timedelta(hours=-1)),
            "cancellation_notice",
            "must not be negative",
        ),
        (lambda: HoldPolicy(checkout=timedelta(0)), "checkout", "must be positive"),
        (lambda: HoldPolicy(waitlist_offer=timedelta(0)), "waitlist_offer", "must be positive"),
        (lambda: NoShowPolicy(strikes_allowed=-1), "strikes_allowed", "must not be negative"),
        (lambda: NoShowPolicy(lookback=timedelta(0)), "lookback", "must be positive"),
    ],
)
def test_an_impossible_setting_is_refused_naming_it(
    build: Callable[[], object], field: str, problem: str
) -> None:
    with pytest.raises(PolicyInputError) as raised:
        build()
    assert (raised.value.field, raised.value.problem) == (field, problem)


def test_no_notice_short_notice_no_strikes_and_a_short_look_back_are_valid_settings() -> None:
    walk_in = NoticePolicy(cancellation_notice=timedelta(0), reschedule_notice=timedelta(0))
    short = NoticePolicy(
        cancellation_notice=timedelta(hours=2), reschedule_notice=timedelta(hours=2)
    )
    strict = NoShowPolicy(strikes_allowed=0, lookback=timedelta(hours=12))
    assert walk_in.cancellation_notice == walk_in.reschedule_notice == timedelta(0)
    assert short.cancellation_notice == short.reschedule_notice == timedelta(hours=2)
    assert (strict.strikes_allowed, strict.lookback) == (0, timedelta(hours=12))


def test_a_single_strike_pauses_booking_when_the_clinic_allows_none() -> None:
    strict = NoShowPolicy(strikes_allowed=0)
    assert not is_booking_restricted(strikes=[], now=START, policy=strict)
    assert is_booking_restricted(strikes=[START - timedelta(days=3)], now=START, policy=strict)


@pytest.mark.parametrize("decide", [decide_cancellation, decide_reschedule])
def test_at_the_start_a_change_is_refused_as_late_and_is_no_strike(
    decide: Callable[..., ChangeDecision],
) -> None:
    decision = decide(policy=NoticePolicy(), appointment_start=START, now=START)
    assert decision.allowed is False
    assert decision.late is True
    assert decision.counts_toward_no_show is False


def test_the_reasons_say_what_happened_and_to_what() -> None:
    started = decide_cancellation(policy=NoticePolicy(), appointment_start=START, now=START)
    assert started.reason == "the appointment has already started and can no longer be cancelled"
    moved = decide_reschedule(
        policy=NoticePolicy(), appointment_start=START, now=START - timedelta(days=3)
    )
    assert moved.reason == "enough notice given"
    by_clinic = decide_reschedule(
        policy=NoticePolicy(),
        appointment_start=START,
        now=START - timedelta(hours=1),
        by_clinic=True,
    )
    assert by_clinic.reason == "rescheduled by the clinic"
    late = decide_reschedule(
        policy=NoticePolicy(), appointment_start=START, now=START - timedelta(hours=1)
    )
    assert late.reason == "rescheduled with less than 24 hours' notice"


def test_the_clinic_moving_an_appointment_late_is_never_late() -> None:
    decision = decide_reschedule(
        policy=NoticePolicy(late_reschedule_counts_toward_no_show=True),
        appointment_start=START,
        now=START - timedelta(hours=1),
        by_clinic=True,
    )
    assert decision.allowed and not decision.late and not decision.counts_toward_no_show


def test_a_forbidden_late_change_is_refused_as_late_without_a_strike() -> None:
    strict = NoticePolicy(allow_late_reschedule=False, late_reschedule_counts_toward_no_show=True)
    decision = decide_reschedule(
        policy=strict, appointment_start=START, now=START - timedelta(hours=2)
    )
    assert not decision.allowed and decision.late and not decision.counts_toward_no_show
    assert decision.reason == (
        "appointments cannot be rescheduled less than 24 hours ahead; please call the clinic"
    )


def test_on_time_changes_are_neither_late_nor_strikes() -> None:
    for decide in (decide_cancellation, decide_reschedule):
        decision = decide(
            policy=NoticePolicy(), appointment_start=START, now=START - timedelta(days=2)
        )
        assert decision.allowed is True
        assert decision.late is False
        assert decision.counts_toward_no_show is False


@pytest.mark.parametrize(
    ("target", "allowed", "reason"),
    [
        (AppointmentStatus.CANCELLED, False, "cannot be cancelled after it has started"),
        (AppointmentStatus.RESCHEDULED, False, "cannot be rescheduled after it has started"),
        (AppointmentStatus.NO_SHOW, True, "booked → no_show"),
        (AppointmentStatus.COMPLETED, True, "booked → completed"),
        (AppointmentStatus.BOOKED, False, "the appointment is already booked"),
    ],
)
def test_at_the_very_minute_it_starts_it_may_be_marked_but_no_longer_cancelled(
    target: AppointmentStatus, allowed: bool, reason: str
) -> None:
    check = check_transition(current=BOOKED, target=target, appointment_start=START, now=START)
    assert (check.allowed, check.reason) == (allowed, reason)


def test_before_it_starts_it_may_be_cancelled_but_not_marked_missed() -> None:
    before = START - timedelta(minutes=1)
    cancel = check_transition(
        current=BOOKED, target=AppointmentStatus.CANCELLED, appointment_start=START, now=before
    )
    assert (cancel.allowed, cancel.reason) == (True, "booked → cancelled")
    missed = check_transition(
        current=BOOKED, target=AppointmentStatus.NO_SHOW, appointment_start=START, now=before
    )
    assert (missed.allowed, missed.reason) == (False, "cannot be marked no_show before it starts")


def test_a_final_status_is_refused_as_final() -> None:
    check = check_transition(
        current=AppointmentStatus.CANCELLED,
        target=AppointmentStatus.BOOKED,
        appointment_start=START,
        now=START - timedelta(days=1),
    )
    assert check.allowed is False
    assert check.reason == "a cancelled appointment can no longer change"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: is_hold_active(expires_at=NAIVE, now=START), "expires_at"),
        (lambda: is_hold_active(expires_at=START, now=NAIVE), "now"),
        (
            lambda: hold_expires_at(
                placed_at=NAIVE, policy=HoldPolicy(), purpose=HoldPurpose.CHECKOUT
            ),
            "placed_at",
        ),
        (
            lambda: hold_expires_at(
                placed_at=START,
                policy=HoldPolicy(),
                purpose=HoldPurpose.CHECKOUT,
                slot_start=NAIVE,
            ),
            "slot_start",
        ),
        (
            lambda: check_transition(
                current=BOOKED,
                target=AppointmentStatus.CANCELLED,
                appointment_start=START,
                now=NAIVE,
            ),
            "now",
        ),
        (
            lambda: decide_reschedule(policy=NoticePolicy(), appointment_start=NAIVE, now=START),
            "appointment_start",
        ),
        (
            lambda: is_booking_restricted(strikes=[NAIVE], now=START, policy=NoShowPolicy()),
            "strikes",
        ),
        (lambda: is_booking_restricted(strikes=[], now=NAIVE, policy=NoShowPolicy()), "now"),
    ],
)
def test_a_time_without_a_zone_is_refused_naming_which(
    call: Callable[[], object], field: str
) -> None:
    with pytest.raises(PolicyInputError) as raised:
        call()
    assert raised.value.field == field
    assert raised.value.problem == "must be a time-zone-aware datetime"


def test_one_open_appointment_is_the_smallest_limit_a_clinic_can_set() -> None:
    assert BookingLimits(open_appointments=1).open_appointments == 1
    with pytest.raises(PolicyInputError) as raised:
        BookingLimits(open_appointments=0)
    assert (raised.value.field, raised.value.problem) == ("open_appointments", "must be at least 1")


def test_strikes_on_the_first_and_the_last_day_of_the_look_back_both_count() -> None:
    strict = NoShowPolicy(strikes_allowed=0, lookback=timedelta(days=30))
    first_day = START - timedelta(days=30)
    assert is_booking_restricted(strikes=[first_day], now=START, policy=strict)
    assert is_booking_restricted(strikes=[START], now=START, policy=strict)
    assert not is_booking_restricted(
        strikes=[first_day - timedelta(seconds=1), START + timedelta(seconds=1)],
        now=START,
        policy=strict,
    )
