"""Who is offered a freed slot first: the fair, explainable order of the waitlist.

A freed slot goes to a patient whose request it actually fits (the specialty, and the clinician
and appointment type if they asked for one, on a local date inside their window), and among
those to the most urgent, then to whoever has waited longest. The final tie-break is the entry
id, so two runs over the same data always make the same offer.

Usage::

    from plexcare.scheduling.waitlist_order import FreedSlot, Urgency, WaitlistEntry, rank_waitlist

    ranked = rank_waitlist(
        entries=[
            WaitlistEntry(entry_id="w1", patient_id="p1", specialty="neurology",
                          urgency=Urgency.URGENT, joined_at=joined,
                          earliest_day=date(2025, 4, 1), latest_day=date(2025, 4, 30)),
        ],
        slot=FreedSlot(clinician_id="dr-okafor", specialty="neurology",
                       appointment_type="emg-ncs", start=slot.start, time_zone="Europe/London"),
    )
    first_choice = ranked[0] if ranked else None   # hold the slot for them (policy.HoldPurpose)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = ["FreedSlot", "Urgency", "WaitlistEntry", "WaitlistInputError", "fits", "rank_waitlist"]


class WaitlistInputError(ValueError):
    """Bad waitlist input, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Urgency(StrEnum):
    """How soon the patient should be seen, as triage put it; most urgent first."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    SOON = "soon"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        return _URGENCY_RANK[self]


_URGENCY_RANK = {
    Urgency.EMERGENCY: 0,
    Urgency.URGENT: 1,
    Urgency.SOON: 2,
    Urgency.ROUTINE: 3,
}


def _require_aware(value: datetime, field_name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise WaitlistInputError(field_name, "must be a time-zone-aware datetime")


@dataclass(frozen=True)
class WaitlistEntry:
    """A patient waiting for an earlier slot. None for clinician/type means "any".

    ``earliest_day``/``latest_day`` bound the local dates (in the slot's clinic zone) the
    patient can attend; None leaves that side open.
    """

    entry_id: str
    patient_id: str
    specialty: str
    urgency: Urgency
    joined_at: datetime
    clinician_id: str | None = None
    appointment_type: str | None = None
    earliest_day: date | None = None
    latest_day: date | None = None

    def __post_init__(self) -> None:
        _require_aware(self.joined_at, "joined_at")
        if (
            self.earliest_day is not None
            and self.latest_day is not None
            and self.latest_day < self.earliest_day
        ):
            raise WaitlistInputError("latest_day", "must not be before earliest_day")


@dataclass(frozen=True)
class FreedSlot:
    """A slot that has just become free (cancelled, moved, or an expired hold)."""

    clinician_id: str
    specialty: str
    appointment_type: str
    start: datetime
    time_zone: str

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")


def fits(*, entry: WaitlistEntry, slot: FreedSlot) -> bool:
    """Whether the slot is one this patient asked for."""
    if entry.specialty != slot.specialty:
        return False
    if entry.clinician_id is not None and entry.clinician_id != slot.clinician_id:
        return False
    if entry.appointment_type is not None and entry.appointment_type != slot.appointment_type:
        return False
    local_day = slot.start.astimezone(ZoneInfo(slot.time_zone)).date()
    if entry.earliest_day is not None and local_day < entry.earliest_day:
        return False
    return entry.latest_day is None or local_day <= entry.latest_day


def rank_waitlist(
    *, entries: Iterable[WaitlistEntry], slot: FreedSlot
) -> tuple[WaitlistEntry, ...]:
    """Entries the slot fits, best first: urgency, then earliest joined, then entry id."""
    matching = [entry for entry in entries if fits(entry=entry, slot=slot)]
    return tuple(
        sorted(matching, key=lambda entry: (entry.urgency.rank, entry.joined_at, entry.entry_id))
    )
