"""Clinician pages for entering a case: the structured form, saving a case or a new version of
one, signing a version off and reopening a signed-off case, and a preview assessment.

Clinicians only (others are sent to sign in, or get 403). Every save goes through the cases
service, which runs the engine, stores the answer with the knowledge-base version and writes
the audit log, and then answers with a redirect to the saved version's assessment
(post/redirect/get): reloading that page reads, never writes. A form sent twice (a double
click, a reload of the POST) finds its case already saved exactly so and writes nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.case_drafts import service as case_drafts
from plexcare.cases import case_form, sign_off
from plexcare.cases import repository as cases_repository
from plexcare.cases import service as cases
from plexcare.cases.assessment_pages import as_clinician, assessment_href, not_found
from plexcare.cases.assessment_views import assessment_page
from plexcare.cases.body_map import body_map
from plexcare.cases.models import CaseVersion, ClinicalCase
from plexcare.cases.sensory_diagram import HEIGHT, WIDTH, AreaShape, ViewOutline, diagram
from plexcare.engine import Case, assess
from plexcare.engine.case_names import CaseError
from plexcare.errors import ServiceError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal import form_values
from plexcare.portal.layout import PortalPage
from plexcare.portal.refusals import as_sentence
from plexcare.portal.rendering import (
    FormDep,
    PostedForm,
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
TITLE_LENGTH = 200


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
    left_give_way: FieldView | None = None
    right_give_way: FieldView | None = None


@dataclass(frozen=True)
class StudyCell:
    """One value of a study with its normal limit for the patient's age beside it."""

    column: str
    field: FieldView | None
    limit: str = ""
    outside: bool = False


@dataclass(frozen=True)
class StudyRowView:
    study_id: str
    side: str
    label: str
    unit: str
    cells: tuple[StudyCell, ...]
    segments: tuple[tuple[str, tuple[StudyCell, ...]], ...]
    amplitude_bands: str
    amplitude_adult: str
    latency_upper: str
    velocity_lower: str
    filled: bool


@dataclass(frozen=True)
class AreaView:
    shape: AreaShape
    grade: str
    field_id: str


@dataclass(frozen=True)
class ErrorLine:
    key: str
    text: str


@dataclass(frozen=True, kw_only=True)
class CaseFormPage(PortalPage):
    heading: str
    action: str
    sections: tuple[SectionView, ...]
    strength_movements: tuple[GridRow, ...]
    strength_muscles: tuple[GridRow, ...]
    muscles_open: bool
    reflexes: tuple[GridRow, ...]
    side_exam: tuple[GridRow, ...]
    sensation: tuple[GridRow, ...]
    outlines: tuple[ViewOutline, ...]
    areas: tuple[AreaView, ...]
    diagram_size: tuple[int, int]
    study_columns: tuple[tuple[str, str], ...]
    studies: tuple[StudyRowView, ...]
    emg_headers: tuple[str, ...]
    emg_rows: tuple[tuple[FieldView, ...], ...]
    imaging_headers: tuple[str, ...]
    imaging_rows: tuple[tuple[FieldView, ...], ...]
    labs: tuple[FieldView, ...]
    advanced: str
    examples: tuple[str, ...]
    summary: tuple[ErrorLine, ...]
    errors: dict[str, str] = field(default_factory=dict)
    patient: User | None = None
    patient_email: str = ""
    case_title: str = ""
    based_on: int = 0
    may_preview: bool = True
    schema_href: str = SCHEMA_HREF


def _view(
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
    rows: tuple[case_form.SideRow, ...], values: Mapping[str, str], errors: Mapping[str, str]
) -> tuple[GridRow, ...]:
    def maybe(spec: case_form.CaseField | None) -> FieldView | None:
        return _view(spec, values, errors) if spec is not None else None

    return tuple(
        GridRow(
            row.label,
            _view(row.left, values, errors),
            _view(row.right, values, errors),
            maybe(row.left_give_way),
            maybe(row.right_give_way),
        )
        for row in rows
    )


