"""What the workspace tests set up: an appointment today, a saved self-check, a saved case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.cases import service as cases
from plexcare.cases.models import ClinicalCase
from plexcare.engine import Case
from plexcare.knowledge.loader import knowledge_base
from plexcare.scheduling import service as scheduling
from plexcare.scheduling.models import Appointment
from plexcare.triage.models import TriageRecord
from tests.conftest_db import TEST_NOW, SmallClinic

TEN_TODAY = TEST_NOW.replace(hour=10)
"""Monday 2 March 2026, 10:00 in London: inside the neurologists' hours."""


def staff(user: User) -> Actor:
    return Actor(user_id=user.id, role=Role(user.role))


def book_today(
    session: Session, clinic: SmallClinic, patient: User, starts_at: datetime = TEN_TODAY
) -> Appointment:
    appointment = scheduling.book(
        session=session,
        actor=staff(clinic.front_desk),
        clinician_id=clinic.neurologist.id,
        appointment_type_id=clinic.consultation.id,
        starts_at=starts_at,
        now=TEST_NOW,
        patient_id=patient.id,
    )
    session.commit()
    return appointment


def self_check(session: Session, patient: User, urgency: str = "soon") -> TriageRecord:
    record = TriageRecord(
        patient_id=patient.id,
        urgency=urgency,
        specialty="neurology",
        answers={},
        kb_version="test",
        created_at=TEST_NOW,
    )
    session.add(record)
    session.commit()
    return record


def saved_case(
    session: Session, clinic: SmallClinic, patient: User, title: str = "Left foot drop"
) -> ClinicalCase:
    record, _version = cases.create_case(
        session=session,
        actor=staff(clinic.clinician_user),
        patient_id=patient.id,
        title=title,
        case=Case.model_validate(
            {
                "age": 58,
                "sex": "male",
                "affected_side": "left",
                "exam": {"left": {"strength": {"tibialis_anterior": 2}}},
            }
        ),
        note_for_patient="",
        kb=knowledge_base(),
        now=TEST_NOW,
    )
    session.commit()
    return record
