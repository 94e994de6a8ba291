"""Clinician pages: a structured case form and the engine's assessment as a printable report.

Clinicians only (others are sent to sign in, or get 403). When a patient's e-mail address is
given, the case is saved to that patient's record through the cases service, which stores the
assessment with the knowledge-base version and writes the audit log; without one, the report
is shown and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.roles import Role
from plexcare.cases import case_form
from plexcare.cases import service as cases
from plexcare.cases.assessment_views import assessment_page
from plexcare.engine import Case, assess
from plexcare.engine.case_names import CaseError
from plexcare.errors import ServiceError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.layout import PortalPage
from plexcare.portal.rendering import (
    FormDep,
    Visit,
    VisitDep,
    gate,
    gate_form,
    render,
)
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples" / "cases"
"""Worked example cases shipped in the repository; offered as starting points when present."""
SCHEMA_HREF = "/clinic/case-schema.json"
SAVE_FIELDS = ("patient_email", "case_title")


@dataclass(frozen=True)
class FieldView:
    path: str
    label: str
    kind: str
    options: tuple[tuple[str, str], ...]
    value: str
    error: str
    hint: str


@dataclass(frozen=True)
class SectionView:
    title: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class GridRow:
    label: str
    left: FieldView
    right: FieldView


@dataclass(frozen=True, kw_only=True)
class CaseFormPage(PortalPage):
    sections: tuple[SectionView, ...]
    strength: tuple[GridRow, ...]
    reflexes: tuple[GridRow, ...]
    advanced: str
    examples: tuple[str, ...]
    patient_email: str = ""
    case_title: str = ""
    schema_href: str = SCHEMA_HREF
    errors: dict[str, str] = field(default_factory=dict)


def _field_view(
    spec: case_form.CaseField, values: Mapping[str, str], errors: Mapping[str, str]
) -> FieldView:
    return FieldView(
        path=spec.path,
        label=spec.label,
        kind=spec.kind,
        options=spec.options,
        value=values.get(spec.path, "").strip(),
        error=errors.get(spec.path, ""),
        hint=spec.hint,
    )


def _grid(
    rows: tuple[tuple[str, tuple[case_form.CaseField, ...]], ...],
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> tuple[GridRow, ...]:
    return tuple(
        GridRow(label, _field_view(left, values, errors), _field_view(right, values, errors))
        for label, (left, right) in rows
    )


def _examples() -> tuple[str, ...]:
    if not EXAMPLES_DIR.is_dir():
        return ()
    return tuple(sorted(path.stem for path in EXAMPLES_DIR.glob("*.yaml")))


def case_form_page(
    visit: Visit,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> CaseFormPage:
    values = values or {}
    errors = errors or {}
    return CaseFormPage(
        frame=visit.frame(title="New case assessment", current="/clinic/cases/new"),
        sections=tuple(
            SectionView(s.title, tuple(_field_view(f, values, errors) for f in s.fields))
            for s in case_form.SECTIONS
        ),
        strength=_grid(case_form.STRENGTH_FIELDS, values, errors),
        reflexes=_grid(case_form.REFLEX_FIELDS, values, errors),
        advanced=values.get(case_form.ADVANCED, ""),
        examples=_examples(),
        patient_email=values.get("patient_email", "").strip(),
        case_title=values.get("case_title", "").strip(),
        errors=dict(errors),
    )


@router.get("/clinic/cases/new", name="new_case_page")
def new_case(request: Request, visit: VisitDep, example: str = "") -> Response:
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    values: dict[str, str] = {}
    if example in _examples():
        values[case_form.ADVANCED] = (EXAMPLES_DIR / f"{example}.yaml").read_text(encoding="utf-8")
    return render(request, "cases/case_form.html", case_form_page(visit, values), visit)


@router.get("/clinic/case-schema.json", response_class=JSONResponse, name="case_schema")
def case_schema() -> dict[str, Any]:
    """Public: the JSON Schema of the Case model, for the advanced box (no patient data)."""
    return Case.model_json_schema()


def _save(
    *,
    session: DbSession,
    visit: Visit,
    case: Case,
    form: FormDep,
    kb: KnowledgeBase,
    now: Now,
    errors: dict[str, str],
) -> str:
    """Save to the named patient's record; the note for the report, or '' when not asked."""
    email = form.get("patient_email")
    if not email:
        return ""
    patient = accounts_repository.user_by_email(session=session, email=email)
    if patient is None or patient.role != Role.patient.value:
        errors["patient_email"] = "No patient account has this e-mail address."
        return ""
    title = form.get("case_title") or f"Assessment of {case.id or 'leg weakness'}"
    try:
        record, version = cases.create_case(
            session=session,
            actor=visit.actor,
            patient_id=patient.id,
            title=title[:200],
            case=case,
            note_for_patient="",
            kb=kb,
            now=now,
        )
    except ServiceError as error:
        errors["patient_email"] = error.detail
        return ""
    return (
        f"Saved to the record of {patient.full_name} as case {record.id}, version {version.number}."
    )


@router.post("/clinic/assessment")
def assessment_report(
    request: Request,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
) -> Response:
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    read = case_form.read_case(form.fields)
    errors = dict(read.errors)
    assessment = None
    if read.case is not None:
        try:
            assessment = assess(read.case, kb)
        except CaseError as error:
            key = error.field if error.field in case_form.FIELD_PATHS else case_form.ADVANCED
            errors[key] = f"{error.field}: {error.message}"
    saved_note = ""
    if assessment is not None and read.case is not None:
        saved_note = _save(
            session=session, visit=visit, case=read.case, form=form, kb=kb, now=now, errors=errors
        )
    if assessment is None or errors:
        session.rollback()
        page = case_form_page(visit, form.fields, errors)
        return render(request, "cases/case_form.html", page, visit, status_code=422)
    session.commit()
    report = assessment_page(
        frame=visit.frame(title=f"Assessment: {assessment.case_id or 'case'}"),
        assessment=assessment,
        saved_note=saved_note or "Not saved to a patient's record (no patient was named).",
    )
    return render(request, "cases/assessment.html", report, visit)
