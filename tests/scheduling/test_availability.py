"""Availability: slots from weekly rules, correct across daylight-saving gaps and overlaps."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plexcare.scheduling.availability import (
    AppointmentType,
    AvailabilityException,
    BookingWindow,
    BusyInterval,
    ClinicianSchedule,
    ExceptionKind,
    ResourceNeed,
    ScheduleInputError,
    Slot,
    WeeklySession,
    earliest_slot,
    find_slots,
    slot_starting_at,
    wall_clock_to_utc,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)
WIDE_WINDOW = BookingWindow(minimum_notice=timedelta(0), horizon=timedelta(days=800))
CONSULTATION = AppointmentType(code="consultation", duration=timedelta(minutes=30))
EMG = AppointmentType(
    code="emg-ncs",
    duration=timedelta(minutes=60),
    buffer=timedelta(minutes=15),
    resource_needs=(
        ResourceNeed(kind="emg-room", candidates=("emg-room-1",)),
        ResourceNeed(kind="emg-machine", candidates=("emg-machine-1", "emg-machine-2")),
    ),
)
LONDON_SPRING_FORWARD = date(2025, 3, 30)
LONDON_FALL_BACK = date(2025, 10, 26)
NEW_YORK_SPRING_FORWARD = date(2025, 3, 9)
NEW_YORK_FALL_BACK = date(2025, 11, 2)


def schedule_for(
    day: date,
    start: time,
    end: time,
    *,
    zone: str = LONDON,
    breaks: tuple[WeeklySession, ...] = (),
    exceptions: tuple[AvailabilityException, ...] = (),
) -> ClinicianSchedule:
    return ClinicianSchedule(
        clinician_id="dr-okafor",
        time_zone=zone,
        sessions=(WeeklySession(weekday=day.weekday(), start=start, end=end),),
        breaks=breaks,
        exceptions=exceptions,
    )


def slots_on(
    schedule: ClinicianSchedule,
    day: date,
    appointment_type: AppointmentType = CONSULTATION,
    **kwargs: object,
) -> tuple[Slot, ...]:
    return find_slots(
        schedule=schedule,
        appointment_type=appointment_type,
        first_day=day,
        last_day=day,
        now=LONG_AGO,
        window=WIDE_WINDOW,
        **kwargs,  # type: ignore[arg-type]
    )


def local_starts(slots: tuple[Slot, ...]) -> list[str]:
    return [slot.local_start.strftime("%H:%M %Z") for slot in slots]


# --- daylight saving -------------------------------------------------------------------------


def test_a_morning_session_on_spring_forward_day_still_starts_at_nine_local() -> None:
    slots = slots_on(schedule_for(LONDON_SPRING_FORWARD, time(9), time(12)), LONDON_SPRING_FORWARD)
    assert local_starts(slots) == [
        "09:00 BST",
        "09:30 BST",
        "10:00 BST",
        "10:30 BST",
        "11:00 BST",
        "11:30 BST",
    ]
    assert slots[0].start == datetime(2025, 3, 30, 8, 0, tzinfo=UTC)


def test_a_session_across_the_spring_gap_has_true_durations_and_no_missing_wall_times() -> None:
    schedule = schedule_for(LONDON_SPRING_FORWARD, time(0, 30), time(3, 30))
    slots = slots_on(schedule, LONDON_SPRING_FORWARD)
    # 00:30 GMT to 03:30 BST is two real hours: four half-hour slots, not six.
    assert local_starts(slots) == ["00:30 GMT", "02:00 BST", "02:30 BST", "03:00 BST"]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)
    assert not any(time(1) <= slot.local_start.time() < time(2) for slot in slots)


def test_a_session_starting_inside_the_gap_starts_when_the_clocks_jump() -> None:
    schedule = schedule_for(LONDON_SPRING_FORWARD, time(1, 30), time(3))
    slots = slots_on(schedule, LONDON_SPRING_FORWARD)
    assert local_starts(slots) == ["02:00 BST", "02:30 BST"]
    assert slots[0].start == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)


def test_a_session_across_the_autumn_overlap_yields_each_instant_once() -> None:
    slots = slots_on(schedule_for(LONDON_FALL_BACK, time(0, 30), time(3, 30)), LONDON_FALL_BACK)
    # 00:30 BST to 03:30 GMT is four real hours; 01:00 and 01:30 happen twice, an hour apart.
    assert local_starts(slots) == [
        "00:30 BST",
        "01:00 BST",
        "01:30 BST",
        "01:00 GMT",
        "01:30 GMT",
        "02:00 GMT",
        "02:30 GMT",
        "03:00 GMT",
    ]
    starts = [slot.start for slot in slots]
    assert len(set(starts)) == len(starts)
    assert all(a.end <= b.start for a, b in pairwise(slots))


def test_an_ambiguous_session_start_means_its_first_occurrence() -> None:
    slots = slots_on(schedule_for(LONDON_FALL_BACK, time(1, 30), time(2, 30)), LONDON_FALL_BACK)
    assert slots[0].start == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert local_starts(slots) == ["01:30 BST", "01:00 GMT", "01:30 GMT", "02:00 GMT"]


def test_new_york_sessions_on_both_changeover_days() -> None:
    spring = slots_on(
        schedule_for(NEW_YORK_SPRING_FORWARD, time(1), time(4), zone=NEW_YORK),
        NEW_YORK_SPRING_FORWARD,
    )
    assert local_starts(spring) == ["01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT"]
    autumn = slots_on(
        schedule_for(NEW_YORK_FALL_BACK, time(0, 30), time(2, 30), zone=NEW_YORK),
        NEW_YORK_FALL_BACK,
    )
    assert local_starts(autumn) == [
        "00:30 EDT",
        "01:00 EDT",
        "01:30 EDT",
        "01:00 EST",
        "01:30 EST",
        "02:00 EST",
    ]


def test_wall_clock_conversion_follows_the_documented_gap_and_overlap_rule() -> None:
    gap = wall_clock_to_utc(day=NEW_YORK_SPRING_FORWARD, wall_time=time(2, 30), time_zone=NEW_YORK)
    assert gap == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 03:00 EDT, the jump
    overlap = wall_clock_to_utc(day=LONDON_FALL_BACK, wall_time=time(1, 30), time_zone=LONDON)
    assert overlap == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 01:30 BST, fold=0
    assert overlap.tzinfo is UTC


# --- rules -----------------------------------------------------------------------------------

MONDAY = date(2025, 6, 2)


def test_a_weekly_break_splits_the_session_and_the_grid_restarts_after_it() -> None:
    lunch = WeeklySession(weekday=0, start=time(12), end=time(12, 45))
    schedule = schedule_for(MONDAY, time(11), time(14), breaks=(lunch,))
    assert local_starts(slots_on(schedule, MONDAY)) == [
        "11:00 BST",
        "11:30 BST",
        "12:45 BST",
        "13:15 BST",
    ]


def test_leave_closes_the_day_and_a_holiday_window_closes_part_of_it() -> None:
    leave = AvailabilityException(kind=ExceptionKind.LEAVE, first_day=MONDAY, last_day=MONDAY)
    assert slots_on(schedule_for(MONDAY, time(9), time(12), exceptions=(leave,)), MONDAY) == ()
    afternoon_off = AvailabilityException(
        kind=ExceptionKind.HOLIDAY, first_day=MONDAY, last_day=MONDAY, start=time(10), end=time(17)
    )
    schedule = schedule_for(MONDAY, time(9), time(12), exceptions=(afternoon_off,))
    assert local_starts(slots_on(schedule, MONDAY)) == ["09:00 BST", "09:30 BST"]


def test_an_extra_session_on_a_holiday_stands() -> None:
    holiday = AvailabilityException(kind=ExceptionKind.HOLIDAY, first_day=MONDAY, last_day=MONDAY)
    extra = AvailabilityException(
        kind=ExceptionKind.EXTRA_SESSION,
        first_day=MONDAY,
        last_day=MONDAY,
        start=time(14),
        end=time(15),
    )
    schedule = schedule_for(MONDAY, time(9), time(12), exceptions=(holiday, extra))
    assert local_starts(slots_on(schedule, MONDAY)) == ["14:00 BST", "14:30 BST"]


def test_the_buffer_keeps_the_clinician_and_room_occupied_after_each_study() -> None:
    slots = slots_on(schedule_for(MONDAY, time(9), time(12)), MONDAY, EMG)
    assert local_starts(slots) == ["09:00 BST", "10:15 BST"]
    assert slots[0].end - slots[0].start == timedelta(minutes=60)
    assert slots[0].occupied_until == slots[1].start


def test_an_emg_study_needs_the_room_and_a_machine_free() -> None:
    schedule = schedule_for(MONDAY, time(9), time(12))
    first = slots_on(schedule, MONDAY, EMG)[0]
    assert first.resource_ids == ("emg-room-1", "emg-machine-1")
    machine_taken = BusyInterval(start=first.start, end=first.occupied_until)
    with_spare = slots_on(schedule, MONDAY, EMG, resource_busy={"emg-machine-1": (machine_taken,)})
    assert with_spare[0].resource_ids == ("emg-room-1", "emg-machine-2")
    room_taken = slots_on(schedule, MONDAY, EMG, resource_busy={"emg-room-1": (machine_taken,)})
    assert first.start not in {slot.start for slot in room_taken}


def test_a_consultation_needs_no_room_so_a_busy_room_does_not_block_it() -> None:
    schedule = schedule_for(MONDAY, time(9), time(10))
    busy = BusyInterval(
        start=datetime(2025, 6, 2, 8, tzinfo=UTC), end=datetime(2025, 6, 2, 9, tzinfo=UTC)
    )
    assert len(slots_on(schedule, MONDAY, resource_busy={"emg-room-1": (busy,)})) == 2
    assert slots_on(schedule, MONDAY, clinician_busy=(busy,)) == ()


def test_minimum_notice_and_horizon_bound_the_offer() -> None:
    schedule = ClinicianSchedule(
        clinician_id="dr-okafor",
        time_zone=LONDON,
        sessions=tuple(WeeklySession(weekday=d, start=time(9), end=time(10)) for d in range(7)),
    )
    now = datetime(2025, 6, 2, 7, 15, tzinfo=UTC)  # 08:15 BST on Monday
    window = BookingWindow(minimum_notice=timedelta(hours=1), horizon=timedelta(days=2, hours=1))
    slots = find_slots(
        schedule=schedule,
        appointment_type=CONSULTATION,
        first_day=date(2025, 6, 1),
        last_day=date(2025, 6, 30),
        now=now,
        window=window,
    )
    assert [s.local_start.strftime("%d %H:%M") for s in slots] == [
        "02 09:30",
        "03 09:00",
        "03 09:30",
        "04 09:00",
    ]
    assert (
        earliest_slot(schedule=schedule, appointment_type=CONSULTATION, now=now, window=window)
        == slots[0]
    )


def test_slot_starting_at_accepts_a_grid_slot_and_refuses_an_off_grid_time() -> None:
    schedule = schedule_for(MONDAY, time(9), time(12))
    on_grid = datetime(2025, 6, 2, 8, 30, tzinfo=UTC)
    off_grid = datetime(2025, 6, 2, 8, 40, tzinfo=UTC)
    found = slot_starting_at(
        schedule=schedule,
        appointment_type=CONSULTATION,
        start=on_grid,
        now=LONG_AGO,
        window=WIDE_WINDOW,
    )
    assert found is not None and found.start == on_grid
    assert (
        slot_starting_at(
            schedule=schedule,
            appointment_type=CONSULTATION,
            start=off_grid,
            now=LONG_AGO,
            window=WIDE_WINDOW,
        )
        is None
    )


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: schedule_for(MONDAY, time(9), time(12), zone="Mars/Olympus"), "time_zone"),
        (lambda: WeeklySession(weekday=0, start=time(12), end=time(9)), "end"),
        (lambda: WeeklySession(weekday=7, start=time(9), end=time(12)), "weekday"),
        (lambda: AppointmentType(code="x", duration=timedelta(0)), "duration"),
        (lambda: BusyInterval(start=datetime(2025, 1, 1), end=datetime(2025, 1, 2)), "start"),
        (
            lambda: AvailabilityException(
                kind=ExceptionKind.EXTRA_SESSION, first_day=MONDAY, last_day=MONDAY
            ),
            "start",
        ),
        (
            lambda: find_slots(
                schedule=schedule_for(MONDAY, time(9), time(12)),
                appointment_type=CONSULTATION,
                first_day=MONDAY,
                last_day=MONDAY,
                now=datetime(2025, 1, 1),
                window=WIDE_WINDOW,
            ),
            "now",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(ScheduleInputError) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field == field


# --- properties ------------------------------------------------------------------------------

CHANGEOVER_DAYS = {
    LONDON: (LONDON_SPRING_FORWARD, LONDON_FALL_BACK),
    NEW_YORK: (NEW_YORK_SPRING_FORWARD, NEW_YORK_FALL_BACK),
    "Australia/Lord_Howe": (date(2025, 4, 6), date(2025, 10, 5)),  # half-hour changes
    "Asia/Kolkata": (date(2025, 3, 30),),  # no daylight saving at all
}
FIVE_MINUTES = timedelta(minutes=5)


@st.composite
def wall_windows(draw: st.DrawFn) -> tuple[time, time]:
    # Half the time near 00:00–03:30, where the changeovers happen.
    start = draw(st.integers(min_value=0, max_value=42) | st.integers(min_value=0, max_value=281))
    end = draw(st.integers(min_value=start + 6, max_value=min(start + 72, 287)))
    return time(start // 12, start % 12 * 5), time(end // 12, end % 12 * 5)


@st.composite
def weekly(draw: st.DrawFn, around: date) -> WeeklySession:
    start, end = draw(wall_windows())
    day = around + timedelta(days=draw(st.integers(0, 2)))
    return WeeklySession(weekday=day.weekday(), start=start, end=end)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    zone = draw(st.sampled_from(sorted(CHANGEOVER_DAYS)))
    changeover = draw(st.sampled_from(CHANGEOVER_DAYS[zone]))
    first_day = changeover - timedelta(days=draw(st.integers(0, 1)))
    last_day = first_day + timedelta(days=draw(st.integers(0, 3)))
    extras = []
    for _ in range(draw(st.integers(0, 2))):
        start, end = draw(wall_windows())
        day = first_day + timedelta(days=draw(st.integers(0, 3)))
        kind = draw(st.sampled_from(list(ExceptionKind)))
        whole_day = kind is not ExceptionKind.EXTRA_SESSION and draw(st.booleans())
        extras.append(
            AvailabilityException(
                kind=kind,
                first_day=day,
                last_day=day,
                start=None if whole_day else start,
                end=None if whole_day else end,
            )
        )
    schedule = ClinicianSchedule(
        clinician_id="dr-okafor",
        time_zone=zone,
        sessions=tuple(draw(st.lists(weekly(first_day), min_size=1, max_size=6))),
        breaks=tuple(draw(st.lists(weekly(first_day), max_size=3))),
        exceptions=tuple(extras),
    )
    day_start = datetime.combine(first_day, time(0), tzinfo=UTC) - timedelta(days=1)

    def busy_list() -> list[BusyInterval]:
        intervals = []
        for _ in range(draw(st.integers(0, 4))):
            start = day_start + FIVE_MINUTES * draw(st.integers(0, 6 * 24 * 12))
            length = FIVE_MINUTES * draw(st.integers(1, 36))
            intervals.append(BusyInterval(start=start, end=start + length))
        return intervals

    appointment_type = AppointmentType(
        code="visit",
        duration=FIVE_MINUTES * draw(st.integers(1, 18)),
        buffer=FIVE_MINUTES * draw(st.integers(0, 4)),
        resource_needs=draw(st.sampled_from([(), EMG.resource_needs])),
    )
    return {
        "schedule": schedule,
        "appointment_type": appointment_type,
        "first_day": first_day,
        "last_day": last_day,
        "now": day_start + FIVE_MINUTES * draw(st.integers(0, 2 * 24 * 12)),
        "window": BookingWindow(
            minimum_notice=timedelta(hours=draw(st.integers(0, 12))),
            horizon=timedelta(hours=draw(st.integers(31, 24 * 5))),
        ),
        "clinician_busy": tuple(busy_list()),
        "resource_busy": {
            name: tuple(busy_list()) for name in ("emg-room-1", "emg-machine-1", "emg-machine-2")
        },
    }


def overlaps(start: datetime, end: datetime, busy: tuple[BusyInterval, ...]) -> bool:
    return any(interval.start < end and start < interval.end for interval in busy)


@functools.cache
def first_instant_showing(zone: str, day: date, wall: time) -> datetime:
    """Brute force: the first UTC instant (on the five-minute grid every zone here keeps) at
    which the clinic's clock shows ``day`` at ``wall`` or later. This is the documented rule
    (gap: when the clocks jump; overlap: the first occurrence), derived without zoneinfo folds."""
    instant = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=15)
    while True:
        local = instant.astimezone(ZoneInfo(zone))
        if (local.date(), local.time()) >= (day, wall):
            return instant
        instant += FIVE_MINUTES


def open_at(schedule: ClinicianSchedule, instant: datetime) -> bool:
    """Independent of the implementation: is the clinician's session open at this instant?"""
    zone = schedule.time_zone
    day = instant.astimezone(ZoneInfo(zone)).date()

    def within(start: time | None, end: time | None) -> bool:
        if start is None or end is None:
            return True
        return (
            first_instant_showing(zone, day, start)
            <= instant
            < first_instant_showing(zone, day, end)
        )

    todays = [e for e in schedule.exceptions if e.covers(day)]
    if any(e.kind is ExceptionKind.EXTRA_SESSION and within(e.start, e.end) for e in todays):
        return True
    weekday = day.weekday()
    in_session = any(s.weekday == weekday and within(s.start, s.end) for s in schedule.sessions)
    in_break = any(b.weekday == weekday and within(b.start, b.end) for b in schedule.breaks)
    closed = any(
        e.kind is not ExceptionKind.EXTRA_SESSION and within(e.start, e.end) for e in todays
    )
    return in_session and not in_break and not closed


