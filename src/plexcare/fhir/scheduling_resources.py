"""Schedules, slots and appointments as FHIR resources, and slot ids both ways. Pure.

A Schedule is one clinician's bookable time (its id is the clinician's); a Slot is computed
from availability, not stored, so its id spells out what it is:
`<clinician>-<appointment type>-<UTC start as YYYYMMDDHHMM>`, e.g. `1-2-202603031000`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plexcare.errors import InvalidInput
from plexcare.fhir import codes

STATUS = {
    "booked": "booked",
    "completed": "fulfilled",
    "no_show": "noshow",
    "cancelled": "cancelled",
    "rescheduled": "cancelled",
}
"""Our appointment statuses in FHIR's words (a rescheduled one is cancelled, its successor
booked)."""
OUR_STATUS = {
    "booked": ["booked"],
    "fulfilled": ["completed"],
    "noshow": ["no_show"],
    "cancelled": ["cancelled", "rescheduled"],
}
_SLOT_ID = re.compile(r"^([0-9]{1,9})-([0-9]{1,9})-([0-9]{12})$")


@dataclass(frozen=True)
class SlotKey:
    clinician_id: int
    appointment_type_id: int
    starts_at: datetime

    @property
    def id(self) -> str:
        start = self.starts_at.astimezone(UTC)
        return f"{self.clinician_id}-{self.appointment_type_id}-{start:%Y%m%d%H%M}"


def parse_slot_id(slot_id: str, *, field: str = "id") -> SlotKey:
    found = _SLOT_ID.match(slot_id)
    if found is None:
        raise InvalidInput(
            "a slot id reads <clinician>-<appointment type>-<UTC start YYYYMMDDHHMM>", field=field
        )
    try:
        start = datetime.strptime(found.group(3), "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidInput("the slot id's start is not a real time", field=field) from error
    return SlotKey(int(found.group(1)), int(found.group(2)), start)


def service_type(code: str, name: str) -> dict[str, Any]:
    return codes.concept(codes.coding(codes.APPOINTMENT_TYPE, code, name), text=name)


def schedule_resource(
    *, clinician_id: int, name: str, specialty: str, offered: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": str(clinician_id),
        "active": True,
        "serviceType": [service_type(code, label) for code, label in offered],
        "specialty": [
            codes.concept(
                codes.coding(codes.SPECIALTY, specialty), text=specialty.replace("_", " ")
            )
        ],
        "actor": [{"reference": f"Practitioner/{clinician_id}", "display": name}],
    }


def slot_resource(
    *, key: SlotKey, ends_at: datetime, status: str, type_code: str, type_name: str
) -> dict[str, Any]:
    return {
        "resourceType": "Slot",
        "id": key.id,
        "schedule": {"reference": f"Schedule/{key.clinician_id}"},
        "status": status,
        "start": _instant(key.starts_at),
        "end": _instant(ends_at),
        "serviceType": [service_type(type_code, type_name)],
    }


def appointment_resource(
    *,
    id: str,
    status: str,
    starts_at: datetime,
    ends_at: datetime,
    patient_id: int | None,
    clinician_id: int,
    clinician_name: str,
    appointment_type_id: int,
    type_code: str,
    type_name: str,
    created: datetime | None = None,
    cancel_reason: str | None = None,
) -> dict[str, Any]:
    """An Appointment; `status` is already FHIR's word (booked, pending for a hold, proposed)."""
    participants: list[dict[str, Any]] = []
    if patient_id is not None:
        participants.append({"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"})
    participants.append(
        {
            "actor": {"reference": f"Practitioner/{clinician_id}", "display": clinician_name},
            "status": "accepted" if status != "proposed" else "needs-action",
        }
    )
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": id,
        "status": status,
        "serviceType": [service_type(type_code, type_name)],
        "start": _instant(starts_at),
        "end": _instant(ends_at),
        "slot": [{"reference": f"Slot/{SlotKey(clinician_id, appointment_type_id, starts_at).id}"}],
        "participant": participants,
    }
    if created is not None:
        resource["created"] = _instant(created)
    if cancel_reason:
        resource["cancelationReason"] = {"text": cancel_reason}
    return resource


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