def _age(values: Mapping[str, str]) -> int | None:
    return form_values.whole_number(values.get("age", ""), minimum=0, maximum=120)


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _cells(
    cells: tuple[case_form.CaseField | None, ...],
    limits: case_form.StudyLimits,
    age: int | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    segment: bool = False,
) -> tuple[StudyCell, ...]:
    """The cells of a study row; a segment's amplitude is read against the amplitude just
    below it (a block), not against a normal limit, so it shows none."""
    shown = []
    for column, spec in zip(case_form.STUDY_COLUMNS, cells, strict=True):
        if spec is None:
            shown.append(StudyCell(column, None))
            continue
        view = _view(spec, values, errors)
        limit = ""
        if column == "amplitude" and not segment:
            lower = case_form.amplitude_limit(limits, age)
            limit = f"≥ {_number_text(lower)}" if lower is not None else ""
        elif column == "velocity" and limits.velocity_lower is not None:
            limit = f"≥ {_number_text(limits.velocity_lower)}"
        elif column == "latency" and limits.latency_upper is not None:
            limit = f"≤ {_number_text(limits.latency_upper)}"
        typed = form_values.decimal_number(view.value) if view.value else None
        outside = (
            typed is not None
            and not (segment and column == "amplitude")
            and case_form.outside_limit(column, limits, typed, age)
        )
        shown.append(StudyCell(column, view, limit, outside))
    return tuple(shown)


def _studies(
    layout: case_form.FormLayout, values: Mapping[str, str], errors: Mapping[str, str]
) -> tuple[StudyRowView, ...]:
    age = _age(values)
    rows = []
    for study in layout.studies:
        prefix = f"nerve_conduction.{study.side}.{study.study_id}."
        rows.append(
            StudyRowView(
                study_id=study.study_id,
                side=study.side,
                label=study.label,
                unit=study.unit,
                cells=_cells(study.cells, study.limits, age, values, errors),
                segments=tuple(
                    (name, _cells(cells, study.limits, age, values, errors, segment=True))
                    for name, cells in study.segments
                ),
                amplitude_bands=" ".join(
                    f"{min_age}:{_number_text(lower)}"
                    for min_age, lower in study.limits.amplitude_bands
                    if lower is not None
                ),
                amplitude_adult=_number_text(study.limits.amplitude_adult),
                latency_upper=_number_text(study.limits.latency_upper),
                velocity_lower=_number_text(study.limits.velocity_lower),
                filled=any(name.startswith(prefix) and text for name, text in values.items()),
            )
        )
    return tuple(rows)


def _rows(
    table: case_form.RowTable,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    blank: int,
) -> tuple[tuple[FieldView, ...], ...]:
    used = case_form.row_numbers(values, table.prefix)
    count = (max(used) + 1 if used else 0) + blank
    return tuple(
        tuple(
            _view(
                case_form.CaseField(
                    column.path.format(row=row), column.label, column.kind, column.options
                ),
                values,
                errors,
            )
            for column in table.columns
        )
        for row in range(count)
    )


def _examples() -> tuple[str, ...]:
    if not EXAMPLES_DIR.is_dir():
        return ()
    return tuple(sorted(path.stem for path in EXAMPLES_DIR.glob("*.yaml")))


