"""`/fhir`: HL7 FHIR R4 over the clinic's people, schedules, slots and appointments.

Read and search for Patient, Practitioner, Schedule, Slot and Appointment; `POST Appointment`
and the IHE-style `Appointment/$find`, `$hold` and `$book` book through the scheduling service
(so the database's no-double-booking rule holds here too); `Patient/{id}/$everything` exports
a patient's record with their cases as FHIR. Same bearer tokens, roles and audit as the JSON
API; every error is an OperationOutcome (`outcome.FhirRoute`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.config import get_settings
from plexcare.errors import InvalidInput, ServiceError
from plexcare.fhir import patient_records, schedule_service
from plexcare.fhir.booking_request import appointment_asked, appointment_in, parameter, value_text
from plexcare.fhir.capability import capability_statement
from plexcare.fhir.conformance import conformant
from plexcare.fhir.outcome import (
    SERVED,
    FhirResponse,
    FhirRoute,
    fhir_base,
    outcome_response,
    searchset,
)
from plexcare.fhir.search_params import TimeRange, reference_id, time_range
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.scheduling import idempotency
from plexcare.scheduling.routes import rolled_back_if_refused
from plexcare.web.dependencies import CurrentActor, DbSession, Now, SignedIn

# Described by its CapabilityStatement (`GET /fhir/metadata`), the way FHIR clients discover a
# server, not by the OpenAPI document: its answers are `application/fhir+json` resources and
# OperationOutcomes, which that document's problem+json contract does not cover.
router = APIRouter(
    prefix="/fhir",
    tags=["fhir"],
    route_class=FhirRoute,
    default_response_class=FhirResponse,
    include_in_schema=False,
)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]
Count = Annotated[int, Query(alias="_count", ge=1, le=200)]
Offset = Annotated[int, Query(alias="_offset", ge=0)]
Resource = Annotated[dict[str, Any], Body(media_type="application/fhir+json")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@router.get("/metadata")
def metadata(request: Request, now: Now) -> FhirResponse:
    """Public: the CapabilityStatement."""
    return FhirResponse(
        capability_statement(base_url=fhir_base(request), date=now.date().isoformat())
    )


def _int_id(value: str, field: str = "id") -> int:
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("ids here are whole numbers", field=field)
    return int(value)


@router.get("/Patient/{patient_id}")
def read_patient(patient_id: str, actor: SignedIn, session: DbSession, now: Now) -> FhirResponse:
    """Staff, or the patient themselves; every read is audited."""
    found = patient_records.read_patient(
        session=session, actor=actor, patient_id=_int_id(patient_id), now=now
    )
    session.commit()
    return FhirResponse(found)


@router.get("/Patient")
def search_patients(
    request: Request,
    actor: SignedIn,
    session: DbSession,
    now: Now,
    name: str | None = None,
    email: str | None = None,
    count: Count = 50,
    offset: Offset = 0,
) -> FhirResponse:
    found, total = patient_records.search_patients(
        session=session, actor=actor, name=name, email=email, limit=count, offset=offset, now=now
    )
    session.commit()
    return searchset(request, found, total)


@router.get("/Patient/{patient_id}/$everything")
def patient_everything(
    patient_id: str, request: Request, actor: SignedIn, session: DbSession, now: Now, kb: Knowledge
) -> FhirResponse:
    """Clinicians and administrators: the patient, their appointments and their cases."""
    found = patient_records.everything(
        session=session, actor=actor, patient_id=_int_id(patient_id), kb=kb, now=now
    )
    session.commit()
    return searchset(request, found)


@router.get("/Practitioner/{clinician_id}")
def read_practitioner(clinician_id: str, session: DbSession) -> FhirResponse:
    """Public, like the clinician directory."""
    return FhirResponse(
        patient_records.read_practitioner(session=session, clinician_id=_int_id(clinician_id))
    )


@router.get("/Practitioner")
def search_practitioners(
    request: Request, session: DbSession, name: str | None = None, specialty: str | None = None
) -> FhirResponse:
    return searchset(
        request,
        patient_records.search_practitioners(session=session, specialty=specialty, name=name),
    )


@router.get("/Schedule/{schedule_id}")
def read_schedule(schedule_id: str, session: DbSession) -> FhirResponse:
    return FhirResponse(
        schedule_service.read_schedule(session=session, schedule_id=_int_id(schedule_id))
    )


@router.get("/Schedule")
def search_schedules(
    request: Request, session: DbSession, actor: str | None = None
) -> FhirResponse:
    clinician_id = reference_id(actor, "Practitioner", field="actor") if actor else None
    return searchset(
        request, schedule_service.search_schedules(session=session, clinician_id=clinician_id)
    )


@router.get("/Slot/{slot_id}")
def read_slot(slot_id: str, session: DbSession, now: Now) -> FhirResponse:
    return FhirResponse(schedule_service.read_slot(session=session, slot_id=slot_id, now=now))


@router.get("/Slot")
def search_slots(
    request: Request,
    session: DbSession,
    now: Now,
    schedule: str | None = None,
    start: Annotated[list[str] | None, Query()] = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    service_type: Annotated[str | None, Query(alias="service-type")] = None,
    count: Count = 50,
) -> FhirResponse:
    """Public: free slots (computed from the clinicians' hours) and busy ones (booked time,
    never whose). `start` takes FHIR date prefixes: `start=ge2026-03-03&start=lt2026-03-05`."""
    clinician_id = reference_id(schedule, "Schedule", field="schedule") if schedule else None
    window = time_range(start or [], zone=get_settings().clinic_timezone, field="start")
    statuses = frozenset((status_filter or "free").split(","))
    type_id = None
    if service_type:
        type_code = service_type.rpartition("|")[2]
        found = schedule_service.find_type(session=session, code=type_code)
        type_id = found
    query = schedule_service.SlotQuery(clinician_id, type_id, None, window, statuses)
    return searchset(
        request, schedule_service.search_slots(session=session, query=query, now=now, limit=count)
    )


@router.get("/Appointment/{appointment_id}")
def read_appointment(
    appointment_id: str, actor: SignedIn, session: DbSession, now: Now
) -> FhirResponse:
    found = schedule_service.read_appointment(
        session=session, actor=actor, appointment_id=_int_id(appointment_id), now=now
    )
    session.commit()
    return FhirResponse(found)


@router.get("/Appointment")
def search_appointments(
    request: Request,
    actor: SignedIn,
    session: DbSession,
    now: Now,
    patient: str | None = None,
    practitioner: str | None = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    date: Annotated[list[str] | None, Query()] = None,
    count: Count = 50,
    offset: Offset = 0,
) -> FhirResponse:
    """Patients see their own; staff the clinic's, filtered."""
    found, total = schedule_service.search_appointments(
        session=session,
        actor=actor,
        patient_id=reference_id(patient, "Patient", field="patient") if patient else None,
        clinician_id=reference_id(practitioner, "Practitioner", field="practitioner")
        if practitioner
        else None,
        statuses=[s for s in (status_filter or "").split(",") if s],
        window=time_range(date or [], zone=get_settings().clinic_timezone, field="date"),
        limit=count,
        offset=offset,
        now=now,
    )
    session.commit()
    return searchset(request, found, total)


