"""Callback endpoints: anyone may ask for a call (rate-limited); the front desk works the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from plexcare.callbacks import service
from plexcare.callbacks.phone import display_phone_number
from plexcare.callbacks.schemas import (
    CallbackOut,
    CallbackPage,
    CallbackReceipt,
    CallbackRequestIn,
    CallbackStatus,
    CallbackUpdate,
)
from plexcare.web.dependencies import CurrentActor, DbSession, Desk, Now, Paging

router = APIRouter(prefix="/api/v1", tags=["callbacks"])
HOME_REGION = "GB"


def _out(view: service.CallbackView) -> CallbackOut:
    row = view.request
    return CallbackOut(
        id=row.id,
        full_name=row.full_name,
        phone=row.phone,
        phone_display=display_phone_number(row.phone, region=HOME_REGION),
        preferred_start=row.preferred_start,
        preferred_end=row.preferred_end,
        reason=row.reason,
        urgency=row.urgency,
        status=CallbackStatus(row.status),
        owner_user_id=row.owner_user_id,
        patient_user_id=row.patient_user_id,
        note=row.note,
        created_at=row.created_at,
        due_at=row.due_at,
        overdue=view.overdue,
    )


@router.post(
    "/callbacks",
    response_model=CallbackReceipt,
    status_code=status.HTTP_201_CREATED,
    responses={429: {"description": "too many requests; see Retry-After"}},
)
def request_callback(
    body: CallbackRequestIn, actor: CurrentActor, session: DbSession, now: Now
) -> CallbackReceipt:
    """Public: ask the clinic to call you back (no account needed)."""
    try:
        request = service.request_callback(
            session=session,
            actor=actor,
            full_name=body.full_name,
            phone=body.phone,
            region=body.region,
            preferred_start=body.preferred_start,
            preferred_end=body.preferred_end,
            reason=body.reason,
            urgency=body.urgency,
            now=now,
        )
    except service.TooManyRequests as error:
        raise HTTPException(
            status_code=429,
            detail=error.detail,
            headers={"Retry-After": str(error.retry_after_seconds)},
        ) from error
    answer = CallbackReceipt(
        id=request.id,
        status=CallbackStatus(request.status),
        urgency=request.urgency,
        due_at=request.due_at,
        message="Thank you. The front desk will call you back.",
    )
    session.commit()
    return answer


@router.get("/callbacks", response_model=CallbackPage)
def callback_queue(
    actor: Desk,
    session: DbSession,
    now: Now,
    page: Paging,
    status_filter: Annotated[CallbackStatus | None, Query(alias="status")] = None,
    owner_user_id: Annotated[int | None, Query()] = None,
    overdue: Annotated[bool, Query(description="only open requests past their target")] = False,
) -> CallbackPage:
    """Front desk: the callback queue, most pressing first."""
    views, total = service.desk_queue(
        session=session,
        actor=actor,
        status=status_filter,
        owner_user_id=owner_user_id,
        overdue_only=overdue,
        limit=page.limit,
        offset=page.offset,
        now=now,
    )
    answer = CallbackPage(
        items=[_out(view) for view in views], total=total, limit=page.limit, offset=page.offset
    )
    session.commit()
    return answer


@router.patch("/callbacks/{callback_id}", response_model=CallbackOut)
def update_callback(
    callback_id: int, body: CallbackUpdate, actor: Desk, session: DbSession, now: Now
) -> CallbackOut:
    """Front desk: take a request, hand it on, or record the outcome."""
    view = service.update_callback(
        session=session,
        actor=actor,
        callback_id=callback_id,
        status=body.status,
        owner_user_id=body.owner_user_id,
        note=body.note,
        fields_set=sorted(body.model_fields_set),
        now=now,
    )
    answer = _out(view)
    session.commit()
    return answer
