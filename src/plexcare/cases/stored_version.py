"""One saved case version as the clinician's pages show it: the record, the version, who the
patient is, who saved it, and the case itself, read once and audited once.

The assessment page, the printable report and its PDF all show a stored version; they read it
here so that each view is written to the audit log the same way (through
`cases.service.case_for_clinician`) and a missing case or version is the same NotFound,
naming the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.cases import service as cases
from plexcare.cases.assessment_views import CaseHeader
from plexcare.cases.models import CaseVersion, ClinicalCase
from plexcare.engine import Case
from plexcare.portal.layout import when_label

LARGEST_VERSION = 2_147_483_647
"""Version numbers are stored as a 32-bit integer; a larger one cannot exist (and PostgreSQL
would refuse to compare with it)."""


@dataclass(frozen=True)
class StoredVersion:
    record: ClinicalCase
    version: CaseVersion
    header: CaseHeader
    case: Case | None
    """None when the stored case no longer reads as today's case model."""
    saved_at: datetime


def stored_version(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    number: int | None,
    zone: ZoneInfo,
    now: datetime,
) -> StoredVersion:
    """The numbered version (default: the latest) of a case, for clinicians (audited)."""
    record = cases.case_for_clinician(session=session, actor=actor, case_id=case_id, now=now)
    version = cases.version_of(
        session=session,
        record=record,
        number=record.latest_version if number is None else number,
        field="version",
    )
    patient = accounts_repository.user_by_id(session=session, user_id=record.patient_id)
    author = (
        accounts_repository.user_by_id(session=session, user_id=version.author_user_id)
        if version.author_user_id is not None
        else None
    )
    try:
        case: Case | None = Case.model_validate(version.case_data)
    except ValidationError:
        case = None
    header = CaseHeader(
        case_id=record.id,
        patient_id=record.patient_id,
        patient_name=patient.full_name if patient is not None else "unknown patient",
        title=record.title,
        version=version.number,
        latest_version=record.latest_version,
        versions=tuple(v.number for v in cases.versions_of(session=session, record=record)),
        saved_on=when_label(version.created_at, zone),
        author=author.full_name if author is not None else "",
    )
    return StoredVersion(
        record=record, version=version, header=header, case=case, saved_at=version.created_at
    )
