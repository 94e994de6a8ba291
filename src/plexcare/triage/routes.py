"""The public self-check: answers in, how soon and with whom, and what to book or do next."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from plexcare.config import get_settings
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.scheduling.schemas import SlotOut
from plexcare.scheduling.search import FoundSlot
from plexcare.triage import service
from plexcare.triage.schemas import (
    CallbackOffer,
    QuestionnaireOut,
    QuestionOptionOut,
    QuestionOut,
    ReasonOut,
    SelfCheckOut,
    SelfCheckRequest,
)
from plexcare.web.dependencies import CurrentActor, DbSession, Now

router = APIRouter(prefix="/api/v1", tags=["triage"])
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]


def _slot_out(found: FoundSlot) -> SlotOut:
    return SlotOut(
        clinician_id=found.clinician.id,
        clinician_name=found.clinician.full_name,
        specialty=found.clinician.specialty,
        appointment_type_id=found.appointment_type.id,
        appointment_type=found.appointment_type.code,
        starts_at=found.slot.start,
        ends_at=found.slot.end,
        local_start=found.slot.local_start,
        time_zone=found.slot.time_zone,
    )


@router.get("/triage/questions", response_model=QuestionnaireOut)
def questionnaire(kb: Knowledge) -> QuestionnaireOut:
    """Public: the self-check's questions, in plain words."""
    return QuestionnaireOut(
        notice=kb.triage.notice,
        questions=[
            QuestionOut(
                id=question.id,
                group=question.group,
                kind=question.kind,
                text=question.text,
                help=question.help,
                options=[QuestionOptionOut(id=o.id, text=o.text) for o in question.options],
                minimum=question.minimum,
                maximum=question.maximum,
            )
            for question in kb.triage.questions
        ],
    )


@router.post("/triage", response_model=SelfCheckOut)
def self_check(
    body: SelfCheckRequest, actor: CurrentActor, session: DbSession, now: Now, kb: Knowledge
) -> SelfCheckOut:
    """Public: run the self-check. Anonymous answers are not stored; a signed-in patient's
    result is kept in their record."""
    outcome = service.self_check(
        session=session, actor=actor, answers=dict(body.answers), kb=kb, now=now
    )
    answer = SelfCheckOut(
        urgency=outcome.advice.urgency,
        see=list(outcome.advice.see),
        specialty=outcome.specialty.value if outcome.specialty else None,
        reasons=[ReasonOut(urgency=r.urgency, reason=r.reason) for r in outcome.advice.reasons],
        further_advice=[
            ReasonOut(urgency=r.urgency, reason=r.reason) for r in outcome.advice.further_advice
        ],
        unanswered_warnings=list(outcome.advice.unanswered_warnings),
        could_change=list(outcome.advice.could_change),
        emergency_number=get_settings().emergency_number,
        next_step=outcome.next_step,
        what_to_do=outcome.what_to_do,
        slots=[_slot_out(found) for found in outcome.slots],
        callback=(
            CallbackOffer(
                urgency=outcome.callback_urgency,
                due_at=outcome.callback_due,
                in_time=outcome.callback_in_time,
            )
            if outcome.callback_urgency
            else None
        ),
        notice=outcome.advice.notice,
        kb_version=outcome.kb_version,
        saved_to_record=outcome.saved_to_record,
    )
    session.commit()
    return answer
