"""Cross-site request forgery protection for the HTML forms.

Every POST form carries a hidden `csrf_token`; the server recomputes it and refuses the post
when it does not match. The token is an HMAC, under the app's secret key, of the caller's
*session*: the page-session cookie once signed in, or before that a random "visit" cookie set
the first time a form is shown. Both cookies are HttpOnly and SameSite=Lax, so another site can
neither read them nor compute the token, and a planted cookie is useless without the secret.
Signing in or out changes the session, so a form rendered before that must be reloaded.
Nothing is stored on the server: the check is a recomputation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from plexcare.config import get_settings
from plexcare.web.dependencies import SESSION_COOKIE

VISIT_COOKIE = "plexcare_visit"
TOKEN_FIELD = "csrf_token"


def _token_for(binding: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"plexcare-csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def _binding(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(VISIT_COOKIE)


@dataclass(frozen=True)
class FormToken:
    """The token to embed in this response's forms, and a visit cookie to set if it is new."""

    value: str
    new_visit: str | None = None

    def apply(self, response: Response) -> None:
        if self.new_visit is not None:
            set_visit_cookie(response, self.new_visit)


def set_visit_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        VISIT_COOKIE,
        value,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )


def form_token(request: Request) -> FormToken:
    """The caller's token, starting a visit when they have neither a session nor a visit."""
    binding = _binding(request)
    if binding is not None:
        return FormToken(_token_for(binding))
    visit = secrets.token_urlsafe(32)
    return FormToken(_token_for(visit), new_visit=visit)


def is_genuine(request: Request, submitted: str | None) -> bool:
    """True when the submitted token belongs to this caller's session (constant-time check)."""
    binding = _binding(request)
    if binding is None or not submitted:
        return False
    return hmac.compare_digest(_token_for(binding), submitted)
