"""How a portal route answers: one template, one typed page, the form token, and the gates.

Pages are not the JSON API, so they never answer with problem+json: a visitor who must sign
in is sent to the sign-in page (and back afterwards), a wrong role or someone else's record
gets a short HTML page with the status code, and a form that fails its CSRF check is refused
with 403 and asked to be reloaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.portal import csrf
from plexcare.portal.address_breaks import breakable_address
from plexcare.portal.layout import (
    ROLE_LINKS,
    Frame,
    MessagePage,
    PortalPage,
    Visitor,
    site_nav,
)
from plexcare.web.dependencies import CurrentActor, DbSession

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals["ROLE_LINKS"] = ROLE_LINKS  # `_nav.html` reads the public row
templates.env.filters["breakable_address"] = breakable_address


@dataclass(frozen=True)
class Visit:
    """Who is asking, as the pages need it: the actor for the services, the visitor for the
    greeting, and the token for this response's forms."""

    actor: Actor
    visitor: Visitor | None
    token: csrf.FormToken

    def frame(self, *, title: str, current: str = "") -> Frame:
        return Frame(
            title=title,
            nav=site_nav(current, self.visitor),
            visitor=self.visitor,
            csrf_token=self.token.value,
        )


def current_visit(request: Request, actor: CurrentActor, session: DbSession) -> Visit:
    visitor = None
    if actor.user_id is not None:
        user = accounts_repository.user_by_id(session=session, user_id=actor.user_id)
        if user is not None:
            visitor = Visitor(name=user.full_name, role=user.role)
    return Visit(actor=actor, visitor=visitor, token=csrf.form_token(request))


VisitDep = Annotated[Visit, Depends(current_visit)]


@dataclass(frozen=True)
class PostedForm:
    """A submitted form's fields (first value of each, stripped) and whether its token held."""

    fields: Mapping[str, str]
    genuine: bool

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()


async def posted_form(request: Request) -> PostedForm:
    """The form's text fields. A NUL character, which no keyboard types and no PostgreSQL text
    column stores, is dropped here once rather than refused by every page."""
    form = await request.form()
    fields: dict[str, str] = {}
    for raw_key, value in form.multi_items():
        key = raw_key.replace("\x00", "")
        if isinstance(value, str) and key not in fields:
            fields[key] = value.replace("\x00", "")
    return PostedForm(fields=fields, genuine=csrf.is_genuine(request, fields.get(csrf.TOKEN_FIELD)))


FormDep = Annotated[PostedForm, Depends(posted_form)]


def render(
    request: Request, template: str, page: PortalPage, visit: Visit, status_code: int = 200
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, template, {"page": page}, status_code=status_code
    )
    visit.token.apply(response)
    return response


def message(
    request: Request,
    visit: Visit,
    *,
    status_code: int,
    heading: str,
    text: str,
    next_href: str = "/",
    next_label: str = "Go to the home page",
) -> HTMLResponse:
    page = MessagePage(
        frame=visit.frame(title=heading),
        heading=heading,
        message=text,
        next_href=next_href,
        next_label=next_label,
    )
    return render(request, "portal/message.html", page, visit, status_code=status_code)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no `//host`), so sign-in is no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)


def gate(request: Request, visit: Visit, *roles: Role) -> Response | None:
    """None when the visitor may use the page; else the sign-in redirect or a 403 page."""
    if visit.actor.user_id is None or visit.visitor is None:
        return login_redirect(request)
    if roles and visit.actor.role not in roles:
        allowed = " or ".join(sorted(role.value.replace("_", " ") for role in roles))
        return message(
            request,
            visit,
            status_code=403,
            heading="Not available to your account",
            text=f"This page is for {allowed} accounts.",
        )
    return None


def gate_form(request: Request, visit: Visit, form: PostedForm, *roles: Role) -> Response | None:
    """`gate` for a POST: also None only when the form carries this visit's CSRF token."""
    denied = gate(request, visit, *roles)
    if denied is not None:
        return denied
    return None if form.genuine else refuse_forgery(request, visit)


def refuse_forgery(request: Request, visit: Visit) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=403,
        heading="Please try again",
        text=(
            "This form could not be checked: it may be old, or sent from another site. "
            "Go back, reload the page and send it again."
        ),
        next_href=request.url.path,
        next_label="Reload the form",
    )