def free_window(scenario: dict[str, object]) -> tuple[datetime, datetime] | None:
    """Independent of the implementation: the first stretch two visits long in which the
    clinician's session is open (`open_at`), nobody has booked the clinician (nor any room or
    machine, when the visit needs them), and a visit may start (after the notice, before the
    horizon) on one of the asked-for dates.

    Wherever the slot grid of the open stretch around it falls, one grid slot fits inside such a
    window (the first grid point in it is less than one visit from its start), so at least one
    slot must be offered."""
    schedule = scenario["schedule"]
    kind = scenario["appointment_type"]
    first_day, last_day = scenario["first_day"], scenario["last_day"]
    now, window = scenario["now"], scenario["window"]
    clinician_busy, resource_busy = scenario["clinician_busy"], scenario["resource_busy"]
    assert isinstance(schedule, ClinicianSchedule) and isinstance(kind, AppointmentType)
    assert isinstance(first_day, date) and isinstance(last_day, date)
    assert isinstance(now, datetime) and isinstance(window, BookingWindow)
    assert isinstance(clinician_busy, tuple) and isinstance(resource_busy, dict)
    busy = [*clinician_busy]
    if kind.resource_needs:
        busy += [interval for intervals in resource_busy.values() for interval in intervals]
    needed = 2 * kind.step
    zone = ZoneInfo(schedule.time_zone)
    instant, latest = now + window.minimum_notice, now + window.horizon
    start: datetime | None = None
    while instant < latest:
        day = instant.astimezone(zone).date()
        usable = (
            first_day <= day <= last_day
            and open_at(schedule, instant)
            and not overlaps(instant, instant + FIVE_MINUTES, tuple(busy))
        )
        same_day = start is not None and start.astimezone(zone).date() == day
        start = (start if same_day else instant) if usable else None
        if start is not None and instant + FIVE_MINUTES - start >= needed:
            return start, instant + FIVE_MINUTES
        instant += FIVE_MINUTES
    return None


