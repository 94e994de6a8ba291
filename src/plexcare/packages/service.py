"""Health-package use-cases: the catalogue, proposing an itinerary, booking it all or none.
Never commits.

Booking a package books every included appointment through the scheduling service, in the
caller's one transaction. If any slot has been taken (or no longer fits the rules) the
scheduling service raises, the caller rolls back, and nothing is written: no appointment, no
package booking, no confirmation in the outbox. The database's own guarantees apply to each
appointment exactly as for a single booking: the clinician's time, the patient's own (never two
appointments at once) and, for a patient booking online, the limit of open appointments; a
package that would break one is refused whole (409 naming the rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.config import get_settings
from plexcare.errors import Conflict, InvalidInput, NotFound
from plexcare.packages import repository
from plexcare.packages.catalogue import HealthPackage
from plexcare.packages.itinerary import CandidateSlot, PackageItem, plan_package_itinerary
from plexcare.packages.models import (
    HealthPackageItemRow,
    HealthPackageRow,
    PackageBooking,
    PackageBookingAppointment,
)
from plexcare.scheduling import changes, search
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.policy import AppointmentStatus

SEARCH_DAYS = 42
"""How far ahead an itinerary is looked for (the slot search allows at most 62 days)."""


@dataclass(frozen=True)
class PackageSlot:
    """A found slot in the shape the itinerary planner reads (start, end, occupied_until)."""

    found: search.FoundSlot

    @property
    def start(self) -> datetime:
        return self.found.slot.start

    @property
    def end(self) -> datetime:
        return self.found.slot.end

    @property
    def occupied_until(self) -> datetime:
        return self.found.slot.occupied_until


@dataclass(frozen=True)
class Chosen:
    clinician_id: int
    appointment_type_id: int
    starts_at: datetime


def add_package(*, session: Session, package: HealthPackage) -> HealthPackageRow:
    """Put a catalogue package into the database (the demo loader and tests use this)."""
    row = HealthPackageRow(
        code=package.code,
        name=package.name,
        description=package.description,
        price_minor_units=package.price_minor_units,
        currency=package.currency,
        active=True,
    )
    session.add(row)
    session.flush()
    for position, item in enumerate(package.items):
        session.add(
            HealthPackageItemRow(
                package_id=row.id,
                position=position,
                appointment_type_code=item.appointment_type,
                name=item.name,
                duration_minutes=int(item.duration.total_seconds() // 60),
                min_gap_minutes=int(item.min_gap_after_previous.total_seconds() // 60),
                max_days_after_previous=item.max_days_after_previous,
            )
        )
    session.flush()
    return row


def package_items(rows: Sequence[HealthPackageItemRow]) -> tuple[PackageItem, ...]:
    return tuple(
        PackageItem(
            appointment_type=row.appointment_type_code,
            name=row.name,
            duration=timedelta(minutes=row.duration_minutes),
            min_gap_after_previous=timedelta(minutes=row.min_gap_minutes),
            max_days_after_previous=row.max_days_after_previous,
        )
        for row in rows
    )


def package_for(
    *, session: Session, code: str
) -> tuple[HealthPackageRow, Sequence[HealthPackageItemRow]]:
    row = repository.package_by_code(session=session, code=code)
    if row is None or not row.active:
        raise NotFound("no such health package", field="code")
    return row, repository.items_of(session=session, package_id=row.id)


def _type_ids_by_code(session: Session, codes: set[str]) -> dict[str, int]:
    kinds = {kind.code: kind.id for kind in clinic_repository.appointment_types(session=session)}
    missing = sorted(codes - set(kinds))
    if missing:
        raise Conflict(f"the clinic does not offer {', '.join(missing)} yet", field="code")
    return {code: kinds[code] for code in codes}


def propose_itinerary(
    *, session: Session, code: str, now: datetime, first_day: date | None = None
) -> tuple[HealthPackageRow, tuple[PackageSlot, ...]]:
    """The earliest way to fit every appointment of the package, in order and spacing."""
    row, item_rows = package_for(session=session, code=code)
    return row, _earliest_itinerary(
        session=session, items=package_items(item_rows), now=now, first_day=first_day
    )


def _earliest_itinerary(
    *, session: Session, items: Sequence[PackageItem], now: datetime, first_day: date | None
) -> tuple[PackageSlot, ...]:
    zone = get_settings().clinic_timezone
    start_day = first_day or now.astimezone(ZoneInfo(zone)).date()
    candidates: dict[str, list[PackageSlot]] = {}
    for type_code, type_id in _type_ids_by_code(
        session, {item.appointment_type for item in items}
    ).items():
        found = search.search(
            session=session,
            now=now,
            first_day=start_day,
            last_day=start_day + timedelta(days=SEARCH_DAYS),
            appointment_type_id=type_id,
            limit=5000,
        )
        candidates[type_code] = [PackageSlot(found=item) for item in found]
    chosen = plan_package_itinerary(items, candidates, time_zone=zone, not_before=now)
    if chosen is None:
        raise Conflict(
            f"this package cannot be fitted into the next {SEARCH_DAYS // 7} weeks; "
            "please ask the front desk",
            field="code",
        )
    return chosen


def _check_choice(
    *, session: Session, items: Sequence[PackageItem], chosen: Sequence[Chosen], zone: str
) -> None:
    """The chosen slots are one per item, of the item's type, in the package's spacing."""
    if len(chosen) != len(items):
        raise InvalidInput(f"choose exactly {len(items)} slots, one per item", field="items")
    type_ids = _type_ids_by_code(session, {item.appointment_type for item in items})
    slots: dict[str, list[CandidateSlot]] = {}
    for position, (item, choice) in enumerate(zip(items, chosen, strict=True)):
        if choice.appointment_type_id != type_ids[item.appointment_type]:
            raise InvalidInput(
                f"item {position + 1} must be a {item.appointment_type} appointment",
                field=f"items.{position}.appointment_type_id",
            )
        slots.setdefault(item.appointment_type, []).append(
            CandidateSlot(start=choice.starts_at, end=choice.starts_at + item.duration)
        )
    if plan_package_itinerary(items, slots, time_zone=zone) is None:
        raise InvalidInput(
            "the chosen times do not keep the package's order and spacing", field="items"
        )


def book_package(
    *,
    session: Session,
    actor: Actor,
    code: str,
    chosen: Sequence[Chosen] | None,
    now: datetime,
    patient_id: int | None = None,
) -> tuple[PackageBooking, list[Appointment]]:
    """Book every appointment of the package, or raise and leave the transaction to roll back."""
    row, item_rows = package_for(session=session, code=code)
    items = package_items(item_rows)
    if chosen is None:
        # The planner's own proposal already keeps the package's order and spacing, so only
        # a caller's choice is checked.
        proposal = _earliest_itinerary(session=session, items=items, now=now, first_day=None)
        chosen = [
            Chosen(
                clinician_id=slot.found.clinician.id,
                appointment_type_id=slot.found.appointment_type.id,
                starts_at=slot.start,
            )
            for slot in proposal
        ]
    else:
        _check_choice(
            session=session, items=items, chosen=chosen, zone=get_settings().clinic_timezone
        )
    appointments = [
        booking.book(
            session=session,
            actor=actor,
            clinician_id=choice.clinician_id,
            appointment_type_id=choice.appointment_type_id,
            starts_at=choice.starts_at,
            now=now,
            patient_id=patient_id,
        )
        for choice in chosen
    ]
    record = PackageBooking(
        package_id=row.id,
        patient_id=appointments[0].patient_id,
        booked_by_user_id=actor.user_id,
        price_minor_units=row.price_minor_units,
        currency=row.currency,
        created_at=now,
    )
    session.add(record)
    session.flush()
    for position, appointment in enumerate(appointments):
        session.add(
            PackageBookingAppointment(
                package_booking_id=record.id, position=position, appointment_id=appointment.id
            )
        )
    session.flush()
    audit.record_access(
        session=session,
        actor=actor,
        action="create",
        subject_type="package_booking",
        subject_id=record.id,
        patient_user_id=record.patient_id,
        now=now,
    )
    return record, appointments


def list_bookings(
    *,
    session: Session,
    actor: Actor,
    patient_id: int | None,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[tuple[PackageBooking, HealthPackageRow, list[Appointment]]], int]:
    if actor.is_patient:
        patient_id = actor.user_id
    rows, total = repository.bookings(
        session=session, patient_id=patient_id, limit=limit, offset=offset
    )
    appointments = repository.appointments_by_booking(
        session=session, booking_ids=[row.id for row in rows]
    )
    found = []
    for row in rows:
        package = repository.package_by_id(session=session, package_id=row.package_id)
        assert package is not None
        audit.record_access(
            session=session,
            actor=actor,
            action="read",
            subject_type="package_booking",
            subject_id=row.id,
            patient_user_id=row.patient_id,
            now=now,
        )
        found.append((row, package, appointments.get(row.id, [])))
    return found, total


def cancel_booking(
    *, session: Session, actor: Actor, booking_id: int, now: datetime, reason: str | None
) -> tuple[PackageBooking, list[Appointment]]:
    """Cancel every still-booked appointment of a package, or none.

    Each appointment goes through the scheduling service's own cancellation (its notice rule,
    late-cancellation strike, cancellation message and waitlist offer); if any one is refused
    the caller rolls back, so a package is never left half cancelled. A patient may cancel only
    their own package (another patient's is "not found")."""
    record = repository.booking_by_id(session=session, booking_id=booking_id)
    if record is None:
        raise NotFound("no such package booking")
    actor.ensure_may_see_patient(record.patient_id)
    appointments = repository.appointments_by_booking(session=session, booking_ids=[record.id])
    standing = [
        item
        for item in appointments.get(record.id, [])
        if item.status == AppointmentStatus.BOOKED.value
    ]
    if not standing:
        raise Conflict("nothing of this package is still booked")
    cancelled = [
        changes.cancel(session=session, actor=actor, appointment_id=item.id, now=now, reason=reason)
        for item in standing
    ]
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="package_booking",
        subject_id=record.id,
        patient_user_id=record.patient_id,
        now=now,
    )
    return record, cancelled
