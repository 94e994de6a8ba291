"""/docs that works offline: Swagger UI from the installed `swagger-ui-bundle` package, served
by this site, instead of FastAPI's default page, which loads it from a CDN (blank on a
machine without internet, and a third party's script on a clinic's site).

The page is FastAPI's own (`get_swagger_ui_html`) pointed at the packaged files under
`/docs/assets/`. Its one inline start-up script is allowed by its SHA-256 hash in the page's
own Content-Security-Policy, so the policy still forbids every other inline script and every
other origin (the security-headers middleware keeps a route's own policy).

The packaged Swagger UI (4.15) reads OpenAPI 3.0 only, and FastAPI writes 3.1. So the page
reads `/docs/openapi-3.0.json`: the same document with the few 3.1 spellings it uses written
the 3.0 way (`nullable` for a `null` type, one `example` for `examples`, `enum` for `const`).
`/openapi.json` stays the 3.1 document that clients and the schema tests read.

Usage::

    app = FastAPI(docs_url=None, redoc_url=None)
    install_api_docs(app)
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import swagger_ui_bundle  # type: ignore[import-untyped]  # the package ships no types
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
OPENAPI_30_PATH = "/docs/openapi-3.0.json"
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: str) -> list[str]:
    """CSP source expressions for each inline script, exactly as the browser hashes them."""
    return [
        "'sha256-"
        + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: str) -> str:
    """The docs page's Content-Security-Policy: this site only, plus its own start-up script.
    Swagger UI sets element styles as it draws, hence inline styles (they cannot run code)."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {' '.join(_script_hashes(html))}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "object-src 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _as_openapi_30(node: Any) -> Any:
    """One schema node (and everything under it) in OpenAPI 3.0's spelling."""
    if isinstance(node, list):
        return [_as_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_openapi_30(value) for key, value in node.items()}
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            out["nullable"] = True
            if len(rest) == 1 and isinstance(rest[0], dict) and "$ref" not in rest[0]:
                del out[key]
                out = {**rest[0], **out}
            elif len(rest) == 1:
                del out[key]
                out["allOf"] = rest
            else:
                out[key] = rest
    if isinstance(out.get("type"), list):
        kinds = [kind for kind in out["type"] if kind != "null"]
        if len(kinds) < len(out["type"]):
            out["nullable"] = True
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    examples = out.get("examples")
    if isinstance(examples, list):
        del out["examples"]
        if examples:
            out["example"] = examples[0]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document in 3.0's spelling, for the packaged Swagger UI only."""
    converted: dict[str, Any] = _as_openapi_30(document)
    converted["openapi"] = "3.0.3"
    converted.pop("jsonSchemaDialect", None)
    converted.pop("webhooks", None)
    return converted


def install_api_docs(app: FastAPI) -> None:
    """Serve the packaged Swagger UI and the /docs page that uses it."""
    app.mount(ASSETS_PATH, StaticFiles(directory=SWAGGER_UI_DIR), name="swagger_ui_assets")

    @app.get(OPENAPI_30_PATH, include_in_schema=False)
    async def openapi_for_swagger_ui() -> JSONResponse:
        return JSONResponse(openapi_30(app.openapi()))

    page = get_swagger_ui_html(
        openapi_url=OPENAPI_30_PATH,
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
    )
    html = bytes(page.body).decode("utf-8")
    policy = docs_policy(html)

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})
