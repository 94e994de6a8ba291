"""What every portal page shares: its title, the navigation, who is signed in, and the form
token. Page contexts are frozen dataclasses built without web code, so tests can check what a
page shows without parsing HTML, and a template shows only what was put in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from plexcare.accounts.roles import Role
from plexcare.notifications.messages import format_local_clock, format_local_time

ROLE_LABELS = {
    Role.patient.value: "patient",
    Role.clinician.value: "clinician",
    Role.front_desk.value: "front desk",
    Role.admin.value: "administrator",
}


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Visitor:
    """The signed-in person as the page greets them."""

    name: str
    role: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


@dataclass(frozen=True)
class Frame:
    """What `base.html` and the partials read on every portal page.

    The self-check, booking and account links are written once in `_nav.html`, so the
    education pages show them too; `nav` adds the site links and the clinician's own pages.
    """

    title: str
    nav: tuple[NavLink, ...]
    visitor: Visitor | None
    csrf_token: str


@dataclass(frozen=True, kw_only=True)
class PortalPage:
    frame: Frame

    @property
    def title(self) -> str:
        return self.frame.title

    @property
    def nav(self) -> tuple[NavLink, ...]:
        return self.frame.nav

    @property
    def visitor(self) -> Visitor | None:
        return self.frame.visitor

    @property
    def csrf_token(self) -> str:
        return self.frame.csrf_token


@dataclass(frozen=True, kw_only=True)
class MessagePage(PortalPage):
    """A short answer in place of a page: not found, not allowed, a form that expired."""

    heading: str
    message: str
    next_href: str = "/"
    next_label: str = "Go to the home page"


PUBLIC = "public"
"""The `ROLE_LINKS` key for a visitor who has not signed in."""

ROLE_HOMES = {
    Role.patient.value: "/me",
    Role.clinician.value: "/clinic",
    Role.front_desk.value: "/desk",
    Role.admin.value: "/admin",
}
"""Where each role lands after signing in, unless it came from a page it should go back to."""

ROLE_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    PUBLIC: (
        ("Home", "/"),
        ("About the condition", "/condition"),
        ("Symptom self-check", "/self-check"),
        ("Book an appointment", "/book"),
        ("Our specialists", "/specialists"),
        ("Health packages", "/packages"),
        ("Contact", "/contact"),
    ),
    Role.patient.value: (
        ("My home", "/me"),
        ("About the condition", "/condition"),
        ("Symptom self-check", "/self-check"),
        ("Book an appointment", "/book"),
        ("My appointments", "/me/appointments"),
        ("My second opinions", "/me/second-opinions"),
        ("My packages", "/me/packages"),
    ),
    Role.clinician.value: (
        ("Worklist", "/clinic"),
        ("New case", "/clinic/cases/new"),
        ("About the condition", "/condition"),
        ("Second opinions", "/desk/second-opinions"),
    ),
    Role.front_desk.value: (
        ("Front desk", "/desk"),
        ("Book for a caller", "/desk/book"),
        ("Call-backs", "/desk/callbacks"),
        ("Second opinions", "/desk/second-opinions"),
        ("Demo mailbox", "/desk/mailbox"),
    ),
    Role.admin.value: (
        ("Administration", "/admin"),
        ("Closures", "/admin/closures"),
        ("Outbox", "/admin/outbox"),
        ("Audit log", "/admin/audit"),
        ("Front desk", "/desk"),
    ),
}
"""The menu, one row per audience: a role sees only its own row, so it is never offered a page
that would answer "Not available to your account". Pages of a new area add their link to the
rows of the roles that may use it; signing in or out is added by `site_nav`."""


def site_nav(current: str, visitor: Visitor | None) -> tuple[NavLink, ...]:
    """The menu for this visitor: their role's row of `ROLE_LINKS`, then sign in or out."""
    if visitor is None:
        links = (*ROLE_LINKS[PUBLIC], ("Sign in", "/login"))
    else:
        links = (*ROLE_LINKS.get(visitor.role, ()), ("Sign out", "/logout"))
    return tuple(NavLink(label, href, href == current) for label, href in links)


def home_for(role: str) -> str:
    """The page a person of this role starts from; an unknown role starts at the home page."""
    return ROLE_HOMES.get(role, "/")


def when_label(moment: datetime, zone: ZoneInfo) -> str:
    """A time as people read it in the clinic's zone: `Tuesday 3 March 2026, 09:30 GMT`.

    The zone's abbreviation is always there: on a fall-back night 01:30 happens twice, and
    only `01:30 BST` and `01:30 GMT` tell the two appointments apart. Pages and messages share
    one format (`notifications.messages`), so the e-mail and the page say the same thing.
    """
    return format_local_time(moment, time_zone=zone)


def clock_label(moment: datetime | str, zone: ZoneInfo) -> str:
    """The time of day alone, with the zone's abbreviation (`01:30 GMT`), for times listed
    under a day heading; `moment` may be the ISO string a slot form carries."""
    instant = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return format_local_clock(instant, time_zone=zone)
