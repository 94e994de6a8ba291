"""/desk/mailbox: the demo's local mail sink, read by staff, so a trial can see that the
confirmation (with its calendar invitation) really left.

Only where this server started the sink (`plexcare serve --demo`, which sets
`app.state.mailbox_dir`); anywhere else the page says there is no demo mailbox. The messages
name patients and their appointments, so only staff may read them, and opening one is
audited like any record.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.config import get_settings
from plexcare.notifications import mailbox
from plexcare.notifications.views import MailboxPage, MessagePage, message_row, read_view
from plexcare.portal.rendering import Visit, VisitDep, gate, message, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
STAFF = (Role.front_desk, Role.admin, Role.clinician)
HOME = "/desk/mailbox"


def _box(request: Request) -> mailbox.Mailbox | None:
    configured = getattr(request.app.state, "mailbox_dir", None)
    return mailbox.Mailbox(Path(configured)) if configured else None


def _absent(request: Request, visit: Visit, text: str) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="No such message",
        text=text,
        next_href=HOME,
        next_label="Back to the mailbox",
    )


NO_SINK = (
    "This server keeps no demo mailbox: messages go to the clinic's mail server. "
    "`plexcare serve --demo` starts one."
)


@router.get(HOME, name="demo_mailbox")
def demo_mailbox(request: Request, visit: VisitDep) -> Response:
    denied = gate(request, visit, *STAFF)
    if denied is not None:
        return denied
    box = _box(request)
    if box is None:
        return _absent(request, visit, NO_SINK)
    zone = get_settings().clinic_zone
    rows = []
    for message_id in box.message_ids()[:200]:
        found = box.read(message_id)
        if found is not None:
            rows.append(message_row(mailbox.read_message(message_id, found), zone))
    page = MailboxPage(
        frame=visit.frame(title="Demo mailbox", current=HOME),
        messages=tuple(rows),
        directory=str(box.directory),
    )
    return render(request, "notifications/mailbox.html", page, visit)


def _opened(request: Request, visit: Visit, message_id: str) -> mailbox.ReadMessage | HTMLResponse:
    box = _box(request)
    if box is None:
        return _absent(request, visit, NO_SINK)
    found = box.read(message_id)
    if found is None:
        return _absent(request, visit, "There is no such message in the demo mailbox.")
    return mailbox.read_message(message_id, found)


@router.get(HOME + "/{message_id}", name="demo_mail")
def demo_mail(
    request: Request, message_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, *STAFF)
    if denied is not None:
        return denied
    opened = _opened(request, visit, message_id)
    if isinstance(opened, HTMLResponse):
        return opened
    audit.record_access(
        session=session,
        actor=visit.actor,
        action="read",
        subject_type="demo_mail",
        subject_id=message_id,
        patient_user_id=None,
        now=now,
    )
    session.commit()
    page = MessagePage(
        frame=visit.frame(title=opened.subject or "Message", current=HOME),
        message=read_view(opened, get_settings().clinic_zone),
    )
    return render(request, "notifications/mail.html", page, visit)


@router.get(HOME + "/{message_id}/attachments/{number}", name="demo_mail_attachment")
def demo_mail_attachment(
    request: Request, message_id: str, number: int, visit: VisitDep
) -> Response:
    """An attachment as it was sent (a calendar invitation, say), always as a download."""
    denied = gate(request, visit, *STAFF)
    if denied is not None:
        return denied
    opened = _opened(request, visit, message_id)
    if isinstance(opened, HTMLResponse):
        return opened
    if not 1 <= number <= len(opened.attachments):
        return _absent(request, visit, "That message has no such attachment.")
    attachment = opened.attachments[number - 1]
    safe_name = "".join(ch for ch in attachment.filename if ch.isalnum() or ch in "._-")
    return Response(
        content=attachment.content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name or "attachment"}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
