"""The follow-up page: /clinic/patients/{patient_id}/follow-up.

A clinician records a visit's outcome scores (MRC sum, pain, ONLS, walk tests: every scale
the knowledge base lists) and sees each scale plotted over time with a table of the same
readings. Scores are checked against their scales by the follow-up service before anything
is stored; an error comes back beside its field with the values kept. Saving answers with a
redirect to the page (post/redirect/get), so a reload never records the visit twice. Reads
and writes are audited by the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.roles import Role
from plexcare.cases import service as cases
from plexcare.cases.assessment_pages import not_found
from plexcare.config import get_settings
from plexcare.errors import InvalidInput, ServiceError
from plexcare.followup import service
from plexcare.followup.views import (
    CASE,
    NOTE,
    SEEN_ON,
    Choice,
    FollowUpPage,
    scale_fields,
    series_views,
    visit_rows,
)
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]
NOTE_LIMIT = 4000
CASES_LISTED = 50
VISIT_HOUR = time(12)
"""A visit entered by its date alone is placed at noon, clinic time (or now, if earlier)."""


def follow_up_href(patient_id: int) -> str:
    return f"/clinic/patients/{patient_id}/follow-up"


def _page(
    *,
    visit: Visit,
    session: DbSession,
    patient_id: int,
    kb: KnowledgeBase,
    now: datetime,
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> FollowUpPage:
    """The page (reading the record is audited by the service; NotFound for a non-patient)."""
    record = service.follow_up_of(
        session=session, actor=visit.actor, patient_id=patient_id, kb=kb, now=now
    )
    patient = accounts_repository.user_by_id(session=session, user_id=patient_id)
    zone = get_settings().clinic_zone
    own_cases = _cases_of(session=session, visit=visit, patient_id=patient_id)
    name = patient.full_name if patient is not None else "patient"
    today = now.astimezone(zone).date().isoformat()
    return FollowUpPage(
        frame=visit.frame(title=f"Follow-up: {name}"),
        patient_id=patient_id,
        patient_name=name,
        series=series_views(record, zone),
        visits=visit_rows(record, kb, zone),
        fields=scale_fields(kb, values, errors),
        seen_on=values.get(SEEN_ON, today),
        note=values.get(NOTE, ""),
        today=today,
        cases=tuple(Choice(str(case_id), title) for case_id, title in own_cases),
        case_id=values.get(CASE, ""),
        errors=dict(errors),
    )


def _cases_of(*, session: DbSession, visit: Visit, patient_id: int) -> list[tuple[int, str]]:
    """The patient's cases a visit may be linked to (id, title), latest first."""
    records, _total = cases.list_cases(
        session=session, actor=visit.actor, patient_id=patient_id, limit=CASES_LISTED, offset=0
    )
    return [(record.id, record.title) for record in records]


def _case_of(
    text: str, session: DbSession, visit: Visit, patient_id: int, errors: dict[str, str]
) -> int | None:
    if not text:
        return None
    own = {
        str(case_id): case_id
        for case_id, _ in _cases_of(session=session, visit=visit, patient_id=patient_id)
    }
    if text not in own:
        errors[CASE] = "Choose one of this patient's cases, or none."
        return None
    return own[text]


