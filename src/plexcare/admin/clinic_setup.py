"""The clinic's set-up: each clinician's weekly hours, breaks and leave; the appointment types
and the rooms and machines they need.

Administrators only. Hours replace the weekly pattern all at once through the clinic service
(booked appointments stay booked: the front desk moves them); leave is an availability
exception. Every change is audited. Slot search follows at once.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.admin import views
from plexcare.admin.people import ADMIN
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, clinician_appointment_types
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.refusals import as_sentence
from plexcare.portal.rendering import (
    FormDep,
    PostedForm,
    Visit,
    VisitDep,
    gate,
    gate_form,
    message,
    render,
)
from plexcare.scheduling.availability import ExceptionKind
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


def _clock(raw: str) -> time | None:
    text = raw.strip()[:5]
    return time.fromisoformat(text) if _CLOCK.fullmatch(text) else None


def _audit(
    session: Session, actor: Actor, subject: str, subject_id: int | str, now: datetime
) -> None:
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type=subject,
        subject_id=subject_id,
        patient_user_id=None,
        now=now,
    )


def _hours_page(
    request: Request,
    visit: Visit,
    session: DbSession,
    clinician_id: int,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    person = clinic_repository.clinician(session=session, clinician_id=clinician_id)
    if person is None:
        return message(
            request,
            visit,
            status_code=404,
            heading="Clinician not found",
            text="There is no such clinician.",
            next_href="/admin",
            next_label="Back to users",
        )
    hours = {
        row.weekday: row
        for row in clinic_repository.weekly_hours(session=session, clinician_id=person.id)
    }
    breaks = {
        row.weekday: row
        for row in clinic_repository.weekly_breaks(session=session, clinician_id=person.id)
    }
    page = views.HoursPage(
        frame=visit.frame(title=f"Hours of {person.full_name}", current="/admin"),
        clinician_id=person.id,
        clinician=person.full_name,
        days=tuple(
            views.DayHours(
                weekday=weekday,
                name=name,
                starts=f"{hours[weekday].starts:%H:%M}" if weekday in hours else "",
                ends=f"{hours[weekday].ends:%H:%M}" if weekday in hours else "",
                break_starts=f"{breaks[weekday].starts:%H:%M}" if weekday in breaks else "",
                break_ends=f"{breaks[weekday].ends:%H:%M}" if weekday in breaks else "",
            )
            for weekday, name in enumerate(views.WEEKDAYS)
        ),
        leave=tuple(
            views.LeaveRow(
                id=row.id,
                kind=row.kind.replace("_", " "),
                first_day=row.first_day.isoformat(),
                last_day=row.last_day.isoformat(),
                note=row.note,
            )
            for row in clinic_repository.exceptions(session=session, clinician_id=person.id)
        ),
        done=views.DONE_MESSAGES.get(done, ""),
        errors=errors or {},
    )
    return render(request, "admin/hours.html", page, visit, status_code=422 if errors else 200)


@router.get("/admin/clinicians/{clinician_id}/hours", name="admin_hours_page")
def hours_page(
    request: Request, clinician_id: str, visit: VisitDep, session: DbSession, done: str = ""
) -> Response:
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    return _hours_page(request, visit, session, form_values.record_id(clinician_id) or 0, done=done)


def _clinician_to_change(
    request: Request, visit: Visit, form: PostedForm, clinician_id: str
) -> int | Response:
    """Check an admin form was sent by an admin, then read which clinician it changes."""
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    return form_values.record_id(clinician_id) or 0


@router.post("/admin/clinicians/{clinician_id}/hours")
def save_hours(
    request: Request,
    clinician_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    chosen = _clinician_to_change(request, visit, form, clinician_id)
    if isinstance(chosen, Response):
        return chosen
    errors: dict[str, str] = {}
    hours: list[tuple[int, time, time]] = []
    breaks: list[tuple[int, time, time]] = []
    for weekday, name in enumerate(views.WEEKDAYS):
        for target, first, last, what in (
            (hours, "starts", "ends", "hours"),
            (breaks, "break_starts", "break_ends", "break"),
        ):
            raw_start = form.get(f"{first}-{weekday}")
            raw_end = form.get(f"{last}-{weekday}")
            if not raw_start and not raw_end:
                continue
            start, end = _clock(raw_start), _clock(raw_end)
            if start is None or end is None or end <= start:
                errors[f"{first}-{weekday}"] = (
                    f"{name}: give the {what} as a start and a later end, like 09:00 and 17:00."
                )
                continue
            target.append((weekday, start, end))
    if not errors:
        try:
            clinic.replace_weekly_pattern(
                session=session, clinician_id=chosen, hours=hours, breaks=breaks
            )
            _audit(session, visit.actor, "clinician_hours", chosen, now)
        except ServiceError as error:
            session.rollback()
            errors["starts-0"] = as_sentence(f"{error.detail} ({error.field})")
    if errors:
        return _hours_page(request, visit, session, chosen, errors=errors)
    session.commit()
    return RedirectResponse(f"/admin/clinicians/{chosen}/hours?done=hours", status_code=303)


@router.post("/admin/clinicians/{clinician_id}/leave")
def add_leave(
    request: Request,
    clinician_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    chosen = _clinician_to_change(request, visit, form, clinician_id)
    if isinstance(chosen, Response):
        return chosen
    first = form_values.calendar_day(form.get("first_day"))
    last = form_values.calendar_day(form.get("last_day")) or first
    errors: dict[str, str] = {}
    if first is None:
        errors["first_day"] = "Enter the first day of leave, like 2026-03-02."
    elif last is None or last < first:
        errors["last_day"] = "The last day cannot be before the first."
    if not errors:
        assert first is not None and last is not None
        try:
            row = clinic.add_exception(
                session=session,
                clinician_id=chosen,
                kind=ExceptionKind.LEAVE,
                first_day=first,
                last_day=last,
                note=form.get("note")[:200],
            )
            _audit(session, visit.actor, "clinician_leave", row.id, now)
        except ServiceError as error:
            session.rollback()
            errors[error.field or "first_day"] = as_sentence(error.detail)
    if errors:
        return _hours_page(request, visit, session, chosen, errors=errors)
    session.commit()
    return RedirectResponse(f"/admin/clinicians/{chosen}/hours?done=leave", status_code=303)


@router.post("/admin/clinicians/{clinician_id}/leave/{exception_id}/remove")
def remove_leave(
    request: Request,
    clinician_id: str,
    exception_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    chosen = _clinician_to_change(request, visit, form, clinician_id)
    if isinstance(chosen, Response):
        return chosen
    try:
        clinic.remove_exception(
            session=session,
            clinician_id=chosen,
            exception_id=form_values.record_id(exception_id) or 0,
        )
        _audit(session, visit.actor, "clinician_leave", exception_id[:20], now)
    except ServiceError:
        session.rollback()
    session.commit()
    return RedirectResponse(f"/admin/clinicians/{chosen}/hours?done=removed", status_code=303)


def _setup_page(
    request: Request,
    visit: Visit,
    session: DbSession,
    *,
    template: str,
    title: str,
    current: str,
    done: str = "",
    errors: dict[str, str] | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    kinds = clinic_repository.appointment_types(session=session)
    needs = clinic_repository.needed_resource_kinds_by_type(session=session)
    clinicians, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=500, offset=0
    )
    names = {c.id: c.full_name for c in clinicians}
    offered = session.execute(
        select(
            clinician_appointment_types.c.appointment_type_id,
            clinician_appointment_types.c.clinician_id,
        )
    ).all()
    by_type: dict[int, list[str]] = {}
    for type_id, clinician_id in offered:
        by_type.setdefault(cast(int, type_id), []).append(names.get(cast(int, clinician_id), ""))
    page = views.ClinicSetupPage(
        frame=visit.frame(title=title, current=current),
        types=tuple(
            views.TypeRow(
                id=kind.id,
                code=kind.code,
                name=kind.name,
                minutes=kind.duration_minutes,
                buffer=kind.buffer_minutes,
                notice=kind.minimum_notice_minutes,
                needs=", ".join(needs.get(kind.id, [])),
                offered_by=", ".join(sorted(by_type.get(kind.id, []))),
            )
            for kind in kinds
        ),
        resources=tuple(
            views.ResourceRow(id=row.id, name=row.name, kind=row.kind)
            for row in clinic_repository.resources(session=session)
        ),
        clinicians=tuple(views.Choice(str(c.id), c.full_name) for c in clinicians),
        done=views.DONE_MESSAGES.get(done, ""),
        errors=errors or {},
        entered=entered or {},
    )
    return render(request, template, page, visit, status_code=422 if errors else 200)


@router.get("/admin/appointment-types", name="admin_types_page")
def types_page(request: Request, visit: VisitDep, session: DbSession, done: str = "") -> Response:
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    return _setup_page(
        request,
        visit,
        session,
        template="admin/appointment_types.html",
        title="Appointment types",
        current="/admin/appointment-types",
        done=done,
    )


def _minutes(raw: str, name: str, low: int, high: int, errors: dict[str, str]) -> int:
    value = form_values.whole_number(raw, minimum=low, maximum=high)
    if value is None:
        errors[name] = f"Enter whole minutes from {low} to {high}."
        return low
    return value


@router.post("/admin/appointment-types")
def add_type(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    entered = {
        key: form.get(key)[:200]
        for key in ("code", "name", "duration", "buffer", "notice", "needs")
    }
    errors: dict[str, str] = {}
    code = form.get("code").lower()
    if not _CODE.fullmatch(code):
        errors["code"] = "Use 2 to 40 lower-case letters, digits or _, starting with a letter."
    name = " ".join(form.get("name").split())
    if not name or len(name) > 200:
        errors["name"] = "Enter a name of at most 200 characters."
    duration = _minutes(form.get("duration"), "duration", 5, 480, errors)
    buffer = _minutes(form.get("buffer") or "0", "buffer", 0, 120, errors)
    notice = _minutes(form.get("notice") or "120", "notice", 0, 10_080, errors)
    needs = [need.strip().lower() for need in form.get("needs").split(",") if need.strip()]
    if any(not _CODE.fullmatch(need) for need in needs):
        errors["needs"] = "Name kinds of room or machine like emg_room, separated by commas."
    offered_by = [value for key, value in form.fields.items() if key.startswith("offered_by-")]
    if not errors:
        try:
            with session.begin_nested():
                kind: AppointmentType = clinic.add_appointment_type(
                    session=session,
                    code=code,
                    name=name,
                    duration_minutes=duration,
                    buffer_minutes=buffer,
                    minimum_notice_minutes=notice,
                    resource_kinds=sorted(set(needs)),
                )
        except IntegrityError:
            errors["code"] = "Another appointment type has this code."
    if errors:
        return _setup_page(
            request,
            visit,
            session,
            template="admin/appointment_types.html",
            title="Appointment types",
            current="/admin/appointment-types",
            errors=errors,
            entered=entered,
        )
    for raw in offered_by:
        person = clinic_repository.clinician(
            session=session, clinician_id=form_values.record_id(raw) or 0
        )
        if person is not None:
            clinic.offer_appointment_types(
                session=session, clinician=person, appointment_types=[kind]
            )
    _audit(session, visit.actor, "appointment_type", kind.id, now)
    session.commit()
    return RedirectResponse("/admin/appointment-types?done=type", status_code=303)


@router.get("/admin/resources", name="admin_resources_page")
def resources_page(
    request: Request, visit: VisitDep, session: DbSession, done: str = ""
) -> Response:
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    return _setup_page(
        request,
        visit,
        session,
        template="admin/resources.html",
        title="Rooms and machines",
        current="/admin/resources",
        done=done,
    )


@router.post("/admin/resources")
def add_resource(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    entered = {key: form.get(key)[:200] for key in ("name", "kind")}
    errors: dict[str, str] = {}
    name = " ".join(form.get("name").split())
    if not name or len(name) > 100:
        errors["name"] = "Enter a name of at most 100 characters."
    kind = form.get("kind").lower()
    if not _CODE.fullmatch(kind):
        errors["kind"] = "Name the kind like emg_room: lower-case letters, digits or _."
    if not errors:
        try:
            with session.begin_nested():
                row = clinic.add_resource(session=session, name=name, kind=kind)
        except IntegrityError:
            errors["name"] = "Another room or machine has this name."
    if errors:
        return _setup_page(
            request,
            visit,
            session,
            template="admin/resources.html",
            title="Rooms and machines",
            current="/admin/resources",
            errors=errors,
            entered=entered,
        )
    _audit(session, visit.actor, "resource", row.id, now)
    session.commit()
    return RedirectResponse("/admin/resources?done=resource", status_code=303)
