"""The people who use the clinic, and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    patient = "patient"
    clinician = "clinician"
    front_desk = "front_desk"
    admin = "admin"


STAFF_ROLES = frozenset({Role.clinician, Role.front_desk, Role.admin})
"""Roles that work on other people's records (always through the audit log)."""