def case_form_page(
    visit: Visit,
    kb: KnowledgeBase,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    *,
    heading: str = "New case",
    action: str = "/clinic/cases",
    patient: User | None = None,
    based_on: int = 0,
) -> CaseFormPage:
    values = values or {}
    errors = errors or {}
    layout = case_form.form_layout(kb)
    outlines, shapes = diagram(kb)
    return CaseFormPage(
        frame=visit.frame(title=heading, current="/clinic/cases/new" if not based_on else ""),
        heading=heading,
        action=action,
        sections=tuple(
            SectionView(s.title, tuple(_view(f, values, errors) for f in s.fields))
            for s in layout.sections
        ),
        strength_movements=_grid(layout.strength_movements, values, errors),
        strength_muscles=_grid(layout.strength_muscles, values, errors),
        muscles_open=any(
            values.get(row.left.path) or values.get(row.right.path) or row.left.path in errors
            for row in layout.strength_muscles
        ),
        reflexes=_grid(layout.reflexes, values, errors),
        side_exam=_grid(layout.side_exam, values, errors),
        sensation=_grid(layout.sensation, values, errors),
        outlines=outlines,
        areas=tuple(
            AreaView(
                shape,
                values.get(f"exam.{shape.side}.sensation.{shape.area_id}", ""),
                f"field-exam.{shape.side}.sensation.{shape.area_id}",
            )
            for shape in shapes
        ),
        diagram_size=(WIDTH, HEIGHT),
        study_columns=tuple(
            (column, case_form.STUDY_COLUMN_LABELS[column]) for column in case_form.STUDY_COLUMNS
        ),
        studies=_studies(layout, values, errors),
        emg_headers=tuple(column.label for column in layout.emg.columns),
        emg_rows=_rows(layout.emg, values, errors, case_form.BLANK_EMG_ROWS),
        imaging_headers=tuple(column.label for column in layout.imaging.columns),
        imaging_rows=_rows(layout.imaging, values, errors, case_form.BLANK_IMAGING_ROWS),
        labs=tuple(_view(f, values, errors) for f in layout.labs),
        advanced=values.get(case_form.ADVANCED, ""),
        examples=_examples() if not based_on else (),
        summary=tuple(
            ErrorLine(key, f"{case_form.label_of(key, layout)}: {text}")
            for key, text in errors.items()
        ),
        errors=dict(errors),
        patient=patient,
        patient_email=values.get("patient_email", "").strip(),
        case_title=values.get("case_title", "").strip(),
        based_on=based_on,
        may_preview=not based_on,
    )


def _patient(session: Session, raw_id: str) -> User | None:
    patient_id = form_values.record_id(raw_id)
    if patient_id is None:
        return None
    user = accounts_repository.user_by_id(session=session, user_id=patient_id)
    return user if user is not None and user.role == Role.patient.value else None


@router.get("/clinic/cases/new", name="new_case_page")
def new_case(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    kb: Knowledge,
    now: Now,
    example: str = "",
    patient: str = "",
    draft: str = "",
) -> Response:
    """The empty form; or started from a worked example, or from a draft an EHR launch
    prepared (its values fill the tables, as when editing a saved case)."""
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    values: dict[str, str] = {}
    if example in _examples():
        values[case_form.ADVANCED] = (EXAMPLES_DIR / f"{example}.yaml").read_text(encoding="utf-8")
    chosen = _patient(session, patient)
    heading = f"New case for {chosen.full_name}" if chosen is not None else "New case"
    if draft:
        try:
            found = case_drafts.open_draft(
                session=session, actor=visit.actor, draft_id=draft, now=now
            )
        except ServiceError as error:
            session.rollback()
            return not_found(request, visit, error)
        session.commit()
        values.update(case_form.form_values(found.case_data, kb))
        from_ehr = found.patient_name or found.ehr_patient or "a patient"
        heading = f"New case from the health record of {from_ehr}"
    page = case_form_page(visit, kb, values, heading=heading, patient=chosen)
    return render(request, "cases/case_form.html", page, visit)


@router.get("/clinic/case-schema.json", response_class=JSONResponse, name="case_schema")
def case_schema() -> dict[str, Any]:
    """Public: the JSON Schema of the Case model, for the advanced box (no patient data)."""
    return Case.model_json_schema()


def _read(form: PostedForm, kb: KnowledgeBase) -> tuple[Case | None, dict[str, str]]:
    """The case as entered and checked against the knowledge base, or the field errors."""
    read = case_form.read_case(form.fields, kb)
    errors = dict(read.errors)
    if read.case is None:
        return None, errors
    try:
        assess(read.case, kb)
    except CaseError as error:
        layout = case_form.form_layout(kb)
        key = case_form.field_for(tuple(error.field.split(".")), layout.by_path())
        errors[key] = as_sentence(error.message)
        if key == case_form.ADVANCED:
            errors[key] = f"{error.field}: {error.message}"
        return None, errors
    return read.case, errors