def _shown(
    request: Request,
    visit: Visit,
    session: DbSession,
    kb: KnowledgeBase,
    now: datetime,
    patient_id: int,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> Response:
    """The page, committed with the audit entry of its read (422 when it shows the errors of
    a visit not recorded), or the not-found page when the service refused the read."""
    try:
        page = _page(
            visit=visit,
            session=session,
            patient_id=patient_id,
            kb=kb,
            now=now,
            values=values,
            errors=errors,
        )
    except ServiceError as error:
        session.rollback()
        return not_found(request, visit, error, missing="Patient")
    session.commit()
    return render(
        request, "followup/follow_up.html", page, visit, status_code=422 if errors else 200
    )


@router.get("/clinic/patients/{patient_id}/follow-up", name="follow_up_page")
def follow_up_page(
    request: Request, visit: VisitDep, session: DbSession, now: Now, kb: Knowledge, patient_id: int
) -> Response:
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    return _shown(request, visit, session, kb, now, patient_id, values={}, errors={})


def _seen_at(text: str, now: datetime, errors: dict[str, str]) -> datetime:
    zone = get_settings().clinic_zone
    if not text:
        return now
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[SEEN_ON] = "Enter the date of the visit, for example 2026-03-02."
        return now
    if day > now.astimezone(zone).date():
        errors[SEEN_ON] = "The visit date cannot be in the future."
        return now
    return min(datetime.combine(day, VISIT_HOUR, tzinfo=zone), now)


def _scores(
    kb: KnowledgeBase, form: Mapping[str, str], errors: dict[str, str]
) -> list[tuple[str, service.ScoreEntry]]:
    """(form field, entry) for every scale given; bad numbers are named in `errors`."""
    entries: list[tuple[str, service.ScoreEntry]] = []
    for scale in kb.outcome_scales.values():
        if scale.items:
            given = {item.id: form.get(f"{scale.id}.{item.id}", "").strip() for item in scale.items}
            if not any(given.values()):
                continue
            grades: dict[str, int] = {}
            for item in scale.items:
                text = given[item.id]
                if not text:
                    continue  # the service names every missing item at once
                if not text.isdigit():
                    errors[f"{scale.id}.{item.id}"] = (
                        f"Grade {item.name} as a whole number "
                        f"from {item.minimum} to {item.maximum}."
                    )
                    continue
                grades[item.id] = int(text)
            entries.append((scale.id, service.ScoreEntry(scale.id, None, grades)))
            continue
        text = form.get(scale.id, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            errors[scale.id] = f"Enter {scale.name} as a number."
            continue
        entries.append((scale.id, service.ScoreEntry(scale.id, value, None)))
    return entries


def _field_of(error: InvalidInput, fields: list[str]) -> str:
    """The form field a service error names (`scores.2.value` -> the third scale given)."""
    parts = (error.field or "").split(".")
    if len(parts) >= 2 and parts[0] == "scores" and parts[1].isdigit():
        index = int(parts[1])
        if index < len(fields):
            if len(parts) >= 4 and parts[2] == "items":
                return f"{fields[index]}.{parts[3]}"
            return fields[index]
    return SEEN_ON if error.field == "seen_at" else (fields[0] if fields else SEEN_ON)


@router.post("/clinic/patients/{patient_id}/follow-up", name="record_follow_up")
def record_follow_up(
    request: Request,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    patient_id: int,
) -> Response:
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    errors: dict[str, str] = {}
    seen_at = _seen_at(form.get(SEEN_ON), now, errors)
    given = _scores(kb, form.fields, errors)
    case_id = _case_of(form.get(CASE), session, visit, patient_id, errors)
    note = form.get(NOTE)
    if len(note) > NOTE_LIMIT:
        errors[NOTE] = f"Keep the note under {NOTE_LIMIT} characters."
    if not given and not errors:
        first = next((scale for scale in kb.outcome_scales.values() if not scale.items), None)
        errors[first.id if first is not None else SEEN_ON] = "Enter at least one score."
    if not errors:
        try:
            service.record_visit(
                session=session,
                actor=visit.actor,
                patient_id=patient_id,
                seen_at=seen_at,
                case_id=case_id,
                note=note,
                scores=[entry for _field, entry in given],
                kb=kb,
                now=now,
            )
        except InvalidInput as error:
            session.rollback()
            errors[_field_of(error, [name for name, _entry in given])] = error.detail
        except ServiceError as error:
            session.rollback()
            return not_found(request, visit, error, missing="Patient")
        else:
            session.commit()
            return RedirectResponse(follow_up_href(patient_id), status_code=303)
    return _shown(request, visit, session, kb, now, patient_id, values=form.fields, errors=errors)
