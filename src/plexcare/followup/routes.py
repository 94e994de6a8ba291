"""Follow-up endpoints: clinicians record visits with outcome scores; the patient and staff
read the series over time; anyone may read the scales themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.followup import service
from plexcare.followup.models import FollowUpVisit, OutcomeScore
from plexcare.followup.schemas import (
    FollowUpOut,
    ReadingOut,
    ScaleOut,
    ScoreOut,
    SeriesOut,
    SummaryOut,
    VisitIn,
    VisitOut,
)
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.web.dependencies import DbSession, Now, SignedIn, require_roles

router = APIRouter(prefix="/api/v1", tags=["follow-up"])
Clinician = Annotated[Actor, Depends(require_roles(Role.clinician))]
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]


def _visit_out(
    visit: FollowUpVisit, scores: tuple[OutcomeScore, ...], kb: KnowledgeBase
) -> VisitOut:
    return VisitOut(
        id=visit.id,
        patient_id=visit.patient_id,
        case_id=visit.case_id,
        seen_at=visit.seen_at,
        note=visit.note,
        scores=[
            ScoreOut(
                scale=score.scale_id,
                name=kb.outcome_scales[score.scale_id].name
                if score.scale_id in kb.outcome_scales
                else score.scale_id,
                value=score.value,
                items=score.item_grades,
            )
            for score in scores
        ],
    )


def _series_out(series: service.Series) -> SeriesOut:
    summary = series.summary
    return SeriesOut(
        scale=series.scale.id,
        name=series.scale.name,
        unit=series.scale.unit,
        better=series.scale.better,
        readings=[
            ReadingOut(visit_id=visit.id, seen_at=visit.seen_at, value=value)
            for visit, value in series.readings
        ],
        summary=SummaryOut(
            count=summary.count,
            first=summary.first.value,
            last=summary.last.value,
            best=summary.best.value,
            change=summary.change,
            relative_change=summary.relative_change,
            direction=summary.direction,
            reaches_mcid=summary.reaches_mcid,
            days=summary.days,
        )
        if summary is not None
        else None,
    )


@router.get("/outcome-scales", response_model=list[ScaleOut])
def list_outcome_scales(kb: Knowledge) -> list[ScaleOut]:
    """Public: the scales a follow-up visit records, their ranges and which way is better."""
    return [
        ScaleOut(
            id=scale.id,
            name=scale.name,
            kind=scale.kind,
            minimum=scale.minimum,
            maximum=scale.maximum,
            unit=scale.unit,
            better=scale.better,
            items=[item.id for item in scale.items],
        )
        for scale in kb.outcome_scales.values()
    ]


@router.post("/follow-up-visits", response_model=VisitOut, status_code=status.HTTP_201_CREATED)
def record_visit(
    body: VisitIn, actor: Clinician, session: DbSession, now: Now, kb: Knowledge
) -> VisitOut:
    """Clinician: a follow-up visit with its outcome scores, each checked against its scale."""
    visit, scores = service.record_visit(
        session=session,
        actor=actor,
        patient_id=body.patient_id,
        seen_at=body.seen_at,
        case_id=body.case_id,
        note=body.note,
        scores=[
            service.ScoreEntry(scale=score.scale, value=score.value, items=score.items)
            for score in body.scores
        ],
        kb=kb,
        now=now,
    )
    answer = _visit_out(visit, tuple(scores), kb)
    session.commit()
    return answer


@router.get("/patients/{patient_id}/follow-up", response_model=FollowUpOut)
def patient_follow_up(
    patient_id: int, actor: SignedIn, session: DbSession, now: Now, kb: Knowledge
) -> FollowUpOut:
    """The patient's visits and, per scale, the scores over time with the change since the first."""
    record = service.follow_up_of(
        session=session, actor=actor, patient_id=patient_id, kb=kb, now=now
    )
    answer = FollowUpOut(
        patient_id=patient_id,
        visits=[_visit_out(visit, scores, kb) for visit, scores in record.visits],
        series=[_series_out(series) for series in record.series],
    )
    session.commit()
    return answer
