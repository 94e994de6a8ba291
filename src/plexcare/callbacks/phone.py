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

__all__ = ["PhoneNumberInvalid", "display_phone_number", "normalize_phone_number"]

_MAX_INPUT = 40  # longer than any real number with spacing; stops pathological input early

_LENGTH_PROBLEMS = {
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "the wrong length",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing its area code",
}


class PhoneNumberInvalid(InvalidInput):
    """The number cannot be dialled as given; the message says why, the field says where."""


def _check_region(region: str) -> str:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneNumberInvalid(f"unknown region code {region!r}", field="region")
    return code


def normalize_phone_number(raw: str, *, region: str, field: str = "phone") -> str:
    """The number in E.164 (``+442079460018``), or `PhoneNumberInvalid` naming `field`.

    `region` (ISO 3166 code such as ``GB``) says how to read a number written without a
    country code; a number starting with ``+`` or ``00`` carries its own.
    """
    code = _check_region(region)
    text = raw.strip()
    if not text:
        raise PhoneNumberInvalid("a phone number is required", field=field)
    if len(text) > _MAX_INPUT:
        raise PhoneNumberInvalid("this is too long to be a phone number", field=field)
    international = text.startswith(("+", "00"))
    where = "international phone number" if international else f"phone number for region {code}"
    try:
        number = phonenumbers.parse(text, code)
    except NumberParseException as error:
        raise PhoneNumberInvalid(f"not a {where}", field=field) from error
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in _LENGTH_PROBLEMS:
        problem = _LENGTH_PROBLEMS[possible]
        raise PhoneNumberInvalid(f"not a valid {where}: it is {problem}", field=field)
    if possible == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise PhoneNumberInvalid("not a phone number: unknown country code", field=field)
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberInvalid(f"not a valid {where}", field=field)
    if phonenumbers.number_type(number) == PhoneNumberType.PREMIUM_RATE:
        raise PhoneNumberInvalid("we cannot call premium-rate numbers", field=field)
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def display_phone_number(e164: str, *, region: str) -> str:
    """How the front desk reads a stored number: national form at home, international abroad."""
    code = _check_region(region)
    number = phonenumbers.parse(e164, None)
    home = phonenumbers.region_code_for_number(number) == code
    style = PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    return str(phonenumbers.format_number(number, style))
