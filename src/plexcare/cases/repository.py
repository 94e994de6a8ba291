"""Queries for cases and their versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.cases.models import CaseVersion, ClinicalCase


def clinical_case(*, session: Session, case_id: int) -> ClinicalCase | None:
    return session.get(ClinicalCase, case_id)


def version(*, session: Session, case_id: int, number: int) -> CaseVersion | None:
    return session.scalar(
        select(CaseVersion).where(CaseVersion.case_id == case_id, CaseVersion.number == number)
    )


def versions(*, session: Session, case_id: int) -> Sequence[CaseVersion]:
    return session.scalars(
        select(CaseVersion).where(CaseVersion.case_id == case_id).order_by(CaseVersion.number)
    ).all()


def cases(
    *, session: Session, patient_id: int | None, limit: int, offset: int
) -> tuple[Sequence[ClinicalCase], int]:
    query = select(ClinicalCase)
    if patient_id is not None:
        query = query.where(ClinicalCase.patient_id == patient_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ClinicalCase.updated_at.desc(), ClinicalCase.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total
