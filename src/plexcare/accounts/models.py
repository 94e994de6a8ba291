"""Accounts and their credentials (ORM only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class User(Base):
    """Anyone who signs in: a patient, a clinician, front-desk staff or an administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    consent_email: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessToken(Base):
    """A bearer token or a page session; only its SHA-256 is stored, so a leaked table
    cannot be replayed."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginThrottle(Base):
    """Failed sign-ins counted for one account or one client address (`login_throttle`).

    In the database rather than in memory, so every app process counts the same failures.
    An account's `key` is a keyed hash (HMAC) of the e-mail address as typed, so an address
    with no account is throttled exactly like one that has, and the table does not list the
    addresses people tried; a client's `key` is its address (an IPv6 client's /64).
    """

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    """"account" or "address"."""
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    streak_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    """Lock-outs in a row, each twice as long as the one before."""
    refused: Mapped[int] = mapped_column(Integer, default=0)
    """Attempts turned away while locked: counted here, not written to the audit log one by
    one, so a flood of guesses cannot flood the log."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
