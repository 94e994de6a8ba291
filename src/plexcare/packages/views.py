"""What the health-package pages show, built without web code so tests can read it directly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.packages.models import HealthPackageItemRow, HealthPackageRow, PackageBooking
from plexcare.packages.service import PackageSlot
from plexcare.portal.layout import PortalPage, when_label
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.policy import AppointmentStatus

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
DONE_MESSAGES = {
    "booked": "Your package is booked: every appointment below is yours. A confirmation is "
    "on its way for each.",
    "cancelled": "The package has been cancelled: none of its appointments stands.",
}
STATUS_WORDS = {
    AppointmentStatus.BOOKED.value: "booked",
    AppointmentStatus.CANCELLED.value: "cancelled",
}


def price_label(minor_units: int, currency: str) -> str:
    """`£450.00`: prices are kept in minor units, so no float ever rounds a bill."""
    whole, cents = divmod(minor_units, 100)
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = f"{whole:,}.{cents:02d}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


@dataclass(frozen=True)
class ItemView:
    name: str
    duration: str
    spacing: str


@dataclass(frozen=True)
class PackageView:
    code: str
    name: str
    description: str
    price: str
    items: tuple[ItemView, ...]


@dataclass(frozen=True)
class PlannedVisit:
    """One appointment of the proposed itinerary, with what the booking form sends back."""

    name: str
    when: str
    clinician: str
    clinician_id: int
    appointment_type_id: int
    starts_at: str


@dataclass(frozen=True, kw_only=True)
class CataloguePage(PortalPage):
    packages: tuple[PackageView, ...]


@dataclass(frozen=True, kw_only=True)
class PackagePage(PortalPage):
    package: PackageView
    itinerary: tuple[PlannedVisit, ...]
    unavailable: str
    may_book: bool
    signed_in: bool
    notice: str = ""


@dataclass(frozen=True)
class BookedVisit:
    when: str
    visit: str
    clinician: str
    status: str


@dataclass(frozen=True)
class BookingView:
    id: int
    package: str
    price: str
    booked_on: str
    visits: tuple[BookedVisit, ...]
    cancellable: bool


@dataclass(frozen=True, kw_only=True)
class MyPackagesPage(PortalPage):
    bookings: tuple[BookingView, ...]
    done: str = ""


def _spacing(item: HealthPackageItemRow, first: bool) -> str:
    if first:
        return "first"
    parts = []
    if item.min_gap_minutes:
        parts.append(f"at least {_duration(item.min_gap_minutes)} after the one before")
    if item.max_days_after_previous is not None:
        days = item.max_days_after_previous
        parts.append(
            "the same day" if days == 0 else f"within {days} day{'s' if days != 1 else ''}"
        )
    return ", ".join(parts) or "after the one before"


def package_view(row: HealthPackageRow, items: Sequence[HealthPackageItemRow]) -> PackageView:
    return PackageView(
        code=row.code,
        name=row.name,
        description=row.description,
        price=price_label(row.price_minor_units, row.currency),
        items=tuple(
            ItemView(
                name=item.name,
                duration=_duration(item.duration_minutes),
                spacing=_spacing(item, index == 0),
            )
            for index, item in enumerate(items)
        ),
    )


def planned_visits(
    items: Sequence[HealthPackageItemRow], slots: Sequence[PackageSlot], zone: ZoneInfo
) -> tuple[PlannedVisit, ...]:
    return tuple(
        PlannedVisit(
            name=item.name,
            when=when_label(slot.start, zone),
            clinician=slot.found.clinician.full_name,
            clinician_id=slot.found.clinician.id,
            appointment_type_id=slot.found.appointment_type.id,
            starts_at=slot.start.isoformat(),
        )
        for item, slot in zip(items, slots, strict=True)
    )


def booking_view(
    row: PackageBooking,
    package: HealthPackageRow,
    appointments: Sequence[Appointment],
    *,
    clinicians: Mapping[int, Clinician],
    kinds: Mapping[int, AppointmentType],
    zone: ZoneInfo,
    now: datetime,
) -> BookingView:
    visits = tuple(
        BookedVisit(
            when=when_label(item.starts_at, zone),
            visit=kinds[item.appointment_type_id].name
            if item.appointment_type_id in kinds
            else "appointment",
            clinician=clinicians[item.clinician_id].full_name
            if item.clinician_id in clinicians
            else "a clinician",
            status=STATUS_WORDS.get(item.status, item.status.replace("_", " ")),
        )
        for item in appointments
    )
    return BookingView(
        id=row.id,
        package=package.name,
        price=price_label(row.price_minor_units, row.currency),
        booked_on=when_label(row.created_at, zone),
        visits=visits,
        cancellable=any(
            item.status == AppointmentStatus.BOOKED.value and item.starts_at > now
            for item in appointments
        ),
    )
