"""Phone numbers are read in the caller's region and stored in the one form the desk dials."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.callbacks.phone import (
    PhoneNumberInvalid,
    display_phone_number,
    normalize_phone_number,
)
from plexcare.errors import InvalidInput


@pytest.mark.parametrize(
    "typed",
    [
        "020 7946 0018",
        "+44 20 7946 0018",
        "+44 (0)20 7946 0018",
        "0044 20 7946 0018",
        "(020) 7946-0018",
        "  02079460018  ",
    ],
)
def test_every_way_of_writing_a_london_number_gives_the_same_e164(typed: str) -> None:
    assert normalize_phone_number(typed, region="GB") == "+442079460018"


def test_a_mobile_number_is_stored_in_e164() -> None:
    assert normalize_phone_number("07911 123456", region="gb") == "+447911123456"


def test_an_international_number_keeps_its_own_country_whatever_the_region() -> None:
    assert normalize_phone_number("+1 650 253 0000", region="GB") == "+16502530000"


def test_a_number_invalid_in_the_region_names_the_region_and_the_field() -> None:
    with pytest.raises(PhoneNumberInvalid) as invalid:
        normalize_phone_number("01234", region="GB")

    assert "phone number for region GB" in invalid.value.detail
    assert invalid.value.field == "phone"


def test_a_number_that_is_the_right_length_but_not_allocated_is_refused() -> None:
    with pytest.raises(PhoneNumberInvalid, match="not a valid phone number for region GB"):
        normalize_phone_number("0999 999 9999", region="GB")


@pytest.mark.parametrize("typed", ["call me", "12", "++44"])
def test_text_that_is_not_a_number_is_refused_clearly(typed: str) -> None:
    with pytest.raises(PhoneNumberInvalid, match="phone number"):
        normalize_phone_number(typed, region="GB")


def test_an_empty_number_is_reported_as_missing() -> None:
    with pytest.raises(PhoneNumberInvalid, match="required"):
        normalize_phone_number("   ", region="GB")


def test_an_absurdly_long_input_is_refused_before_parsing() -> None:
    with pytest.raises(PhoneNumberInvalid, match="too long"):
        normalize_phone_number("0" * 500, region="GB")


def test_premium_rate_numbers_are_never_called_back() -> None:
    with pytest.raises(PhoneNumberInvalid, match="premium-rate"):
        normalize_phone_number("09065 123456", region="GB")


def test_an_unknown_region_is_blamed_on_the_region_field() -> None:
    with pytest.raises(PhoneNumberInvalid) as invalid:
        normalize_phone_number("020 7946 0018", region="XX")

    assert invalid.value.field == "region"


def test_the_error_field_can_be_named_by_the_caller() -> None:
    with pytest.raises(PhoneNumberInvalid) as invalid:
        normalize_phone_number("nope", region="GB", field="contact.phone")

    assert invalid.value.field == "contact.phone"
    assert isinstance(invalid.value, InvalidInput)


def test_a_home_number_is_shown_in_national_form_and_a_foreign_one_internationally() -> None:
    assert display_phone_number("+442079460018", region="GB") == "020 7946 0018"
    assert display_phone_number("+16502530000", region="GB") == "+1 650-253-0000"


@given(st.text(max_size=60))
def test_any_text_either_becomes_e164_or_a_clear_error(typed: str) -> None:
    try:
        number = normalize_phone_number(typed, region="GB")
    except PhoneNumberInvalid as invalid:
        assert invalid.field == "phone"
        assert invalid.detail
    else:
        assert number.startswith("+")
        assert number[1:].isdigit()
        assert normalize_phone_number(number, region="GB") == number
