"""Every error as RFC 9457 `application/problem+json`, naming the field at fault.

Installed once on the app, so no route can answer an error in another shape, and an
unexpected exception becomes a plain 500 problem without a traceback in the body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plexcare.errors import ServiceError

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service unavailable",
}
_log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    """`("body", "email")` → `email`; `("query", "limit")` → `limit`; nested → `a.b.0`."""
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _field_name(tuple(item.get("loc", ()))), "message": str(item.get("msg", ""))}
        for item in error.errors()
    ]
    fields = ", ".join(dict.fromkeys(item["field"] for item in errors))
    return problem(422, f"invalid value for: {fields}", instance=request.url.path, errors=errors)


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    errors = [{"field": error.field, "message": error.detail}] if error.field else None
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return problem(
        error.status, error.detail, instance=request.url.path, errors=errors, headers=headers
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem(
        error.status_code,
        str(error.detail),
        instance=request.url.path,
        headers=dict(error.headers) if error.headers else None,
    )


async def _integrity_error(request: Request, error: Exception) -> JSONResponse:
    """A constraint the database enforces (an overlapping booking, a duplicate) is a conflict."""
    return problem(409, "this conflicts with an existing record", instance=request.url.path)


async def _database_busy(request: Request, error: Exception) -> JSONResponse:
    _log.warning("database unavailable: %s", error)
    return problem(
        503,
        "the database is busy; retry shortly",
        instance=request.url.path,
        headers={"Retry-After": "1"},
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    _log.exception("unexpected error on %s", request.url.path)
    return JSONResponse(
        {"type": "about:blank", "title": "Internal error", "status": 500},
        status_code=500,
        media_type=PROBLEM_JSON,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
