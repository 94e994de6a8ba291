"""The audit log, readable by administrators only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from plexcare.audit import service as audit
from plexcare.audit.schemas import AuditEventOut, AuditEventPage
from plexcare.web.dependencies import Admin, DbSession, Paging

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-events", response_model=AuditEventPage)
def list_audit_events(
    actor: Admin,
    session: DbSession,
    page: Paging,
    patient_id: Annotated[int | None, Query()] = None,
    actor_user_id: Annotated[int | None, Query()] = None,
) -> AuditEventPage:
    """Who read or changed patient data, when and from where; newest first."""
    events, total = audit.list_events(
        session=session,
        patient_user_id=patient_id,
        actor_user_id=actor_user_id,
        limit=page.limit,
        offset=page.offset,
    )
    return AuditEventPage(
        items=[AuditEventOut.model_validate(event) for event in events],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
