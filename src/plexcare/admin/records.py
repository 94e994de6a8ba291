"""The outbox (every message the clinic queued, with resend) and the audit log with filters.

Administrators only. Reading the outbox or the audit log names patients, so each page read is
audited per patient shown. Resending puts a failed, skipped or sent message back in the queue
for the worker, never one withdrawn because its appointment changed (that message would say
something no longer true). Audit rows are only ever read here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.admin import views
from plexcare.admin.people import ADMIN
from plexcare.audit import service as audit
from plexcare.audit.models import AuditEvent
from plexcare.config import get_settings
from plexcare.errors import Conflict, NotFound, ServiceError
from plexcare.notifications.models import OutboxMessage
from plexcare.portal import form_values
from plexcare.portal.layout import ROLE_LABELS, when_label
from plexcare.portal.refusals import refusal_page
from plexcare.portal.rendering import FormDep, VisitDep, gate, gate_form, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

OUTBOX_PAGE = 100
AUDIT_PAGE = 100
OUTBOX_STATUSES = ("pending", "sent", "failed", "skipped", "withdrawn")
RESENDABLE = frozenset({"sent", "failed", "skipped"})


def resend(*, session: Session, actor: Actor, message_id: int, now: datetime) -> OutboxMessage:
    """Queue the message again, due now, with a fresh count of attempts."""
    actor.require_role(ADMIN)
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotFound("no such message", field="message_id")
    if row.status not in RESENDABLE:
        raise Conflict(f"a {row.status} message cannot be sent again", field="message_id")
    row.status = "pending"
    row.attempts = 0
    row.due_at = now
    row.last_error = None
    session.flush()
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="outbox_message",
        subject_id=row.id,
        patient_user_id=row.recipient_user_id,
        now=now,
    )
    return row


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()
    return {user_id: name for user_id, name in rows}


@router.get("/admin/outbox", name="admin_outbox_page")
def outbox_page(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    status: str = "",
    done: str = "",
) -> Response:
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    status_filter = status if status in OUTBOX_STATUSES else ""
    query = select(OutboxMessage)
    if status_filter:
        query = query.where(OutboxMessage.status == status_filter)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(OUTBOX_PAGE)
    ).all()
    names = _names(session, {row.recipient_user_id for row in rows})
    for recipient in sorted(names):
        audit.record_access(
            session=session,
            actor=visit.actor,
            action="read",
            subject_type="outbox_messages",
            subject_id=recipient,
            patient_user_id=recipient,
            now=now,
        )
    zone = get_settings().clinic_zone
    page = views.OutboxPage(
        frame=visit.frame(title="Outbox", current="/admin/outbox"),
        rows=tuple(
            views.OutboxRow(
                id=row.id,
                kind=row.kind,
                channel=row.channel,
                recipient=names.get(row.recipient_user_id, ""),
                status=row.status,
                attempts=row.attempts,
                due=when_label(row.due_at, zone),
                sent=when_label(row.sent_at, zone) if row.sent_at else "",
                error=(row.last_error or "")[:200],
                can_resend=row.status in RESENDABLE,
            )
            for row in rows
        ),
        statuses=tuple(views.Choice(value, value.capitalize()) for value in OUTBOX_STATUSES),
        status_filter=status_filter,
        done=views.DONE_MESSAGES.get(done, ""),
        total=total,
    )
    session.commit()
    return render(request, "admin/outbox.html", page, visit)


@router.post("/admin/outbox/{message_id}/resend")
def resend_message(
    request: Request, message_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    try:
        resend(
            session=session,
            actor=visit.actor,
            message_id=form_values.record_id(message_id) or 0,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return refusal_page(
            request,
            visit,
            error,
            heading="The message was not queued again",
            next_href="/admin/outbox",
            next_label="Back to the outbox",
        )
    session.commit()
    return RedirectResponse("/admin/outbox?done=resent", status_code=303)


AUDIT_FILTERS = ("actor", "patient", "subject", "action", "from", "to")


@router.get("/admin/audit", name="admin_audit_page")
def audit_page(request: Request, visit: VisitDep, session: DbSession, now: Now) -> Response:
    """The audit log, newest first, filtered by who acted, whose record, what kind of record,
    the action and the dates (clinic days)."""
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    params = request.query_params
    filters = {name: params.get(name, "").strip()[:64] for name in AUDIT_FILTERS}
    errors: dict[str, str] = {}
    query = select(AuditEvent)
    for name, column in (
        ("actor", AuditEvent.actor_user_id),
        ("patient", AuditEvent.patient_user_id),
    ):
        if filters[name]:
            chosen = form_values.record_id(filters[name])
            if chosen is None:
                errors[name] = "Enter an account number."
            else:
                query = query.where(column == chosen)
    if filters["subject"]:
        query = query.where(AuditEvent.subject_type == filters["subject"])
    if filters["action"]:
        if filters["action"] not in audit.ACTIONS:
            errors["action"] = "Choose an action from the list."
        query = query.where(AuditEvent.action == filters["action"])
    zone = get_settings().clinic_zone
    for name, shift in (("from", 0), ("to", 1)):
        if filters[name]:
            day = form_values.calendar_day(filters[name])
            if day is None:
                errors[name] = "Enter a date like 2026-03-02."
                continue
            edge = datetime.combine(day + timedelta(days=shift), time(0), tzinfo=zone)
            query = query.where(
                AuditEvent.occurred_at >= edge if name == "from" else AuditEvent.occurred_at < edge
            )
    offset = form_values.whole_number(params.get("offset", ""), maximum=10_000_000) or 0
    rows: list[AuditEvent] = []
    total = 0
    if not errors:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(
            session.scalars(
                query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
                .limit(AUDIT_PAGE)
                .offset(offset)
            )
        )
    names = _names(
        session,
        {row.actor_user_id for row in rows if row.actor_user_id}
        | {row.patient_user_id for row in rows if row.patient_user_id},
    )
    kept = {name: value for name, value in filters.items() if value}
    for patient in sorted({row.patient_user_id for row in rows if row.patient_user_id}):
        audit.record_access(
            session=session,
            actor=visit.actor,
            action="read",
            subject_type="audit_events",
            subject_id=patient,
            patient_user_id=patient,
            now=now,
        )
    page = views.AuditPage(
        frame=visit.frame(title="Audit log", current="/admin/audit"),
        rows=tuple(
            views.AuditRow(
                when=when_label(row.occurred_at, zone),
                actor=names.get(row.actor_user_id or 0, "") or f"#{row.actor_user_id or '-'}",
                role=ROLE_LABELS.get(row.actor_role, row.actor_role),
                action=row.action.replace("_", " "),
                subject=row.subject_type.replace("_", " "),
                record=str(row.subject_id),
                patient=names.get(row.patient_user_id, "") if row.patient_user_id else "",
                address=row.client_ip or "",
            )
            for row in rows
        ),
        filters=filters,
        actions=tuple(views.Choice(action, action.replace("_", " ")) for action in audit.ACTIONS),
        errors=errors,
        total=total,
        next_href=f"/admin/audit?{urlencode({**kept, 'offset': offset + AUDIT_PAGE})}"
        if offset + AUDIT_PAGE < total
        else "",
        previous_href=f"/admin/audit?{urlencode({**kept, 'offset': max(0, offset - AUDIT_PAGE)})}"
        if offset
        else "",
    )
    session.commit()
    return render(request, "admin/audit.html", page, visit, status_code=422 if errors else 200)
