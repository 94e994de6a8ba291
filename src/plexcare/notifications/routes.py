"""The outbox, readable by administrators to see what was sent, is waiting or failed."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from plexcare.notifications.models import OutboxMessage
from plexcare.web.dependencies import Admin, DbSession, Paging

router = APIRouter(prefix="/api/v1", tags=["notifications"])


class OutboxMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    channel: str
    recipient_user_id: int
    appointment_id: int | None
    status: str
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    last_error: str | None


@router.get("/outbox", response_model=list[OutboxMessageOut])
def list_outbox(
    actor: Admin, session: DbSession, page: Paging, status: str | None = None
) -> list[OutboxMessageOut]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    rows = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    return [OutboxMessageOut.model_validate(row) for row in rows]
