"""Records the API tests of this area (the permission matrix, Schemathesis) both set up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.callbacks import service as callbacks
from plexcare.callbacks.models import CallbackRequest
from plexcare.scheduling import service as booking
from tests.conftest_db import TEST_NOW


def anonymous_callback(
    session: Session, *, phone: str = "020 7946 0018", client_ip: str | None = None
) -> CallbackRequest:
    """A routine call-back request from a visitor who is not signed in.

    `phone` and `client_ip` tell callers apart: the clinic accepts only a few requests a day
    for one number and an hour from one address, so a test that needs many requests gives each
    its own.
    """
    return callbacks.request_callback(
        session=session,
        actor=Actor(user_id=None, role="anonymous", client_ip=client_ip),
        full_name="Sam Caller",
        phone=phone,
        region="GB",
        preferred_start=None,
        preferred_end=None,
        reason="Please call me about a nerve test.",
        urgency="routine",
        now=TEST_NOW,
    )


def booked_consultation(
    session: Session,
    *,
    patient_id: int,
    clinician_id: int,
    appointment_type_id: int,
    starts_at: datetime,
) -> int:
    """An appointment the patient booked for themselves (not committed); its id. The page
    matrix asks for it as its owner, as another patient and as each member of staff."""
    return booking.book(
        session=session,
        actor=Actor(user_id=patient_id, role="patient"),
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
        starts_at=starts_at,
        now=TEST_NOW,
    ).id
