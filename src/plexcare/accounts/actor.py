"""Who is making a request, as every service and the audit log see it."""

from __future__ import annotations

from dataclasses import dataclass

from plexcare.accounts.roles import STAFF_ROLES, Role
from plexcare.errors import Forbidden, NotFound

ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user (or nobody) and the address they came from."""

    user_id: int | None
    role: str
    client_ip: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role == Role.patient

    def require_role(self, *roles: Role) -> int:
        """The user's id if their role is one of `roles`, else Forbidden."""
        if self.user_id is None or self.role not in roles:
            raise Forbidden("your role may not do this")
        return self.user_id

    def ensure_may_see_patient(self, patient_id: int) -> None:
        """The one object-level rule for patient data: patients see only their own records.

        A patient asking for someone else's record gets NotFound rather than Forbidden, so the
        answer does not reveal that the record exists.
        """
        if self.is_staff:
            return
        if self.is_patient and self.user_id == patient_id:
            return
        raise NotFound("no such record")


def system_actor() -> Actor:
    """The actor for work the clinic does on its own (the outbox worker, waitlist offers)."""
    return Actor(user_id=None, role="system")
