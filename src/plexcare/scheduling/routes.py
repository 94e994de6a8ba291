"""Slot search, holds and appointments under /api/v1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.clinic.service import Specialty
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.postgres_pools import PostgresPools
from plexcare.scheduling import changes, idempotency, policy, quick_booking, search
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling import service as booking
from plexcare.scheduling.booking_rounds import BookingRounds
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.schemas import (
    AppointmentOut,
    AppointmentPage,
    BookingRequest,
    CancellationRequest,
    HoldOut,
    HoldRequest,
    RescheduleRequest,
    SlotOut,
    SlotPage,
)
from plexcare.web.dependencies import (
    DbSession,
    Now,
    Paging,
    SignedIn,
    Staff,
    kept_on,
    postgres_pools,
    require_roles,
)

router = APIRouter(prefix="/api/v1", tags=["scheduling"])
Booker = Annotated[Actor, Depends(require_roles(Role.patient, Role.front_desk, Role.admin))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _zone() -> str:
    return get_settings().clinic_timezone


def _slot_out(found: search.FoundSlot) -> SlotOut:
    return SlotOut(
        clinician_id=found.clinician.id,
        clinician_name=found.clinician.full_name,
        specialty=found.clinician.specialty,
        appointment_type_id=found.appointment_type.id,
        appointment_type=found.appointment_type.code,
        starts_at=found.slot.start,
        ends_at=found.slot.end,
        local_start=found.slot.local_start,
        time_zone=found.slot.time_zone,
    )


@contextmanager
def rolled_back_if_refused(session: Session) -> Iterator[None]:
    """A refused write is rolled back here, in the request's own thread, so the rows it
    locked are free at once. Left to the session dependency, the rollback waits for a free
    threadpool thread, and under a burst every thread can be a request queued behind those
    very locks: fifty reschedules of one appointment stalled that way until connections
    timed out."""
    try:
        yield
    except Exception:
        session.rollback()
        raise


def _committed(session: Session, appointment: Appointment) -> AppointmentOut:
    """The appointment as answered, then the request's transaction committed: the one ending
    of every route that reads or changes a single appointment."""
    answer = AppointmentOut.of(appointment, _zone())
    session.commit()
    return answer


@router.get("/slots", response_model=SlotPage)
def find_slots(
    session: DbSession,
    now: Now,
    page: Paging,
    specialty: Specialty | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
    from_date: Annotated[date | None, Query(description="first local date")] = None,
    to_date: Annotated[date | None, Query(description="last local date (inclusive)")] = None,
) -> SlotPage:
    """Public: free slots, earliest first, over at most two months of local dates."""
    first = from_date or now.date()
    last = to_date or first + timedelta(days=13)
    found = search.search(
        session=session,
        now=now,
        first_day=first,
        last_day=last,
        specialty=specialty.value if specialty else None,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
        limit=page.offset + page.limit,
    )
    return SlotPage(
        items=[_slot_out(item) for item in found[page.offset :]],
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/slots/earliest", response_model=SlotOut)
def earliest_slot(
    session: DbSession,
    now: Now,
    specialty: Specialty | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
) -> SlotOut:
    """Public: the earliest free slot matching the filters."""
    found = search.earliest(
        session=session,
        now=now,
        specialty=specialty.value if specialty else None,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    )
    if found is None:
        raise NotFound("no free slot in the booking window")
    return _slot_out(found)


@router.post("/holds", response_model=HoldOut, status_code=status.HTTP_201_CREATED)
def hold_slot(body: HoldRequest, actor: Booker, session: DbSession, now: Now) -> HoldOut:
    """Keep a slot for a few minutes while the patient completes the booking."""
    with rolled_back_if_refused(session):
        hold = booking.place_hold(
            session=session,
            actor=actor,
            clinician_id=body.clinician_id,
            appointment_type_id=body.appointment_type_id,
            starts_at=body.starts_at,
            now=now,
            patient_id=body.patient_id,
        )
    answer = HoldOut.model_validate(hold)
    session.commit()
    return answer


@router.get("/holds", response_model=list[HoldOut])
def my_holds(actor: SignedIn, session: DbSession, now: Now) -> list[HoldOut]:
    """The caller's live holds, including slots offered from the waitlist (each one shown is
    an audited read)."""
    assert actor.user_id is not None
    holds = scheduling_repository.holds_of_patient(
        session=session, patient_id=actor.user_id, now=now
    )
    answer = [HoldOut.model_validate(hold) for hold in holds]
    for hold in holds:
        audit.record_access(
            session=session,
            actor=actor,
            action="read",
            subject_type="slot_hold",
            subject_id=hold.id,
            patient_user_id=hold.patient_id,
            now=now,
        )
    session.commit()
    return answer


@router.delete("/holds/{hold_id}", status_code=status.HTTP_204_NO_CONTENT)
def release_hold(hold_id: int, actor: Booker, session: DbSession, now: Now) -> None:
    with rolled_back_if_refused(session):
        booking.release_hold(session=session, actor=actor, hold_id=hold_id, now=now)
    session.commit()


def _replay(answer: idempotency.StoredAnswer) -> JSONResponse:
    return JSONResponse(
        answer.body, status_code=answer.status_code, headers={"Idempotent-Replayed": "true"}
    )


def _book_in_full(
    *,
    session: Session,
    actor: Actor,
    body: BookingRequest,
    now: datetime,
    key: str | None,
    fingerprint: str,
) -> Response:
    """The full booking (`service.book`) in the request's session: every booking on SQLite
    (whose one connection the request may already hold), and on PostgreSQL whatever the quick
    path leaves to it, each refusal precisely named."""
    assert actor.user_id is not None
    try:
        appointment = booking.book(
            session=session,
            actor=actor,
            clinician_id=body.clinician_id,
            appointment_type_id=body.appointment_type_id,
            starts_at=body.starts_at,
            now=now,
            patient_id=body.patient_id,
        )
        answer = AppointmentOut.of(appointment, _zone()).model_dump_json()
        if key is not None:
            idempotency.remember_answer(
                session=session,
                user_id=actor.user_id,
                key=key,
                request_fingerprint=fingerprint,
                status_code=201,
                body_json=answer,
                now=now,
            )
        session.commit()
    except (ServiceError, IntegrityError):
        session.rollback()
        if key is not None:
            stored = idempotency.stored_answer(
                session=session, user_id=actor.user_id, key=key, request_fingerprint=fingerprint
            )
            if stored is not None:
                return _replay(stored)
        raise
    return _created(appointment.id, answer)


BOOKING_PATH = "/api/v1/appointments"


def booking_fingerprint(body: BookingRequest) -> str:
    """What a retry under the same `Idempotency-Key` must repeat."""
    return idempotency.fingerprint("POST", BOOKING_PATH, body.model_dump(mode="json"))


def _created(appointment_id: int, answer: str) -> Response:
    return Response(
        answer,
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/api/v1/appointments/{appointment_id}"},
    )


def rules_memory_of(app: Any) -> quick_booking.RulesMemory:
    """This app's memory of the days' booking rules, made on first use."""
    return kept_on(app, "rules_memory", quick_booking.RulesMemory)


def booking_rounds_of(app: Any) -> BookingRounds:
    """This app's quick writes waiting for the database (`booking_rounds`), made on first use."""
    return kept_on(app, "booking_rounds", BookingRounds)


