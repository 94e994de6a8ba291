"""Security headers on every response, and `Secure` cookies whenever the request came over HTTPS.

The pages load only this site's own stylesheet, with no scripts at all, so the content security
policy allows nothing but this origin. Two exceptions, each for a reason:

- `style-src-attr 'unsafe-inline'`: the probability bars (`cases/_bar.html`) set their width
  in a `style` attribute. Attribute styles cannot run script. A browser older than CSP level 3
  (before 2022) ignores the exception and draws every bar full; the figure beside it is right.
- The API documentation (`/docs`, `/redoc`) is FastAPI's page built from Swagger UI and ReDoc
  on a CDN with an inline start-up script; those paths alone get `DOCS_POLICY`.

HTTPS is the connection's own scheme (a server terminating TLS itself), or X-Forwarded-Proto:
https from one of the `trusted_proxies`, as for X-Forwarded-For (`web/dependencies.py`); from
anyone else the header is ignored, or a client could claim HTTPS and pin HSTS on a plain-HTTP
site. `plexcare serve` keeps uvicorn from believing these headers itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv6Address, ip_address, ip_network

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "base-uri 'none'",
        "object-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {CDN}",
        f"style-src 'self' 'unsafe-inline' {CDN} https://fonts.googleapis.com",
        "font-src 'self' https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "object-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
ALWAYS = (
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    # Nothing (no patient's page address) leaves the site; unlike no-referrer, same-origin
    # form posts keep their Origin header.
    ("referrer-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("cross-origin-opener-policy", "same-origin"),
)
HSTS = ("strict-transport-security", "max-age=31536000")


class TrustedProxies:
    """The `trusted_proxies` setting: single addresses or networks (`10.0.0.0/8`)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = tuple(ip_network(entry.strip(), strict=False) for entry in entries)

    def __contains__(self, host: object) -> bool:
        if not self.networks or not isinstance(host, str):
            return False
        try:
            address = ip_address(host)
        except ValueError:
            return False
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def came_over_https(scope: Scope, proxies: TrustedProxies) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    client = scope.get("client")
    if client is None or client[0] not in proxies:
        return False
    return Headers(scope=scope).get("x-forwarded-proto", "").strip().lower() == "https"


def _with_secure_flag(cookie: bytes) -> bytes:
    attributes = {part.strip().lower() for part in cookie.split(b";")[1:]}
    return cookie if b"secure" in attributes else cookie + b"; Secure"


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: the headers above on every HTTP response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        proxies: TrustedProxies | None = None,
        secure_cookies: bool = False,
        docs_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.proxies = proxies or TrustedProxies(())
        self.secure_cookies = secure_cookies
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = came_over_https(scope, self.proxies)
        policy = DOCS_POLICY if scope.get("path") in self.docs_paths else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if https or self.secure_cookies:
                    message["headers"] = [
                        (name, _with_secure_flag(value))
                        if name.lower() == b"set-cookie"
                        else (name, value)
                        for name, value in message.get("headers", ())
                    ]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    # A route's own stricter policy (a downloaded file's sandbox) stands.
                    headers["content-security-policy"] = policy
                for name, value in ALWAYS:
                    headers[name] = value
                if https:
                    headers[HSTS[0]] = HSTS[1]
            await send(message)

        await self.app(scope, receive, send_with_headers)
