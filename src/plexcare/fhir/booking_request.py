"""What a client asks to book, read from an Appointment (POST, `$hold`, `$book`) or from the
Parameters of `$find`, in the manner of the IHE ITI Scheduling profile. Pure: names are
resolved against the clinic by `service`; a bad element is InvalidInput naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plexcare.errors import InvalidInput
from plexcare.fhir import codes
from plexcare.fhir.conformance import conformant
from plexcare.fhir.scheduling_resources import SlotKey, parse_slot_id
from plexcare.fhir.search_params import reference_id

BOOKABLE_STATUSES = ("proposed", "pending", "booked")


@dataclass(frozen=True)
class AppointmentAsked:
    """The slot (clinician, appointment type, start) and, for the front desk, the patient."""

    slot: SlotKey | None
    clinician_id: int | None
    type_code: str | None
    starts_at: datetime | None
    patient_id: int | None
    hold_id: int | None


def _participants(resource: Mapping[str, Any], kind: str) -> list[int]:
    found = []
    for index, participant in enumerate(resource.get("participant") or []):
        reference = str((participant.get("actor") or {}).get("reference") or "")
        if reference.startswith(f"{kind}/"):
            found.append(
                reference_id(reference, kind, field=f"Appointment.participant[{index}].actor")
            )
    return found


def appointment_asked(resource: Mapping[str, Any]) -> AppointmentAsked:
    if resource.get("resourceType") != "Appointment":
        raise InvalidInput("send an Appointment", field="resourceType")
    resource = conformant(resource)
    status = resource.get("status")
    if status not in BOOKABLE_STATUSES:
        raise InvalidInput(
            f"an appointment to book has status {', '.join(BOOKABLE_STATUSES)}",
            field="Appointment.status",
        )
    slot: SlotKey | None = None
    slots = resource.get("slot") or []
    if slots:
        reference = str(slots[0].get("reference") or "")
        slot = parse_slot_id(reference.removeprefix("Slot/"), field="Appointment.slot[0].reference")
    practitioners = _participants(resource, "Practitioner")
    patients = _participants(resource, "Patient")
    if len(patients) > 1:
        raise InvalidInput("name one patient", field="Appointment.participant")
    start = None
    if resource.get("start"):
        try:
            start = datetime.fromisoformat(str(resource["start"]).replace("Z", "+00:00"))
        except ValueError as error:
            raise InvalidInput("not an instant", field="Appointment.start") from error
    type_code = None
    for concept in resource.get("serviceType") or []:
        type_code = codes.code_in(concept, codes.APPOINTMENT_TYPE) or type_code
    if slot is None and not (practitioners and start is not None and type_code):
        raise InvalidInput(
            "name the slot (slot[0] = Slot/<id>) or the practitioner, start and serviceType",
            field="Appointment.slot",
        )
    hold_id = None
    own_id = str(resource.get("id") or "")
    if own_id.startswith("hold-") and own_id[5:].isdigit():
        hold_id = int(own_id[5:])
    return AppointmentAsked(
        slot=slot,
        clinician_id=practitioners[0] if practitioners else None,
        type_code=type_code,
        starts_at=start,
        patient_id=patients[0] if patients else None,
        hold_id=hold_id,
    )


def parameter(parameters: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for found in parameters.get("parameter") or []:
        if found.get("name") == name:
            return dict(found)
    return None


def appointment_in(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Appointment of a `$hold`/`$book` call: Parameters' `appointment-resource`, or the
    Appointment itself."""
    if body.get("resourceType") == "Appointment":
        return body
    if body.get("resourceType") != "Parameters":
        raise InvalidInput("send Parameters with an appointment-resource", field="resourceType")
    body = conformant(body)
    found = parameter(body, "appointment-resource")
    if found is None or not isinstance(found.get("resource"), Mapping):
        raise InvalidInput(
            "give the appointment as parameter appointment-resource", field="Parameters.parameter"
        )
    return dict(found["resource"])


def value_text(found: Mapping[str, Any] | None) -> str | None:
    """A parameter's value as text, whichever value[x] it came in."""
    if found is None:
        return None
    for key in (
        "valueDateTime",
        "valueDate",
        "valueInstant",
        "valueString",
        "valueCode",
        "valueId",
    ):
        if key in found:
            return str(found[key])
    if "valueReference" in found:
        return str(found["valueReference"].get("reference") or "")
    if "valueCodeableConcept" in found:
        concept = found["valueCodeableConcept"]
        coding = (concept.get("coding") or [{}])[0]
        return str(coding.get("code") or concept.get("text") or "")
    if "valueCoding" in found:
        return str(found["valueCoding"].get("code") or "")
    return None