async def book_quickly(
    *,
    pools: PostgresPools | None,
    memory: quick_booking.RulesMemory,
    rounds: BookingRounds,
    actor: Actor,
    body: BookingRequest,
    now: datetime,
    key: str | None,
    fingerprint: str,
) -> quick_booking.Booked | None:
    """A patient's own plain booking on PostgreSQL (`quick_booking`); None when it is not one,
    or when the quick path leaves it to the full booking. Called by this route and, ahead of
    FastAPI's routing, by `quick_booking_route`."""
    limit = booking.open_limit_for(actor)
    if (
        pools is None
        or limit is None
        or actor.user_id is None
        or body.patient_id not in (None, actor.user_id)
    ):
        return None
    return await quick_booking.book(
        pools=pools,
        memory=memory,
        rounds=rounds,
        asked=quick_booking.BookingAsked(
            patient_id=actor.user_id,
            clinician_id=body.clinician_id,
            appointment_type_id=body.appointment_type_id,
            starts_at=body.starts_at,
            client_ip=actor.client_ip,
            idempotency_key=key,
            fingerprint=fingerprint,
            open_limit=limit,
        ),
        now=now,
        zone=_zone(),
    )


@router.post(
    "/appointments",
    response_model=AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the slot is taken"}},
)
async def book_appointment(
    body: BookingRequest,
    request: Request,
    actor: Booker,
    session: DbSession,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Book a slot. Send an `Idempotency-Key` header so a retried request books only once.

    The key is not looked up first: the first answer is stored in the booking's transaction
    under a unique (user, key), so a retry either fails the way any booking of a taken slot
    fails, or books again and then collides with the stored key, which rolls its booking
    back. Either way it is rolled back and answered from the stored record, and a first
    request pays no look-up.

    `async`: a patient's plain booking on PostgreSQL is answered on the event loop; anything
    else goes to the threadpool for the full booking.
    """
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    fingerprint = booking_fingerprint(body)
    quick = None
    if not getattr(request.state, quick_booking.TRIED, False):  # tried ahead of routing
        quick = await book_quickly(
            pools=postgres_pools(request),
            memory=rules_memory_of(request.app),
            rounds=booking_rounds_of(request.app),
            actor=actor,
            body=body,
            now=now,
            key=key,
            fingerprint=fingerprint,
        )
    if quick is not None:
        return _created(quick.appointment_id, quick.answer_json)
    return await run_in_threadpool(
        partial(
            _book_in_full,
            session=session,
            actor=actor,
            body=body,
            now=now,
            key=key,
            fingerprint=fingerprint,
        )
    )


@router.get("/appointments", response_model=AppointmentPage)
def list_appointments(
    actor: SignedIn,
    session: DbSession,
    now: Now,
    page: Paging,
    status_filter: Annotated[policy.AppointmentStatus | None, Query(alias="status")] = None,
    clinician_id: int | None = None,
    patient_id: int | None = None,
) -> AppointmentPage:
    """Patients see their own appointments; staff see the clinic's, filtered."""
    if actor.is_patient:
        patient_id = actor.user_id
    query = scheduling_repository.appointments_query(
        patient_id=patient_id,
        clinician_id=clinician_id,
        status=status_filter.value if status_filter else None,
        starts_from=None,
        starts_before=None,
    )
    rows, total = scheduling_repository.page_of_appointments(
        session=session, query=query, limit=page.limit, offset=page.offset
    )
    for row in rows:
        changes.audit_read(session=session, actor=actor, appointment=row, now=now)
    items = [AppointmentOut.of(row, _zone()) for row in rows]
    session.commit()
    return AppointmentPage(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut)
def get_appointment(
    appointment_id: int, actor: SignedIn, session: DbSession, now: Now
) -> AppointmentOut:
    appointment = changes.appointment_for(
        session=session, actor=actor, appointment_id=appointment_id, now=now
    )
    return _committed(session, appointment)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentOut)
