"""What the portal's forms accept as a number, a date, an instant and YAML: what a person types
on a keyboard, within the clinic's calendar, and nothing that makes Python raise."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.portal import form_values

UNICODE_DIGITS = ["²", "١٢", "１２", "½", "߀", "𝟙"]


@pytest.mark.parametrize("typed", [*UNICODE_DIGITS, "9" * 5000, "1e3", "0x10", "1_000", ""])
def test_a_whole_number_is_ascii_digits_of_a_sane_length(typed: str) -> None:
    assert form_values.whole_number(typed) is None


def test_a_whole_number_is_kept_within_its_range() -> None:
    assert form_values.whole_number(" 42 ") == 42
    assert form_values.whole_number("-3", minimum=-5) == -3
    assert form_values.whole_number("-3") is None
    assert form_values.record_id("0") is None
    assert form_values.record_id(str(form_values.LARGEST_ID + 1)) is None


@pytest.mark.parametrize("typed", [*UNICODE_DIGITS, "nan", "inf", "1e309", "1e5", "", "."])
def test_a_decimal_number_is_finite_and_written_in_ascii(typed: str) -> None:
    assert form_values.decimal_number(typed) is None


def test_a_decimal_number_takes_either_decimal_mark() -> None:
    assert form_values.decimal_number("1,5") == 1.5
    assert form_values.decimal_number("2.") == 2.0
    assert form_values.decimal_number("11", maximum=10) is None


@pytest.mark.parametrize(
    "typed", ["9999-12-31", "0001-01-01", "2026-02-30", "2026-W10-2", "20260302", "２０２６-03-02"]
)
def test_a_day_is_written_yyyy_mm_dd_within_the_clinic_calendar(typed: str) -> None:
    assert form_values.calendar_day(typed) is None


def test_an_instant_needs_its_offset_and_comes_back_in_utc() -> None:
    assert form_values.instant("2026-03-03T10:00:00") is None
    assert form_values.instant("9999-12-31T23:59:59-23:59") is None
    assert form_values.instant("2026-03-03T11:00:00+01:00") == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert form_values.instant("2026-03-03T10:00:00Z") == datetime(2026, 3, 3, 10, tzinfo=UTC)


def test_yaml_dates_stay_the_text_they_are() -> None:
    assert form_values.plain_yaml("day: 2026-01-01\nat: 2026-01-01 10:00:00") == {
        "day": "2026-01-01",
        "at": "2026-01-01 10:00:00",
    }
    assert form_values.calendar_day("2026-01-01") == date(2026, 1, 1)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(typed=st.text())
def test_no_text_makes_a_reader_raise(typed: str) -> None:
    form_values.whole_number(typed)
    form_values.decimal_number(typed)
    form_values.calendar_day(typed)
    form_values.instant(typed)
    try:
        form_values.plain_yaml(typed)
    except form_values.UnreadableYaml as error:
        assert error.message
