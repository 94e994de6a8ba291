"""Users and roles: who has an account, what each may do, and new staff accounts.

Administrators only. A role change is audited as a change to the account, and an administrator
cannot change their own role (the clinic would risk having no administrator left). New staff
accounts get the password the administrator types (at least 12 characters), to hand over in
person; patients register themselves or at the front desk.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.admin import views
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.errors import Conflict, InvalidInput, NotFound, ServiceError
from plexcare.portal import form_values
from plexcare.portal.refusals import as_sentence, refusal_page
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

ADMIN = Role.admin
PAGE_SIZE = 50
PASSWORD_MINIMUM = 12


def change_role(*, session: Session, actor: Actor, user_id: int, role: str, now: datetime) -> User:
    """Give an account another role; never one's own."""
    actor.require_role(Role.admin)
    if role not in {member.value for member in Role}:
        raise InvalidInput("choose a role from the list", field="role")
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("no such account", field="user_id")
    if user.id == actor.user_id:
        raise Conflict("you cannot change your own role; ask another administrator", field="role")
    user.role = role
    session.flush()
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="user_role",
        subject_id=user.id,
        patient_user_id=user.id if role == Role.patient.value else None,
        now=now,
    )
    return user


def _users_page(
    request: Request,
    visit: Visit,
    session: DbSession,
    now: datetime,
    *,
    role_filter: str,
    offset: int,
    done: str = "",
    errors: dict[str, str] | None = None,
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    query = select(User)
    if role_filter:
        query = query.where(User.role == role_filter)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    people = session.scalars(query.order_by(User.id).limit(PAGE_SIZE).offset(offset)).all()
    for user in people:
        if user.role == Role.patient.value:
            audit.record_access(
                session=session,
                actor=visit.actor,
                action="read",
                subject_type="patient",
                subject_id=user.id,
                patient_user_id=user.id,
                now=now,
            )
    clinicians, _count = clinic_repository.clinicians(
        session=session, specialty=None, limit=500, offset=0
    )
    base = {"role": role_filter} if role_filter else {}
    page = views.UsersPage(
        frame=visit.frame(title="Users and roles", current="/admin"),
        users=tuple(
            views.UserRow(
                id=user.id,
                name=user.full_name,
                email=user.email,
                role=user.role,
                active=user.is_active,
                is_me=user.id == visit.actor.user_id,
            )
            for user in people
        ),
        role_filter=role_filter,
        clinicians=tuple(views.Choice(str(c.id), c.full_name) for c in clinicians),
        done=views.DONE_MESSAGES.get(done, ""),
        errors=errors or {},
        entered=entered or {},
        total=total,
        next_href=f"/admin?{urlencode({**base, 'offset': offset + PAGE_SIZE})}"
        if offset + PAGE_SIZE < total
        else "",
        previous_href=f"/admin?{urlencode({**base, 'offset': max(0, offset - PAGE_SIZE)})}"
        if offset
        else "",
    )
    session.commit()
    return render(request, "admin/users.html", page, visit, status_code=status_code)


@router.get("/admin", name="admin_home")
def users(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    role: str = "",
    offset: str = "",
    done: str = "",
) -> Response:
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    role_filter = role if role in {member.value for member in Role} else ""
    start = form_values.whole_number(offset, maximum=1_000_000) or 0
    return _users_page(
        request, visit, session, now, role_filter=role_filter, offset=start, done=done
    )


@router.post("/admin/users/{user_id}/role")
def set_role(
    request: Request, user_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    chosen = form_values.record_id(user_id)
    try:
        if chosen is None:
            raise NotFound("no such account", field="user_id")
        change_role(
            session=session, actor=visit.actor, user_id=chosen, role=form.get("role"), now=now
        )
    except ServiceError as error:
        session.rollback()
        return refusal_page(
            request,
            visit,
            error,
            heading="The role was not changed",
            next_href="/admin",
            next_label="Back to users",
        )
    session.commit()
    return RedirectResponse(f"/admin?done=role#user-{chosen}", status_code=303)


@router.post("/admin/users")
def create_staff(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    entered = {name: form.get(name)[:300] for name in ("full_name", "email", "role")}
    errors: dict[str, str] = {}
    name = " ".join(form.get("full_name").split())
    if not name or len(name) > 200:
        errors["full_name"] = "Enter a name of at most 200 characters."
    email = form.get("email").lower()
    if "@" not in email or len(email) > 254 or " " in email:
        errors["email"] = "Enter an e-mail address like name@clinic.example."
    role = form.get("role")
    if role not in {Role.clinician.value, Role.front_desk.value, Role.admin.value}:
        errors["role"] = "Choose clinician, front desk or administrator."
    password = form.fields.get("password", "")
    if not PASSWORD_MINIMUM <= len(password) <= 200:
        errors["password"] = f"Use {PASSWORD_MINIMUM} to 200 characters."
    if not errors:
        try:
            user = accounts.create_user(
                session=session,
                email=email,
                password=password,
                full_name=name,
                role=Role(role),
                now=now,
            )
            audit.record_access(
                session=session,
                actor=visit.actor,
                action="create",
                subject_type="user",
                subject_id=user.id,
                patient_user_id=None,
                now=now,
            )
        except ServiceError as error:
            session.rollback()
            errors[error.field or "email"] = as_sentence(error.detail)
    if errors:
        return _users_page(
            request,
            visit,
            session,
            now,
            role_filter="",
            offset=0,
            errors=errors,
            entered=entered,
            status_code=422,
        )
    session.commit()
    return RedirectResponse("/admin?done=created", status_code=303)
