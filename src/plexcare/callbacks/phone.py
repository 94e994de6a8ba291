"""Turn the phone number a caller typed into the one form the front desk dials: E.164.

People type numbers in every shape ("020 7946 0018", "+44 (0)20 7946 0018", "07911-123456").
Storing one canonical form means the desk sees the same number twice as the same number, the
per-number rate limit cannot be dodged by adding spaces, and a dialler can use it as is.

Callback requests come from anonymous visitors, so the clinic must not be made to call
premium-rate numbers (a known way to bill a call centre): those are refused.

Usage::

    from plexcare.callbacks.phone import display_phone_number, normalize_phone_number

    e164 = normalize_phone_number("020 7946 0018", region="GB")   # "+442079460018"
    display_phone_number(e164, region="GB")                       # "020 7946 0018"
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from plexcare.errors import InvalidInput

__all__ = [
    "PLAIN_REASONS",
    "PhoneNumberInvalid",
    "display_phone_number",
    "normalize_phone_number",
]

_MAX_INPUT = 40  # longer than any real number with spacing; stops pathological input early

_LENGTH_PROBLEMS = {
    phonenumbers.ValidationResult.TOO_SHORT: ("too short", "too_short"),
    phonenumbers.ValidationResult.TOO_LONG: ("too long", "too_long"),
    phonenumbers.ValidationResult.INVALID_LENGTH: ("the wrong length", "wrong_length"),
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: ("missing its area code", "no_area_code"),
}


class PhoneNumberInvalid(InvalidInput):
    """The number cannot be dialled as given; the message says why, the field says where, and
    `reason` names the problem for a page to say in plain words (`PLAIN_REASONS`)."""

    def __init__(self, detail: str, *, field: str | None = None, reason: str = "invalid") -> None:
        super().__init__(detail, field=field)
        self.reason = reason


PLAIN_REASONS = {
    "missing": "Enter a phone number we can call.",
    "long_input": "This is too long to be a phone number. Enter just the number, such as "
    "020 7946 0018.",
    "too_short": "This number is too short. Check that every digit is there, with the area "
    "code (such as 020 or 07700).",
    "too_long": "This number has too many digits. Check it for an extra digit.",
    "wrong_length": "This number has the wrong number of digits. Check it and try again.",
    "no_area_code": "Add the area code to the number, such as 020 for London.",
    "country_code": "The country code after the + is not one we know. Check it, or write a UK "
    "number without it.",
    "premium_rate": "We cannot call premium-rate numbers. Give a mobile or landline number.",
    "invalid": "This does not look like a number we can call. Write a UK number such as "
    "020 7946 0018, or an international number starting with +.",
    "region": "This does not look like a number we can call.",
}
"""What each problem means to the person typing the number, without the library's terms."""


def _check_region(region: str) -> str:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneNumberInvalid(f"unknown region code {region!r}", field="region", reason="region")
    return code


def normalize_phone_number(raw: str, *, region: str, field: str = "phone") -> str:
    """The number in E.164 (``+442079460018``), or `PhoneNumberInvalid` naming `field`.

    `region` (ISO 3166 code such as ``GB``) says how to read a number written without a
    country code; a number starting with ``+`` or ``00`` carries its own.
    """
    code = _check_region(region)
    text = raw.strip()
    if not text:
        raise PhoneNumberInvalid("a phone number is required", field=field, reason="missing")
    if len(text) > _MAX_INPUT:
        raise PhoneNumberInvalid(
            "this is too long to be a phone number", field=field, reason="long_input"
        )
    international = text.startswith(("+", "00"))
    where = "international phone number" if international else f"phone number for region {code}"
    try:
        number = phonenumbers.parse(text, code)
    except NumberParseException as error:
        raise PhoneNumberInvalid(f"not a {where}", field=field) from error
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in _LENGTH_PROBLEMS:
        problem, reason = _LENGTH_PROBLEMS[possible]
        if reason == "no_area_code" and text.startswith("0") and not international:
            # Written with its trunk 0, so the area code is there and digits are missing.
            problem, reason = "too short", "too_short"
        raise PhoneNumberInvalid(
            f"not a valid {where}: it is {problem}", field=field, reason=reason
        )
    if possible == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise PhoneNumberInvalid(
            "not a phone number: unknown country code", field=field, reason="country_code"
        )
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberInvalid(f"not a valid {where}", field=field)
    if phonenumbers.number_type(number) == PhoneNumberType.PREMIUM_RATE:
        raise PhoneNumberInvalid(
            "we cannot call premium-rate numbers", field=field, reason="premium_rate"
        )
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def display_phone_number(e164: str, *, region: str) -> str:
    """How the front desk reads a stored number: national form at home, international abroad."""
    code = _check_region(region)
    number = phonenumbers.parse(e164, None)
    home = phonenumbers.region_code_for_number(number) == code
    style = PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    return str(phonenumbers.format_number(number, style))