def cancel_appointment(
    appointment_id: int,
    body: CancellationRequest,
    actor: SignedIn,
    session: DbSession,
    now: Now,
) -> AppointmentOut:
    """Cancel; with less than the notice period it is allowed but counts as a late change."""
    with rolled_back_if_refused(session):
        appointment = changes.cancel(
            session=session,
            actor=actor,
            appointment_id=appointment_id,
            now=now,
            reason=body.reason,
        )
    return _committed(session, appointment)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentOut)
def reschedule_appointment(
    appointment_id: int,
    body: RescheduleRequest,
    actor: SignedIn,
    session: DbSession,
    now: Now,
) -> AppointmentOut:
    """Move to another slot in one step; the answer is the new appointment."""
    with rolled_back_if_refused(session):
        appointment = changes.reschedule(
            session=session,
            actor=actor,
            appointment_id=appointment_id,
            starts_at=body.starts_at,
            now=now,
            clinician_id=body.clinician_id,
        )
    return _committed(session, appointment)


@router.post("/appointments/{appointment_id}/completed", response_model=AppointmentOut)
def mark_completed(
    appointment_id: int, actor: Staff, session: DbSession, now: Now
) -> AppointmentOut:
    with rolled_back_if_refused(session):
        appointment = changes.mark_attendance(
            session=session,
            actor=actor,
            appointment_id=appointment_id,
            outcome=policy.AppointmentStatus.COMPLETED,
            now=now,
        )
    return _committed(session, appointment)


@router.post("/appointments/{appointment_id}/no-show", response_model=AppointmentOut)
def mark_no_show(appointment_id: int, actor: Staff, session: DbSession, now: Now) -> AppointmentOut:
    with rolled_back_if_refused(session):
        appointment = changes.mark_attendance(
            session=session,
            actor=actor,
            appointment_id=appointment_id,
            outcome=policy.AppointmentStatus.NO_SHOW,
            now=now,
        )
    return _committed(session, appointment)
