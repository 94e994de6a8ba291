"""CDS Hooks 2.0 endpoints: discovery, the two services, and feedback.

`GET /cds-services` is public, as the spec expects of discovery. A service call carries a
plexcare bearer token (the same roles as the JSON API: clinicians and administrators for the
clinical review, the front desk too for booking advice); each call and each piece of feedback
is written to the audit log. The EHR's patient is named by its own id, so the audit row keeps
that id and no plexcare patient.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.cds_hooks import cards as card_rules
from plexcare.cds_hooks import services as catalogue
from plexcare.cds_hooks.schemas import Card, CardsResponse, Discovery, FeedbackRequest, HookRequest
from plexcare.clinic import repository as clinic_repository
from plexcare.engine import assess
from plexcare.engine.case_names import CaseError
from plexcare.errors import Forbidden, InvalidInput, NotFound
from plexcare.fhir.conformance import NotConformant, check_resource, conformant
from plexcare.fhir.prefetch import case_from_prefetch
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.web.dependencies import DbSession, Now, require_roles

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]
Caller = Annotated[Actor, Depends(require_roles(Role.clinician, Role.front_desk, Role.admin))]
CLINICAL_CALLERS = (Role.clinician, Role.admin)


@router.get("", response_model=Discovery)
def discovery() -> Discovery:
    """Public: the services offered, the hook each answers and the prefetch each wants."""
    return Discovery(services=list(catalogue.SERVICES))


def _checked(cards: list[Card]) -> list[Card]:
    """Every FHIR resource a suggestion carries is valid R4 before it leaves."""
    for card in cards:
        for suggestion in card.suggestions:
            for action in suggestion.actions:
                if action.resource is not None:
                    check_resource(action.resource)
    return cards


@router.post("/{service_id}", response_model=CardsResponse, response_model_exclude_none=True)
def call_service(
    service_id: str,
    body: HookRequest,
    request: Request,
    actor: Caller,
    session: DbSession,
    now: Now,
    kb: Knowledge,
) -> CardsResponse:
    """Cards for the hook: red flags, the differential, or appointment advice."""
    offered = catalogue.service(service_id)
    if offered is None:
        raise NotFound("no such CDS service")
    if body.hook != offered.hook:
        raise InvalidInput(f"this service answers the {offered.hook} hook", field="hook")
    if offered.hook == "patient-view" and actor.role not in CLINICAL_CALLERS:
        raise Forbidden("your role may not do this")
    patient_id = str(body.context.get("patientId") or "")
    if not patient_id:
        raise InvalidInput("name the patient in context.patientId", field="context.patientId")
    case = case_from_prefetch(body.prefetch, body.context, kb, today=now.date())
    try:
        answer = assess(case, kb).to_dict()
    except CaseError as error:
        raise InvalidInput(error.message, field=f"prefetch: case.{error.field}") from error
    patient = f"Patient/{patient_id}"
    if offered.hook == "patient-view":
        cards = card_rules.red_flag_cards(answer, patient=patient, instance=body.hookInstance)
        launch = str(request.base_url).rstrip("/") + "/smart/launch"
        differential = card_rules.differential_card(
            answer, patient=patient, instance=body.hookInstance, launch_url=launch
        )
        if differential is not None:
            cards.append(differential)
    else:
        # Booking is the front desk's work too, so this answer holds what the front desk may
        # read of a case (JSON API: the plain-language plan): how soon, what to book, and the
        # red flags' reasons in the patient's words, not the clinical detail.
        proposed = _first_appointment(body.context)
        types = [
            (kind.code, kind.name) for kind in clinic_repository.appointment_types(session=session)
        ]
        cards = [
            card_rules.booking_card(
                answer, instance=body.hookInstance, proposed=proposed, offered=types
            )
        ]
    audit.record_access(
        session=session,
        actor=actor,
        action="read",
        subject_type=f"cds_{offered.hook.replace('-', '_')}",
        subject_id=patient_id[:64],
        patient_user_id=None,
        now=now,
    )
    session.commit()
    return CardsResponse(cards=_checked(cards))


def _first_appointment(context: dict[str, Any]) -> dict[str, Any] | None:
    appointments = context.get("appointments")
    if not isinstance(appointments, dict):
        return None
    for entry in appointments.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Appointment":
            try:
                return conformant(resource)
            except NotConformant as error:
                problem = error.problems[0]
                raise InvalidInput(
                    problem.message, field=f"context.appointments: {problem.location}"
                ) from error
    return None


@router.post("/{service_id}/feedback")
def feedback(
    service_id: str, body: FeedbackRequest, actor: Caller, session: DbSession, now: Now
) -> JSONResponse:
    """What the clinician did with each card (accepted, or overridden and why), kept in the
    audit log as `cds_feedback` rows whose subject is `<card uuid>:<outcome>`."""
    if catalogue.service(service_id) is None:
        raise NotFound("no such CDS service")
    for item in body.feedback:
        audit.record_access(
            session=session,
            actor=actor,
            action="create",
            subject_type="cds_feedback",
            subject_id=f"{item.card}:{item.outcome}"[:64],
            patient_user_id=None,
            now=now,
        )
    session.commit()
    return JSONResponse({})