def _created(request: Request, resource: dict[str, Any]) -> FhirResponse:
    return FhirResponse(
        resource,
        status_code=status.HTTP_201_CREATED,
        headers={"Location": f"{fhir_base(request)}/Appointment/{resource['id']}"},
    )


def _book_once(
    *,
    request: Request,
    resource: dict[str, Any],
    payload: dict[str, Any],
    actor: Actor,
    session: Session,
    now: datetime,
    idempotency_key: str | None,
) -> FhirResponse:
    """Book, remembering the answer under the caller's `Idempotency-Key` in the booking's own
    transaction, as `POST /api/v1/appointments` does: a retry either collides with the stored
    key or with the taken slot, and is answered from the stored record."""
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    fingerprint = idempotency.fingerprint("POST", request.url.path, payload)
    try:
        booked = schedule_service.book(
            session=session, actor=actor, asked=appointment_asked(resource), now=now
        )
        if key is not None and actor.user_id is not None:
            idempotency.remember_answer(
                session=session,
                user_id=actor.user_id,
                key=key,
                request_fingerprint=fingerprint,
                status_code=201,
                body_json=json.dumps(booked),
                now=now,
            )
        session.commit()
    except (ServiceError, IntegrityError):
        session.rollback()
        if key is not None and actor.user_id is not None:
            stored = idempotency.stored_answer(
                session=session, user_id=actor.user_id, key=key, request_fingerprint=fingerprint
            )
            if stored is not None:
                return FhirResponse(
                    stored.body,
                    status_code=stored.status_code,
                    headers={"Idempotent-Replayed": "true"},
                )
        raise
    return _created(request, booked)


