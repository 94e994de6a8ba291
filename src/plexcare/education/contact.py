"""How to reach the clinic, from settings: the address, the hours, the phone as a `tel:` link
and WhatsApp as a `https://wa.me/<number>?text=` link with a message to start from; and the
calls to action the home page opens with, the same buttons the hospital's own page offers.

Nothing here is written into a template: a clinic changes its number or hours in its settings
(`PLEXCARE_CLINIC_*`) and every page follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import phonenumbers
from phonenumbers import PhoneNumberFormat

from plexcare.config import Settings

WORKING_DAYS = "Monday to Friday"


@dataclass(frozen=True)
class ContactDetails:
    clinic_name: str
    address: str
    hours: str
    phone_display: str
    phone_href: str
    whatsapp_display: str
    whatsapp_href: str
    emergency_number: str
    out_of_hours_number: str


@dataclass(frozen=True)
class CallToAction:
    label: str
    href: str
    description: str
    external: bool = False


def tel_href(e164: str) -> str:
    """`tel:+442079460018`: the form every phone dials, whatever the visitor's country."""
    return f"tel:{e164}"


def whatsapp_href(number: str, message: str) -> str:
    """`https://wa.me/447700900123?text=Hello%2C...`: WhatsApp's own link, which opens a chat
    with the clinic with `message` typed in, ready to edit and send."""
    return f"https://wa.me/{number}?text={quote(message, safe='')}"


def _display(e164: str, region: str) -> str:
    number = phonenumbers.parse(e164, None)
    home = phonenumbers.region_code_for_number(number) == region
    style = PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    return str(phonenumbers.format_number(number, style))


def contact_details(settings: Settings) -> ContactDetails:
    whatsapp_e164 = f"+{settings.clinic_whatsapp}"
    return ContactDetails(
        clinic_name=settings.clinic_name,
        address=settings.clinic_address,
        hours=f"{WORKING_DAYS}, {settings.clinic_opens}–{settings.clinic_closes}; "
        "closed at weekends and on public holidays",
        phone_display=_display(settings.clinic_phone, settings.phone_region),
        phone_href=tel_href(settings.clinic_phone),
        whatsapp_display=_display(whatsapp_e164, settings.phone_region),
        whatsapp_href=whatsapp_href(settings.clinic_whatsapp, settings.clinic_whatsapp_message),
        emergency_number=settings.emergency_number,
        out_of_hours_number=settings.out_of_hours_number,
    )


def calls_to_action(contact: ContactDetails) -> tuple[CallToAction, ...]:
    """The hospital page's buttons, in its order, each leading to a page that works."""
    return (
        CallToAction("Book an appointment", "/book", "Find a time with a specialist and book it."),
        CallToAction(
            "Get a second opinion",
            "/second-opinion",
            "Send your question with your reports and scans; a specialist answers in writing.",
        ),
        CallToAction(
            "Request a callback", "/callback", "Leave your number and the best time to call."
        ),
        CallToAction(
            "Find our specialists",
            "/specialists",
            "Neurologists, surgeons, rehabilitation and pain specialists: what each sees.",
        ),
        CallToAction(
            "Health packages",
            "/packages",
            "Consultation, tests and review booked together for one price.",
        ),
        CallToAction(
            "Chat on WhatsApp",
            contact.whatsapp_href,
            f"Message the clinic on {contact.whatsapp_display}.",
            external=True,
        ),
    )
