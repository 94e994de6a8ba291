"""The health-package pages: the catalogue, one package with its planned itinerary, booking
it all or none, and the patient's own packages with cancelling.

The itinerary shown is the one booked: the form sends back the proposed times, and the
package service books them in one transaction. If one was taken meanwhile nothing is booked
(the service raises, the transaction rolls back) and the page shows a fresh plan with why.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.packages import repository, service, views
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
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
MINE = "/me/packages"


@router.get("/packages", name="packages_catalogue")
def catalogue(request: Request, visit: VisitDep, session: DbSession) -> Response:
    shown = tuple(
        views.package_view(row, repository.items_of(session=session, package_id=row.id))
        for row in repository.packages(session=session)
    )
    page = views.CataloguePage(
        frame=visit.frame(title="Health packages", current="/packages"), packages=shown
    )
    session.commit()
    return render(request, "packages/catalogue.html", page, visit)


def _package_page(
    session: Session, visit: Visit, code: str, now: datetime, *, notice: str = ""
) -> views.PackagePage | None:
    try:
        row, items = service.package_for(session=session, code=code)
    except NotFound:
        return None
    unavailable = ""
    itinerary: tuple[views.PlannedVisit, ...] = ()
    try:
        _row, slots = service.propose_itinerary(session=session, code=code, now=now)
    except ServiceError as error:
        unavailable = as_sentence(error.detail)
    else:
        itinerary = views.planned_visits(items, slots, get_settings().clinic_zone)
    return views.PackagePage(
        frame=visit.frame(title=row.name, current="/packages"),
        package=views.package_view(row, items),
        itinerary=itinerary,
        unavailable=unavailable,
        may_book=visit.actor.role == Role.patient.value and bool(itinerary),
        signed_in=visit.visitor is not None,
        notice=notice,
    )


def _no_package(request: Request, visit: Visit) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="Package not found",
        text="The clinic offers no such health package.",
        next_href="/packages",
        next_label="See the health packages",
    )


@router.get("/packages/{code}", name="package_page")
def package_page(
    request: Request, code: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    page = _package_page(session, visit, code, now)
    if page is None:
        return _no_package(request, visit)
    session.commit()
    return render(request, "packages/package.html", page, visit)


def _chosen(form: PostedForm) -> list[service.Chosen] | None:
    """The itinerary the page showed, as the form sent it back; None if any part is unreadable."""
    count = form_values.whole_number(form.get("items"), minimum=1, maximum=20)
    if count is None:
        return None
    chosen = []
    for index in range(count):
        clinician_id = form_values.record_id(form.get(f"item-{index}-clinician"))
        type_id = form_values.record_id(form.get(f"item-{index}-type"))
        starts_at = form_values.instant(form.get(f"item-{index}-start"))
        if clinician_id is None or type_id is None or starts_at is None:
            return None
        chosen.append(
            service.Chosen(
                clinician_id=clinician_id, appointment_type_id=type_id, starts_at=starts_at
            )
        )
    return chosen


@router.post("/packages/{code}/book")
def book_package(
    request: Request,
    code: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    chosen = _chosen(form)
    problem = "" if chosen else "The times sent were not readable; here is the plan again."
    if chosen:
        try:
            service.book_package(
                session=session, actor=visit.actor, code=code, chosen=chosen, now=now
            )
        except NotFound as error:
            session.rollback()
            if error.field == "code":
                return _no_package(request, visit)
            problem = f"Nothing was booked: {error.detail}. Here is a new plan."
        except ServiceError as error:
            session.rollback()
            problem = f"Nothing was booked: {error.detail}. Here is a new plan."
        else:
            session.commit()
            return RedirectResponse(f"{MINE}?done=booked", status_code=303)
    page = _package_page(session, visit, code, now, notice=problem)
    if page is None:
        return _no_package(request, visit)
    session.commit()
    return render(request, "packages/package.html", page, visit, status_code=409)


@router.get(MINE, name="my_packages")
def my_packages(
    request: Request, visit: VisitDep, session: DbSession, now: Now, done: str = ""
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    found, _total = service.list_bookings(
        session=session, actor=visit.actor, patient_id=None, limit=100, offset=0, now=now
    )
    clinicians, _n = clinic_repository.clinicians(
        session=session, specialty=None, limit=1000, offset=0
    )
    kinds = clinic_repository.appointment_types(session=session)
    zone = get_settings().clinic_zone
    page = views.MyPackagesPage(
        frame=visit.frame(title="My health packages", current=MINE),
        bookings=tuple(
            views.booking_view(
                row,
                package,
                items,
                clinicians={c.id: c for c in clinicians},
                kinds={k.id: k for k in kinds},
                zone=zone,
                now=now,
            )
            for row, package, items in found
        ),
        done=views.DONE_MESSAGES.get(done, ""),
    )
    session.commit()
    return render(request, "packages/mine.html", page, visit)


@router.post(MINE + "/{booking_id}/cancel")
def cancel_package(
    request: Request,
    booking_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    chosen = form_values.record_id(booking_id)
    try:
        if chosen is None:
            raise NotFound("no such package booking")
        service.cancel_booking(
            session=session,
            actor=visit.actor,
            booking_id=chosen,
            now=now,
            reason=form.get("reason")[:500] or None,
        )
    except ServiceError as error:
        session.rollback()
        not_found = isinstance(error, NotFound)
        return message(
            request,
            visit,
            status_code=404 if not_found else error.status,
            heading="Package not found" if not_found else "This package cannot be cancelled",
            text="There is no such package among yours."
            if not_found
            else f"Nothing was cancelled: {error.detail}.",
            next_href=MINE,
            next_label="See my health packages",
        )
    session.commit()
    return RedirectResponse(f"{MINE}?done=cancelled", status_code=303)