@router.post("/Appointment", status_code=status.HTTP_201_CREATED)
def create_appointment(
    body: Resource,
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> FhirResponse:
    """Book the slot the Appointment names (`slot` = Slot/<id>, or practitioner, start and
    serviceType). A patient books for themselves; the front desk names the Patient participant.
    A slot already taken is 409, however close together the requests arrive; send an
    `Idempotency-Key` header and a retried request books once."""
    return _book_once(
        request=request,
        resource=body,
        payload=body,
        actor=actor,
        session=session,
        now=now,
        idempotency_key=idempotency_key,
    )


@router.post("/Appointment/$find")
def find_appointments(
    body: Resource, request: Request, session: DbSession, now: Now
) -> FhirResponse:
    """Public: free slots as proposed Appointments. Parameters: start, end, practitioner,
    specialty, service-type (our appointment-type code), _count."""
    if body.get("resourceType") != "Parameters":
        raise InvalidInput("send Parameters", field="resourceType")
    body = conformant(body)
    zone = get_settings().clinic_timezone
    bounds = []
    if (start := value_text(parameter(body, "start"))) is not None:
        bounds.append(f"ge{start}")
    if (end := value_text(parameter(body, "end"))) is not None:
        bounds.append(f"lt{end}" if "T" in end else f"le{end}")
    window: TimeRange = time_range(bounds, zone=zone, field="start")
    practitioner = value_text(parameter(body, "practitioner"))
    count_text = value_text(parameter(body, "_count"))
    found = schedule_service.find(
        session=session,
        window=window,
        clinician_id=reference_id(practitioner, "Practitioner", field="practitioner")
        if practitioner
        else None,
        specialty=value_text(parameter(body, "specialty")),
        type_code=value_text(parameter(body, "service-type")),
        limit=int(count_text) if count_text and count_text.isdigit() else 20,
        now=now,
    )
    return searchset(request, found)


@router.post("/Appointment/$hold")
def hold_appointment(
    body: Resource, actor: CurrentActor, session: DbSession, now: Now
) -> FhirResponse:
    """Keep a proposed appointment's slot for a few minutes: an Appointment, status pending."""
    with rolled_back_if_refused(session):
        held = schedule_service.hold(
            session=session, actor=actor, asked=appointment_asked(appointment_in(body)), now=now
        )
        session.commit()
    return FhirResponse(held, status_code=status.HTTP_201_CREATED)


@router.post("/Appointment/$book")
def book_appointment(
    body: Resource,
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> FhirResponse:
    """Book a proposed or held appointment; the caller's own hold on the slot becomes it."""
    return _book_once(
        request=request,
        resource=dict(appointment_in(body)),
        payload=body,
        actor=actor,
        session=session,
        now=now,
        idempotency_key=idempotency_key,
    )


SUPPORTED = frozenset({*SERVED, "metadata"})
ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/{rest:path}", methods=ANY_METHOD)
def unsupported(rest: str, request: Request) -> FhirResponse:
    """Anything else under `/fhir`: an OperationOutcome, as every `/fhir` error is, saying
    whether the resource type is unknown here (404) or the interaction is (405)."""
    kind = rest.split("/", 1)[0]
    if kind in SUPPORTED:
        return outcome_response(
            405, [(f"{request.method} is not supported on {kind} here; see /fhir/metadata", None)]
        )
    return outcome_response(
        404, [(f"this server has no {kind or 'resource'} endpoint; see /fhir/metadata", None)]
    )
