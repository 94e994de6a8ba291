"""Cases at the API edge (pydantic only).

Clinicians get the whole record: the case as entered, the engine's assessment and the
knowledge-base version behind it. Patients get `PatientPlanOut` only: how soon, whom to see
and what is planned, in plain words, never the differential or the localization.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plexcare.engine.case import Case


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient_id: int
    title: str = Field(min_length=1, max_length=200)
    case: Case
    note_for_patient: str = Field(default="", max_length=4000)


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: Case
    note_for_patient: str | None = Field(
        default=None, max_length=4000, description="Leave out to keep the latest version's note."
    )


class CaseVersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    kb_version: str
    leading_localization: str
    leading_cause: str
    urgency: str
    author_user_id: int | None
    created_at: datetime


class CaseVersionOut(CaseVersionSummary):
    case_data: dict[str, Any]
    assessment: dict[str, Any]
    note_for_patient: str


class CaseOut(BaseModel):
    id: int
    patient_id: int
    title: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    version: CaseVersionOut


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    title: str
    latest_version: int
    updated_at: datetime


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class LeaderChange(BaseModel):
    before: str
    after: str
    changed: bool
    probability_before: float | None
    probability_after: float | None


class CaseComparisonOut(BaseModel):
    case_id: int
    from_version: int
    to_version: int
    kb_version_before: str
    kb_version_after: str
    changed_fields: list[FieldChange]
    leading_localization: LeaderChange
    leading_cause: LeaderChange


class PatientPlanItem(BaseModel):
    group: str
    name: str
    what_it_is: str


class PatientFollowUp(BaseModel):
    when: str
    what: str


class PatientPlanOut(BaseModel):
    case_id: int
    version: int
    updated_at: datetime
    urgency: str
    what_to_do_now: str
    whom_to_see: list[str]
    plan: list[PatientPlanItem]
    follow_up: list[PatientFollowUp]
    note_from_your_clinician: str
