"""Queries for follow-up visits and their scores."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.followup.models import FollowUpVisit, OutcomeScore


def visits_of(*, session: Session, patient_id: int) -> Sequence[FollowUpVisit]:
    return session.scalars(
        select(FollowUpVisit)
        .where(FollowUpVisit.patient_id == patient_id)
        .order_by(FollowUpVisit.seen_at, FollowUpVisit.id)
    ).all()


def scores_of(*, session: Session, visit_ids: Sequence[int]) -> dict[int, list[OutcomeScore]]:
    found: dict[int, list[OutcomeScore]] = {visit_id: [] for visit_id in visit_ids}
    if not visit_ids:
        return found
    for row in session.scalars(
        select(OutcomeScore)
        .where(OutcomeScore.visit_id.in_(list(visit_ids)))
        .order_by(OutcomeScore.id)
    ):
        found[row.visit_id].append(row)
    return found
