"""Waitlist endpoints under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, status

from plexcare.audit import service as audit
from plexcare.scheduling import waitlist
from plexcare.scheduling.routes import Booker, rolled_back_if_refused
from plexcare.scheduling.schemas import WaitlistEntryOut, WaitlistPage, WaitlistRequest
from plexcare.web.dependencies import DbSession, Now, Paging, SignedIn

router = APIRouter(prefix="/api/v1", tags=["waitlist"])


@router.post("/waitlist", response_model=WaitlistEntryOut, status_code=status.HTTP_201_CREATED)
def join_waitlist(
    body: WaitlistRequest, actor: Booker, session: DbSession, now: Now
) -> WaitlistEntryOut:
    """Wait for an earlier slot; a freed slot that fits is offered as a hold."""
    entry = waitlist.join(
        session=session,
        actor=actor,
        specialty=body.specialty.value,
        appointment_type_id=body.appointment_type_id,
        urgency=body.urgency,
        now=now,
        clinician_id=body.clinician_id,
        patient_id=body.patient_id,
    )
    answer = WaitlistEntryOut.model_validate(entry)
    session.commit()
    return answer


@router.get("/waitlist", response_model=WaitlistPage)
def list_waitlist(actor: SignedIn, session: DbSession, page: Paging, now: Now) -> WaitlistPage:
    """Patients see their own entries; staff see the whole waitlist. Each entry shown is a
    read of a patient's record, so it is audited."""
    rows = waitlist.entries(
        session=session,
        patient_id=None if actor.is_staff else actor.user_id,
        limit=page.limit,
        offset=page.offset,
    )
    answer = WaitlistPage(
        items=[WaitlistEntryOut.model_validate(row) for row in rows],
        limit=page.limit,
        offset=page.offset,
    )
    for row in rows:
        audit.record_access(
            session=session,
            actor=actor,
            action="read",
            subject_type="waitlist_entry",
            subject_id=row.id,
            patient_user_id=row.patient_id,
            now=now,
        )
    session.commit()
    return answer


@router.delete("/waitlist/{entry_id}", response_model=WaitlistEntryOut)
def leave_waitlist(entry_id: int, actor: Booker, session: DbSession, now: Now) -> WaitlistEntryOut:
    with rolled_back_if_refused(session):
        entry = waitlist.leave(session=session, actor=actor, entry_id=entry_id, now=now)
    answer = WaitlistEntryOut.model_validate(entry)
    session.commit()
    return answer
