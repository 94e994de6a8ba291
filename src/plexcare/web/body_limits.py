"""Request bodies over the limit are refused with 413 before anyone reads them.

Runs in front of everything, authentication included, so an anonymous caller cannot make the
server buffer a 100 MB JSON document (it used to: 174 → 754 MB). A declared Content-Length over
the limit is refused without reading a byte; a body streamed without one (or with one that
lies) is counted chunk by chunk and refused the moment it passes the limit, whatever the app
was doing with it.

The limit follows the content type: URL-encoded forms get `max_form_bytes`, multipart uploads
the upload route's `upload_max_bytes` plus room for the other fields (the route checks each
file itself), and anything else, JSON above all, `max_json_bytes`.

Why not FastAPI's own `max_body_size`: it is one limit for every content type, and it answers
in plain text where every other error here is problem+json.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plexcare.web.problems import problem

MULTIPART_ALLOWANCE_BYTES = 64 * 1024
"""Room in a multipart body for the text fields, part headers and boundaries around a file."""


@dataclass(frozen=True)
class BodyLimits:
    """The largest body, in bytes, accepted for each kind of content."""

    json_bytes: int
    form_bytes: int
    multipart_bytes: int

    def for_content_type(self, content_type: str) -> tuple[int, str]:
        """The limit for a body of `content_type`, and the kind of body in words."""
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type == "multipart/form-data":
            return self.multipart_bytes, "an upload"
        if media_type == "application/x-www-form-urlencoded":
            return self.form_bytes, "a form"
        return self.json_bytes, "a request body"


class BodyTooLarge(HTTPException):
    """Raised into the app when a streamed body passes its limit (413 to anyone who asks)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="the request body is too large")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if limit >= 1024:
        return f"{limit // 1024} KB"
    return f"{limit} bytes"


def _refusal(scope: Scope, limit: int, kind: str) -> Response:
    return problem(
        413,
        f"{kind} may be at most {_size(limit)}",
        instance=scope.get("path"),
        # The rest of the body is never read, so the connection cannot carry another request.
        headers={"Connection": "close"},
    )


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.strip().isdecimal() else None


class BodyLimitMiddleware:
    """Pure ASGI middleware enforcing `BodyLimits` on every HTTP request."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit, kind = self.limits.for_content_type(headers.get("content-type", ""))
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            await _refusal(scope, limit, kind)(scope, receive, send)
            return

        received = 0
        refused = False
        answered = False

        async def receive_within_limit() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge()
            return message

        async def send_unless_refused(message: Message) -> None:
            # Whatever the app makes of the refusal (a 400 for an unreadable body, its own
            # error page), the caller gets the one 413 below.
            nonlocal answered
            if refused and not answered:
                return
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, receive_within_limit, send_unless_refused)
        except Exception:
            if not refused or answered:
                raise
        if refused and not answered:
            await _refusal(scope, limit, kind)(scope, receive, send)
