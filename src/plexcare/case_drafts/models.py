"""Case drafts and SMART launches in progress (ORM only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class CaseDraft(Base):
    """A case built from an EHR's record for one clinician, waiting to be opened in the case
    form. Only its clinician may open it, and only until it expires."""

    __tablename__ = "case_drafts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Random (`secrets.token_urlsafe`): the id is the only thing the form's address carries."""
    clinician_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    case_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(500))
    """Where it came from: the EHR's FHIR base URL."""
    ehr_patient: Mapped[str] = mapped_column(String(200), default="")
    """The patient's id in the EHR (not a plexcare patient), shown so the clinician can match."""
    patient_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SmartLaunch(Base):
    """One SMART App Launch between the redirect to the EHR's authorization server and its
    return: the `state` we sent and the PKCE verifier that proves the return is ours.
    Deleted when the return is handled."""

    __tablename__ = "smart_launches"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinician_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(500))
    token_endpoint: Mapped[str] = mapped_column(String(500))
    code_verifier: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
