"""Account requests and responses at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from plexcare.accounts.roles import Role


class PatientRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=10, max_length=200)
    full_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    consent_email: bool = True
    consent_sms: bool = False


class StaffAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=10, max_length=200)
    full_name: str = Field(min_length=1, max_length=200)
    role: Role


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent_email: bool | None = None
    consent_sms: bool | None = None
    phone: str | None = Field(default=None, max_length=32)


REGISTRATION_RECEIVED = (
    "Thank you. You can now sign in with this e-mail address and the password you chose. "
    "If the address already had an account, nothing has changed: sign in with its password."
)


class RegistrationReceipt(BaseModel):
    """The one answer to a registration, whether the address was new or already had an
    account, so the form cannot be used to find out who is a patient here."""

    message: str = REGISTRATION_RECEIVED


class AccessTokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    role: Role
    phone: str | None
    consent_email: bool
    consent_sms: bool
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int