def _form_again(
    request: Request,
    visit: Visit,
    kb: KnowledgeBase,
    form: PostedForm,
    errors: Mapping[str, str],
    **page: Any,
) -> Response:
    shown = case_form_page(visit, kb, form.fields, errors, **page)
    return render(request, "cases/case_form.html", shown, visit, status_code=422)


def _same_case_saved(
    session: Session, patient_id: int, author_id: int | None, case: Case
) -> ClinicalCase | None:
    """A case of this patient whose latest version, by this clinician, holds exactly this
    case: the same form sent again, so there is nothing new to save."""
    data = case.model_dump(mode="json")
    records, _total = cases_repository.cases(
        session=session, patient_id=patient_id, limit=20, offset=0
    )
    for record in records:
        latest = cases_repository.version(
            session=session, case_id=record.id, number=record.latest_version
        )
        if latest is not None and latest.author_user_id == author_id and latest.case_data == data:
            return record
    return None


@router.post("/clinic/cases")
def create_case(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now, kb: Knowledge
) -> Response:
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    chosen = _patient(session, form.get("patient_id"))
    email = form.get("patient_email")
    if chosen is None and email:
        found = accounts_repository.user_by_email(session=session, email=email)
        chosen = found if found is not None and found.role == Role.patient.value else None
    case, errors = _read(form, kb)
    if chosen is None:
        errors["patient_email"] = (
            "No patient account has this e-mail address."
            if email
            else "Enter the patient's e-mail address, or start the case from their chart."
        )
    if case is None or chosen is None or errors:
        return _form_again(request, visit, kb, form, errors, patient=chosen)
    again = _same_case_saved(session, chosen.id, visit.actor.user_id, case)
    if again is not None:
        return RedirectResponse(assessment_href(again.id, again.latest_version), status_code=303)
    title = form.get("case_title") or f"Assessment of {chosen.full_name}"
    try:
        record, version = cases.create_case(
            session=session,
            actor=visit.actor,
            patient_id=chosen.id,
            title=title[:TITLE_LENGTH],
            case=case,
            note_for_patient="",
            kb=kb,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _form_again(
            request, visit, kb, form, {"patient_email": error.detail}, patient=chosen
        )
    session.commit()
    return RedirectResponse(assessment_href(record.id, version.number), status_code=303)


@router.post("/clinic/assessment")
def assessment_preview(request: Request, visit: VisitDep, form: FormDep, kb: Knowledge) -> Response:
    """The assessment of a case entered but not saved to anyone's record: nothing is
    written, so showing it in answer to the POST is safe to repeat."""
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    case, errors = _read(form, kb)
    if case is None or errors:
        return _form_again(request, visit, kb, form, errors)
    assessment = assess(case, kb)
    report = assessment_page(
        frame=visit.frame(title=f"Assessment: {assessment.case_id or 'case'}"),
        assessment=assessment,
        saved_note="Not saved to a patient's record (no patient was named).",
        body_map=body_map(case, kb, assessment.localization.leader.key),
    )
    return render(request, "cases/assessment.html", report, visit)


@dataclass(frozen=True)
class _Opened:
    record: ClinicalCase
    latest: CaseVersion
    patient: User | None
    signed: sign_off.SignOff | None


def _open(session: Session, visit: Visit, case_id: int, now: datetime) -> _Opened:
    record = cases.case_for_clinician(session=session, actor=visit.actor, case_id=case_id, now=now)
    latest = cases.version_of(session=session, record=record, number=record.latest_version)
    patient = accounts_repository.user_by_id(session=session, user_id=record.patient_id)
    signed = sign_off.sign_off_of(session=session, version=latest)
    return _Opened(record, latest, patient, signed)


@dataclass(frozen=True, kw_only=True)
class SignedOffPage(PortalPage):
    case_id: int
    case_title: str
    version: int
    signed: sign_off.SignOff


@router.get("/clinic/cases/{case_id}/edit", name="edit_case_page")
def edit_case(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    case_id: int,
    reopened: bool = False,
) -> Response:
    """The latest version in the form, ready for the next; a signed-off version is shown
    read-only until the case is reopened."""
    opened = as_clinician(request, visit, session, lambda: _open(session, visit, case_id, now))
    if isinstance(opened, Response):
        return opened
    if opened.signed is not None and not reopened:
        page = SignedOffPage(
            frame=visit.frame(title=f"{opened.record.title}: signed off"),
            case_id=opened.record.id,
            case_title=opened.record.title,
            version=opened.latest.number,
            signed=opened.signed,
        )
        return render(request, "cases/signed_off.html", page, visit)
    values = case_form.form_values(opened.latest.case_data, kb)
    values["case_title"] = opened.record.title
    name = opened.patient.full_name if opened.patient is not None else "the patient"
    page_view = case_form_page(
        visit,
        kb,
        values,
        heading=f"{opened.record.title} ({name}): version {opened.latest.number + 1}",
        action=f"/clinic/cases/{case_id}/versions",
        patient=opened.patient,
        based_on=opened.latest.number,
    )
    return render(request, "cases/case_form.html", page_view, visit)


@router.post("/clinic/cases/{case_id}/versions")
def save_version(
    request: Request,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    case_id: int,
) -> Response:
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    try:
        opened = _open(session, visit, case_id, now)
    except ServiceError as error:
        session.rollback()
        return not_found(request, visit, error)
    based_on = form_values.whole_number(form.get("based_on"), minimum=1) or 0
    page = {
        "heading": f"{opened.record.title}: version {opened.latest.number + 1}",
        "action": f"/clinic/cases/{case_id}/versions",
        "patient": opened.patient,
        "based_on": based_on or opened.latest.number,
    }
    case, errors = _read(form, kb)
    if case is None or errors:
        session.rollback()
        return _form_again(request, visit, kb, form, errors, **page)
    if opened.latest.case_data == case.model_dump(mode="json") and based_on <= opened.latest.number:
        session.rollback()
        return RedirectResponse(assessment_href(case_id, opened.latest.number), status_code=303)
    if based_on != opened.latest.number:
        session.rollback()
        stale = {
            case_form.WHOLE_CASE: (
                f"Version {opened.latest.number} was saved while you were editing version "
                f"{based_on}. Open the case again to see it before saving yours."
            )
        }
        return _form_again(request, visit, kb, form, stale, **page)
    try:
        record, version = cases.save_version(
            session=session,
            actor=visit.actor,
            case_id=case_id,
            case=case,
            note_for_patient=None,
            kb=kb,
            now=now,
        )
        title = form.get("case_title")
        if title and title != record.title:
            record.title = title[:TITLE_LENGTH]
    except ServiceError as error:
        session.rollback()
        return _form_again(request, visit, kb, form, {case_form.WHOLE_CASE: error.detail}, **page)
    session.commit()
    return RedirectResponse(assessment_href(record.id, version.number), status_code=303)


@router.post("/clinic/cases/{case_id}/versions/{number}/sign-off")
def sign_off_version(
    request: Request,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
    case_id: int,
    number: int,
) -> Response:
    def sign() -> ClinicalCase:
        record = cases.case_for_clinician(
            session=session, actor=visit.actor, case_id=case_id, now=now
        )
        sign_off.sign_off(session=session, actor=visit.actor, record=record, number=number, now=now)
        return record

    record = as_clinician(request, visit, session, sign, form=form)
    if isinstance(record, Response):
        return record
    return RedirectResponse(f"/clinic/patients/{record.patient_id}#case-{case_id}", status_code=303)


@router.post("/clinic/cases/{case_id}/reopen")
def reopen_case(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now, case_id: int
) -> Response:
    """Reopening writes nothing to the case (its versions stay as they are); it is audited,
    and the next save is a new version on top of the signed-off one."""

    def reopen() -> None:
        record = cases.case_for_clinician(
            session=session, actor=visit.actor, case_id=case_id, now=now
        )
        sign_off.record_reopening(session=session, actor=visit.actor, record=record, now=now)

    refused = as_clinician(request, visit, session, reopen, form=form)
    if isinstance(refused, Response):
        return refused
    return RedirectResponse(f"/clinic/cases/{case_id}/edit?reopened=1", status_code=303)