@settings(max_examples=150, deadline=None)
@given(scenario=scenarios())
def test_slots_respect_every_rule_whatever_the_schedule(scenario: dict[str, object]) -> None:
    slots = find_slots(**scenario)  # type: ignore[arg-type]
    schedule = scenario["schedule"]
    window = scenario["window"]
    now = scenario["now"]
    clinician_busy = scenario["clinician_busy"]
    resource_busy = scenario["resource_busy"]
    assert isinstance(schedule, ClinicianSchedule) and isinstance(window, BookingWindow)
    assert isinstance(now, datetime) and isinstance(clinician_busy, tuple)
    assert isinstance(resource_busy, dict)
    for slot in slots:
        assert slot.start.tzinfo is UTC and slot.end.tzinfo is UTC
        assert slot.start < slot.end <= slot.occupied_until
        assert now + window.minimum_notice <= slot.start < now + window.horizon
        assert not overlaps(slot.start, slot.occupied_until, clinician_busy)
        for resource in slot.resource_ids:
            assert not overlaps(slot.start, slot.occupied_until, resource_busy[resource])
        instant = slot.start
        while instant < slot.occupied_until:
            assert open_at(schedule, instant), (slot, instant)
            instant += FIVE_MINUTES
        assert open_at(schedule, slot.occupied_until - timedelta(seconds=1))
    for earlier, later in pairwise(slots):
        assert earlier.occupied_until <= later.start
    window_free = free_window(scenario)
    if window_free is not None:
        assert slots, f"nothing offered although {window_free} is open and free"


