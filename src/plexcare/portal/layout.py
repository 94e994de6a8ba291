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


def site_nav(current: str, visitor: Visitor | None) -> tuple[NavLink, ...]:
    links = [("Home", "/"), ("About the condition", "/condition")]
    if visitor is not None and visitor.role == Role.clinician.value:
        links.append(("New case assessment", "/clinic/cases/new"))
    return tuple(NavLink(label, href, href == current) for label, href in links)


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
