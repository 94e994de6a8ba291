"""Sign in, register and sign out for the web pages, with a page-session cookie.

The cookie holds a random token whose SHA-256 is stored (the accounts service issues and
revokes it); it is HttpOnly and SameSite=Lax, and Secure when `PLEXCARE_SECURE_COOKIES` is
set. Registration is for patients only; staff accounts are made by an administrator. Every
form carries the CSRF token (see `plexcare.portal.csrf`).

Neither form tells a visitor whether an e-mail address has an account: sign-in says "not
right" for a wrong password and an unknown address alike and is throttled the same way for
both (`accounts.service.sign_in`), and registration always ends on the sign-in page with the
same notice, without signing in, whether it created an account or found one already there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from plexcare.accounts import service as accounts
from plexcare.accounts.models import User
from plexcare.accounts.schemas import REGISTRATION_RECEIVED, PatientRegistration
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.portal.layout import PortalPage, home_for
from plexcare.portal.rendering import (
    FormDep,
    VisitDep,
    login_redirect,
    refuse_forgery,
    render,
    safe_next,
)
from plexcare.web.dependencies import SESSION_COOKIE, DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DEFAULT_AFTER_SIGN_IN = "/me"
"""Where a new patient account goes after its first sign-in; signing in otherwise lands on the
role's own home (`layout.ROLE_HOMES`) unless the visitor came from a page of this site."""


@dataclass(frozen=True, kw_only=True)
class LoginPage(PortalPage):
    email: str = ""
    next: str = ""
    notice: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RegisterPage(PortalPage):
    email: str = ""
    full_name: str = ""
    phone: str = ""
    next: str = DEFAULT_AFTER_SIGN_IN
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SignOutPage(PortalPage):
    pass


def _start_session(response: Response, *, session: DbSession, user: User, now: Now) -> None:
    settings = get_settings()
    raw, _token = accounts.issue_token(
        session=session,
        user=user,
        kind="session",
        now=now,
        lifetime=timedelta(days=settings.session_days),
    )
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


@router.get("/login", name="login_page")
def login_page(
    request: Request, visit: VisitDep, next: str = "", registered: bool = False
) -> HTMLResponse:
    page = LoginPage(
        frame=visit.frame(title="Sign in", current="/login"),
        next=safe_next(next, ""),
        notice=REGISTRATION_RECEIVED if registered else "",
    )
    return render(request, "accounts/login.html", page, visit)


WRONG_CREDENTIALS = "The e-mail address or the password is not right."


def _throttled_message(retry_after_seconds: int) -> str:
    minutes = -(-retry_after_seconds // 60)
    return (
        "Too many sign-in attempts have failed. Please wait "
        f"{minutes} minute{'s' if minutes != 1 else ''} and try again, "
        "or call the clinic if you cannot sign in."
    )


@router.post("/login")
def sign_in(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    if not form.genuine:
        return refuse_forgery(request, visit)
    email, password = form.get("email"), form.fields.get("password", "")
    target = safe_next(form.get("next"), "")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    user = None
    retry_after = 0
    if not errors:
        try:
            user = accounts.sign_in(
                session=session,
                email=email,
                password=password,
                client_ip=visit.actor.client_ip,
                now=now,
            )
        except accounts.SignInThrottled as error:
            retry_after = error.retry_after_seconds
            errors["password"] = _throttled_message(retry_after)
        except ServiceError:
            errors["password"] = WRONG_CREDENTIALS
    if user is None:
        session.commit()  # the failure counts towards the throttle, and is audited
        page = LoginPage(
            frame=visit.frame(title="Sign in", current="/login"),
            email=email,
            next=target,
            errors=errors,
        )
        if retry_after:
            refused = render(request, "accounts/login.html", page, visit, status_code=429)
            refused.headers["Retry-After"] = str(retry_after)
            return refused
        return render(request, "accounts/login.html", page, visit, status_code=400)
    response = RedirectResponse(target or home_for(user.role), status_code=303)
    _start_session(response, session=session, user=user, now=now)
    session.commit()
    return response


@router.get("/register", name="register_page")
def register_page(request: Request, visit: VisitDep, next: str = "") -> HTMLResponse:
    page = RegisterPage(
        frame=visit.frame(title="Create an account", current="/register"),
        next=safe_next(next, DEFAULT_AFTER_SIGN_IN),
    )
    return render(request, "accounts/register.html", page, visit)


REGISTRATION_MESSAGES = {
    "email": "Enter an e-mail address like name@example.org.",
    "password": "Choose a password of at least 10 characters.",
    "full_name": "Enter your name.",
    "phone": "Enter a phone number of at most 32 characters, or leave it empty.",
}


@router.post("/register")
def register(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    if not form.genuine:
        return refuse_forgery(request, visit)
    values = {"email": form.get("email"), "full_name": form.get("full_name")}
    phone = form.get("phone")
    target = safe_next(form.get("next"), DEFAULT_AFTER_SIGN_IN)
    errors: dict[str, str] = {}
    registration = None
    try:
        registration = PatientRegistration(
            **values, password=form.fields.get("password", ""), phone=phone or None
        )
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "email"
            errors.setdefault(name, REGISTRATION_MESSAGES.get(name, str(problem["msg"])))
    if form.fields.get("password", "") != form.fields.get("password_again", ""):
        errors.setdefault("password_again", "The two passwords are not the same.")
    if registration is not None and not errors:
        try:
            accounts.register_patient(
                session=session,
                email=str(registration.email),
                password=registration.password,
                full_name=registration.full_name,
                client_ip=visit.actor.client_ip,
                now=now,
                phone=registration.phone,
            )
        except ServiceError as error:
            errors[error.field or "email"] = error.detail
        else:
            session.commit()
            query = urlencode({"next": target, "registered": "1"})
            return RedirectResponse(f"/login?{query}", status_code=303)
    page = RegisterPage(
        frame=visit.frame(title="Create an account", current="/register"),
        email=values["email"],
        full_name=values["full_name"],
        phone=phone,
        next=target,
        errors=errors,
    )
    return render(request, "accounts/register.html", page, visit, status_code=422)


@router.get("/home", name="own_home")
def own_home(request: Request, visit: VisitDep) -> Response:
    """The "My pages" link of a page that does not know who is signed in: their role's home."""
    if visit.visitor is None:
        return login_redirect(request)
    return RedirectResponse(home_for(visit.visitor.role), status_code=303)


@router.get("/logout", name="logout_page")
def sign_out_page(request: Request, visit: VisitDep) -> HTMLResponse:
    """A page with the sign-out button: signing out changes state, so it is a POST."""
    page = SignOutPage(frame=visit.frame(title="Sign out", current="/logout"))
    return render(request, "accounts/logout.html", page, visit)


@router.post("/logout")
def sign_out(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    if not form.genuine:
        return refuse_forgery(request, visit)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        accounts.revoke_token(session=session, raw_token=raw, now=now)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