@settings(max_examples=100, deadline=None)
@given(scenario=scenarios(), pick=st.integers(min_value=0))
def test_booking_a_slot_removes_exactly_that_slot(scenario: dict[str, object], pick: int) -> None:
    assume(free_window(scenario) is not None)
    slots = find_slots(**scenario)  # type: ignore[arg-type]
    assert slots, "nothing offered although a window is open and free"
    chosen = slots[pick % len(slots)]
    busy = scenario["clinician_busy"]
    assert isinstance(busy, tuple)
    booked = BusyInterval(start=chosen.start, end=chosen.occupied_until)
    after = find_slots(**{**scenario, "clinician_busy": (*busy, booked)})  # type: ignore[arg-type]
    assert after == tuple(slot for slot in slots if slot != chosen)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), nudges=st.lists(st.integers(-40, 40), max_size=6))
def test_slot_starting_at_names_exactly_the_slots_find_slots_lists(
    scenario: dict[str, object], nudges: list[int]
) -> None:
    """Every listed slot is found at its start, and an instant near one that is not listed is
    refused, on days with clock changes, breaks, leave, extra sessions and busy rooms."""
    listed = find_slots(**scenario)  # type: ignore[arg-type]
    by_start = {slot.start: slot for slot in listed}
    rules = {key: value for key, value in scenario.items() if key not in ("first_day", "last_day")}
    first_day, last_day = scenario["first_day"], scenario["last_day"]
    assert isinstance(first_day, date) and isinstance(last_day, date)
    schedule = scenario["schedule"]
    assert isinstance(schedule, ClinicianSchedule)
    probes = set(by_start)
    for slot in listed[:3]:
        probes.update(slot.start + FIVE_MINUTES * nudge for nudge in nudges)
    for instant in probes:
        if not first_day <= instant.astimezone(schedule.zone).date() <= last_day:
            continue
        assert slot_starting_at(start=instant, **rules) == by_start.get(instant)  # type: ignore[arg-type]
