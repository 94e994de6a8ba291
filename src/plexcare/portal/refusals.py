"""When a clinic service refuses what a page asked: its reason, worded the same on every page.

The services give their reason as a clause ("that time has just been taken", "the hours
overlap"); a page shows it as a sentence, either beside the field it names or on a short page
with the service's status code and one way back. Every area's pages (booking, the front desk,
the admin pages, packages, second opinions) word a refusal this way, so it is written once here.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from plexcare.errors import ServiceError
from plexcare.portal.rendering import Visit, message


def as_sentence(reason: str) -> str:
    """A service's reason as the visitor reads it: capitalised, with a full stop."""
    return f"{reason[:1].upper()}{reason[1:]}."


def refusal_page(
    request: Request,
    visit: Visit,
    error: ServiceError,
    *,
    heading: str,
    next_href: str,
    next_label: str,
) -> HTMLResponse:
    """The short page that says why nothing changed, with the service's status code (409 for
    a time just taken, 422 for a rule broken, ...) and the one link back to try again."""
    return message(
        request,
        visit,
        status_code=error.status,
        heading=heading,
        text=as_sentence(error.detail),
        next_href=next_href,
        next_label=next_label,
    )
