"""Signing off a case version, and reopening a signed-off case. Never commits.

A sign-off says "this version is my finished assessment": only the latest version can be
signed, once; afterwards the case shows as closed on the worklist and its edit page is
read-only until a clinician reopens it. Reopening changes no record (versions are never
changed): the next save is simply a new version on top. Both are written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.cases import repository
from plexcare.cases.models import CaseSignOff, CaseVersion, ClinicalCase
from plexcare.errors import Conflict, NotFound


@dataclass(frozen=True)
class SignOff:
    version_number: int
    by: str
    at: datetime


def _signed(session: Session, row: CaseSignOff, number: int) -> SignOff:
    user = (
        accounts_repository.user_by_id(session=session, user_id=row.signed_by_user_id)
        if row.signed_by_user_id is not None
        else None
    )
    return SignOff(
        number, user.full_name if user is not None else "a former clinician", row.signed_at
    )


def sign_off_of(*, session: Session, version: CaseVersion) -> SignOff | None:
    row = session.scalar(select(CaseSignOff).where(CaseSignOff.case_version_id == version.id))
    return _signed(session, row, version.number) if row is not None else None


def sign_offs_of(*, session: Session, versions: Iterable[CaseVersion]) -> dict[int, SignOff]:
    """The sign-offs of these versions by version number (unsigned ones are absent)."""
    by_id = {version.id: version.number for version in versions}
    if not by_id:
        return {}
    rows = session.scalars(select(CaseSignOff).where(CaseSignOff.case_version_id.in_(by_id))).all()
    return {
        by_id[row.case_version_id]: _signed(session, row, by_id[row.case_version_id])
        for row in rows
    }


def signed_version_ids(*, session: Session, version_ids: Iterable[int]) -> set[int]:
    wanted = list(version_ids)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(CaseSignOff.case_version_id).where(CaseSignOff.case_version_id.in_(wanted))
        ).all()
    )


def sign_off(
    *, session: Session, actor: Actor, record: ClinicalCase, number: int, now: datetime
) -> CaseSignOff:
    """Sign off the case's latest version; an earlier version, or one already signed off,
    is refused (the page offers neither)."""
    actor.require_role(Role.clinician)
    version = repository.version(session=session, case_id=record.id, number=number)
    if version is None:
        raise NotFound(f"case {record.id} has no version {number}", field="number")
    if number != record.latest_version:
        raise Conflict(
            f"version {number} is not the latest (version {record.latest_version} is); "
            "sign off the latest version"
        )
    row = CaseSignOff(case_version_id=version.id, signed_by_user_id=actor.user_id, signed_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(f"version {number} is already signed off") from error
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="case_sign_off",
        subject_id=version.id,
        patient_user_id=record.patient_id,
        now=now,
    )
    return row


def record_reopening(
    *, session: Session, actor: Actor, record: ClinicalCase, now: datetime
) -> None:
    actor.require_role(Role.clinician)
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="case_reopened",
        subject_id=record.id,
        patient_user_id=record.patient_id,
        now=now,
    )
