"""Follow-up use-cases: record a visit's outcome scores, read a patient's series. Never commits.

Every score is checked against its scale from the knowledge base (`scores.validate_score`,
`scores.score_from_items`) before anything is stored, with an error naming the score at fault,
so one typo cannot become a false recovery on the chart. A sum score given by its items keeps
the items, so the total can be re-derived and audited later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.cases import repository as cases_repository
from plexcare.errors import InvalidInput, NotFound
from plexcare.followup import repository
from plexcare.followup.models import FollowUpVisit, OutcomeScore
from plexcare.followup.scores import (
    ScoreReading,
    SeriesSummary,
    score_from_items,
    summarize_series,
    validate_score,
)
from plexcare.knowledge.model import KnowledgeBase
from plexcare.knowledge.outcome_model import OutcomeScale


@dataclass(frozen=True)
class ScoreEntry:
    scale: str
    value: float | None
    items: Mapping[str, int] | None


@dataclass(frozen=True)
class Series:
    scale: OutcomeScale
    readings: tuple[tuple[FollowUpVisit, float], ...]
    summary: SeriesSummary | None


@dataclass(frozen=True)
class FollowUpRecord:
    visits: tuple[tuple[FollowUpVisit, tuple[OutcomeScore, ...]], ...]
    series: tuple[Series, ...]


def _checked_score(
    kb: KnowledgeBase, entry: ScoreEntry, index: int
) -> tuple[float, dict[str, int] | None]:
    where = f"scores.{index}"
    scale = kb.outcome_scales.get(entry.scale)
    if scale is None:
        known = ", ".join(sorted(kb.outcome_scales))
        raise InvalidInput(f"unknown scale '{entry.scale}'; known: {known}", field=f"{where}.scale")
    if entry.items is not None:
        total = float(score_from_items(scale, dict(entry.items), field=f"{where}.items"))
        if entry.value is not None and entry.value != total:
            raise InvalidInput(
                f"the item grades add up to {total:g}, not {entry.value:g}", field=f"{where}.value"
            )
        return total, dict(entry.items)
    if entry.value is None:
        raise InvalidInput("give the score (or its item grades)", field=f"{where}.value")
    return float(validate_score(scale, entry.value, field=f"{where}.value")), None


def record_visit(
    *,
    session: Session,
    actor: Actor,
    patient_id: int,
    seen_at: datetime,
    case_id: int | None,
    note: str,
    scores: Sequence[ScoreEntry],
    kb: KnowledgeBase,
    now: datetime,
) -> tuple[FollowUpVisit, list[OutcomeScore]]:
    actor.require_role(Role.clinician)
    patient = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if patient is None or patient.role != Role.patient:
        raise NotFound("no such patient", field="patient_id")
    if seen_at > now:
        raise InvalidInput("a visit cannot be recorded before it happens", field="seen_at")
    if case_id is not None:
        record = cases_repository.clinical_case(session=session, case_id=case_id)
        if record is None or record.patient_id != patient_id:
            raise NotFound("this patient has no such case", field="case_id")
    checked: list[tuple[str, float, dict[str, int] | None]] = []
    for index, entry in enumerate(scores):
        if any(entry.scale == scale for scale, _v, _i in checked):
            raise InvalidInput("each scale once per visit", field=f"scores.{index}.scale")
        value, items = _checked_score(kb, entry, index)
        checked.append((entry.scale, value, items))
    visit = FollowUpVisit(
        patient_id=patient_id,
        case_id=case_id,
        seen_at=seen_at,
        note=note,
        recorded_by_user_id=actor.user_id,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    rows = [
        OutcomeScore(visit_id=visit.id, scale_id=scale, value=value, item_grades=items)
        for scale, value, items in checked
    ]
    session.add_all(rows)
    session.flush()
    audit.record_access(
        session=session,
        actor=actor,
        action="create",
        subject_type="followup_visit",
        subject_id=visit.id,
        patient_user_id=patient_id,
        now=now,
    )
    return visit, rows


def follow_up_of(
    *, session: Session, actor: Actor, patient_id: int, kb: KnowledgeBase, now: datetime
) -> FollowUpRecord:
    """Every visit, and per scale the readings over time with their summary."""
    actor.ensure_may_see_patient(patient_id)
    patient = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if patient is None or patient.role != Role.patient:
        raise NotFound("no such patient")
    visits = repository.visits_of(session=session, patient_id=patient_id)
    scores = repository.scores_of(session=session, visit_ids=[visit.id for visit in visits])
    by_scale: dict[str, list[tuple[FollowUpVisit, float]]] = {}
    for visit in visits:
        for score in scores[visit.id]:
            by_scale.setdefault(score.scale_id, []).append((visit, score.value))
    series = []
    for scale_id in sorted(by_scale):
        scale = kb.outcome_scales.get(scale_id)
        if scale is None:
            continue
        readings = by_scale[scale_id]
        summary = summarize_series(
            scale, [ScoreReading(taken_at=visit.seen_at, value=value) for visit, value in readings]
        )
        series.append(Series(scale=scale, readings=tuple(readings), summary=summary))
    audit.record_access(
        session=session,
        actor=actor,
        action="read",
        subject_type="followup",
        subject_id=patient_id,
        patient_user_id=patient_id,
        now=now,
    )
    return FollowUpRecord(
        visits=tuple((visit, tuple(scores[visit.id])) for visit in visits),
        series=tuple(series),
    )
