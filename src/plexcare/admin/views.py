"""What the administrator's pages show, built without web code (tests read them directly)."""

from __future__ import annotations

from dataclasses import dataclass, field

from plexcare.portal.layout import PortalPage
from plexcare.scheduling.pages.views import Choice

__all__ = [
    "AuditPage",
    "AuditRow",
    "Choice",
    "ClinicSetupPage",
    "ClosureRow",
    "ClosuresPage",
    "DayHours",
    "HoursPage",
    "LeaveRow",
    "OutboxPage",
    "OutboxRow",
    "ResourceRow",
    "TypeRow",
    "UserRow",
    "UsersPage",
]

ROLE_CHOICES = (
    Choice("patient", "Patient"),
    Choice("clinician", "Clinician"),
    Choice("front_desk", "Front desk"),
    Choice("admin", "Administrator"),
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DONE_MESSAGES = {
    "role": "The role is changed.",
    "created": "The account is created.",
    "hours": "The weekly hours are saved. Search and booking follow them at once.",
    "leave": "The leave is saved: those days offer no times with this clinician.",
    "removed": "Removed.",
    "closed": "The day is closed: it offers no times to anyone.",
    "opened": "The day is open again.",
    "type": "The appointment type is added.",
    "resource": "The room or machine is added.",
    "resent": "The message is queued to be sent again.",
}


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str
    role: str
    active: bool
    is_me: bool


@dataclass(frozen=True, kw_only=True)
class UsersPage(PortalPage):
    users: tuple[UserRow, ...]
    roles: tuple[Choice, ...] = ROLE_CHOICES
    role_filter: str = ""
    clinicians: tuple[Choice, ...] = ()
    done: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)
    total: int = 0
    next_href: str = ""
    previous_href: str = ""


@dataclass(frozen=True)
class DayHours:
    weekday: int
    name: str
    starts: str
    ends: str
    break_starts: str
    break_ends: str


@dataclass(frozen=True)
class LeaveRow:
    id: int
    kind: str
    first_day: str
    last_day: str
    note: str


@dataclass(frozen=True, kw_only=True)
class HoursPage(PortalPage):
    clinician_id: int
    clinician: str
    days: tuple[DayHours, ...]
    leave: tuple[LeaveRow, ...]
    done: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClosureRow:
    day: str
    label: str
    closed: bool
    holiday: str
    note: str


@dataclass(frozen=True, kw_only=True)
class ClosuresPage(PortalPage):
    rows: tuple[ClosureRow, ...]
    calendar: str
    done: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TypeRow:
    id: int
    code: str
    name: str
    minutes: int
    buffer: int
    notice: int
    needs: str
    offered_by: str


@dataclass(frozen=True)
class ResourceRow:
    id: int
    name: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class ClinicSetupPage(PortalPage):
    types: tuple[TypeRow, ...] = ()
    resources: tuple[ResourceRow, ...] = ()
    clinicians: tuple[Choice, ...] = ()
    done: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    channel: str
    recipient: str
    status: str
    attempts: int
    due: str
    sent: str
    error: str
    can_resend: bool


@dataclass(frozen=True, kw_only=True)
class OutboxPage(PortalPage):
    rows: tuple[OutboxRow, ...]
    statuses: tuple[Choice, ...]
    status_filter: str
    done: str = ""
    total: int = 0


@dataclass(frozen=True)
class AuditRow:
    when: str
    actor: str
    role: str
    action: str
    subject: str
    record: str
    """The record's id within its kind: a number, a day, an address; kept on one line."""
    patient: str
    address: str


@dataclass(frozen=True, kw_only=True)
class AuditPage(PortalPage):
    rows: tuple[AuditRow, ...]
    filters: dict[str, str]
    actions: tuple[Choice, ...]
    errors: dict[str, str] = field(default_factory=dict)
    total: int = 0
    next_href: str = ""
    previous_href: str = ""
