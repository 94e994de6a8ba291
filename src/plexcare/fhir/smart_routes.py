"""`/smart/launch` and `/smart/callback`: the SMART App Launch pages (see `smart`).

An EHR launch (`iss` and `launch`) and a standalone launch (`iss` alone: the EHR asks the
clinician to choose the patient) end the same way, at the case form with the EHR's record as
a draft: `/clinic/cases/new?draft=<id>`. Without `iss` there is no EHR to read, and the launch
falls back to the blank case form. Only clinicians launch; the address carries only the draft's
random id, never patient data.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plexcare.accounts.roles import Role
from plexcare.case_drafts import service as drafts
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.fhir import smart
from plexcare.fhir.prefetch import case_from_prefetch
from plexcare.knowledge.loader import knowledge_base
from plexcare.portal.rendering import VisitDep, gate, message
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(prefix="/smart", tags=["smart"], include_in_schema=False)
CASE_FORM = "/clinic/cases/new"


def connection_for(request: Request) -> smart.EhrConnection:
    """The app's way to the EHRs: `app.state.ehr_connection` when set (tests), else HTTP."""
    found = getattr(request.app.state, "ehr_connection", None)
    return found if found is not None else smart.StandardConnection()


def _callback_url(request: Request) -> str:
    return str(request.url_for("smart_callback"))


def _refused(request: Request, visit: VisitDep, error: ServiceError) -> Response:
    return message(
        request,
        visit,
        status_code=error.status,
        heading="The EHR launch did not work",
        text=f"{error.detail}.",
        next_href=CASE_FORM,
        next_label="Open a blank case form instead",
    )


@router.get("/launch")
def launch(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    iss: str = "",
    launch: str = "",
) -> Response:
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    if not iss:
        return RedirectResponse(CASE_FORM, status_code=303)
    settings = get_settings()
    try:
        issuer = smart.trusted_issuer(iss, settings.smart_issuers)
        config = smart.configuration(connection_for(request), issuer)
        started = drafts.start_launch(
            session=session,
            actor=visit.actor,
            issuer=issuer,
            token_endpoint=config.token_endpoint,
            now=now,
        )
        target = smart.authorize_url(
            config=config,
            client_id=settings.smart_client_id,
            redirect_uri=_callback_url(request),
            issuer=issuer,
            state=started.state,
            verifier=started.code_verifier,
            launch=launch or None,
        )
    except ServiceError as error:
        session.rollback()
        return _refused(request, visit, error)
    session.commit()
    return RedirectResponse(target, status_code=303)


@router.get("/callback", name="smart_callback")
def callback(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    try:
        started = drafts.finish_launch(session=session, actor=visit.actor, state=state, now=now)
        session.commit()  # the state is spent whatever happens next
        if error or not code:
            raise smart.EhrUnreachable(
                f"the EHR did not authorize the launch ({error or 'no code'})"
            )
        record = smart.read_patient_record(
            connection_for(request),
            issuer=started.issuer,
            token_endpoint=started.token_endpoint,
            code=code,
            verifier=started.code_verifier,
            client_id=get_settings().smart_client_id,
            redirect_uri=_callback_url(request),
        )
        case = case_from_prefetch(
            record.prefetch, {"patientId": record.patient_id}, knowledge_base(), today=now.date()
        )
        draft = drafts.keep_draft(
            session=session,
            actor=visit.actor,
            case_data=case.model_dump(mode="json", exclude_defaults=True),
            source=started.issuer,
            ehr_patient=record.patient_id,
            patient_name=smart.patient_name(record.prefetch["patient"]),
            now=now,
        )
    except ServiceError as failure:
        session.rollback()
        return _refused(request, visit, failure)
    session.commit()
    return RedirectResponse(f"{CASE_FORM}?draft={draft.id}", status_code=303)
