"""Every error as RFC 9457 `application/problem+json`, naming the field at fault.

Installed once on the app, so no route can answer an error in another shape, and an
unexpected exception becomes a plain 500 problem without a traceback in the body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plexcare.errors import ServiceError

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service unavailable",
}
_log = logging.getLogger(__name__)
LARGEST_ID = 2**31 - 1
"""Ids live in PostgreSQL `integer` columns; a larger number can name no record."""


class FieldProblem(BaseModel):
    """One input at fault and what is wrong with it."""

    field: str = Field(
        description="the input by its dotted path in the body, or its query, path or header "
        "name; `body` when the body as a whole is unreadable",
        examples=["hours.0.ends"],
    )
    message: str = Field(examples=["must be after starts"])


class Problem(BaseModel):
    """An error as RFC 9457 problem details (`application/problem+json`): the shape of every
    error this API answers. The OpenAPI document takes its schema from here, and `problem()`
    builds every body through it, so the two cannot drift apart."""

    type: str = Field(default="about:blank", description="always `about:blank`: see `status`")
    title: str = Field(description="the status in words", examples=["Invalid input"])
    status: int = Field(ge=400, le=599, description="the HTTP status code, repeated")
    detail: str | None = Field(
        default=None,
        description="what went wrong, for a person (absent on a 500)",
        examples=["invalid value for: starts_at"],
    )
    instance: str | None = Field(
        default=None, description="the path that was asked for", examples=["/api/v1/holds"]
    )
    errors: list[FieldProblem] | None = Field(
        default=None, description="each input at fault, when the problem is with the input"
    )


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=instance,
        errors=[FieldProblem(**error) for error in errors] if errors else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_name(location: tuple[Any, ...], kind: str = "") -> str:
    """`("body", "email")` → `email`; `("query", "limit")` → `limit`; nested → `a.b.0`.

    A body that is not JSON at all is reported as `body`, not as the character position
    FastAPI puts in its location."""
    if kind == "json_invalid":
        return "body"
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            "field": _field_name(tuple(item.get("loc", ())), str(item.get("type", ""))),
            "message": str(item.get("msg", "")),
        }
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


def _unstorable(value: Any) -> str | None:
    """Why a value passed validation but no database column or calendar can take it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and "\x00" in value:
        return "contains a NUL character"
    number = value
    if isinstance(value, str) and value.lstrip("-").isdecimal():
        digits = value.lstrip("-").lstrip("0")
        number = int(value) if len(digits) <= 20 else LARGEST_ID + 1
    if isinstance(number, int) and abs(number) > LARGEST_ID:
        return f"is out of range (at most {LARGEST_ID})"
    if isinstance(value, str) and len(value) >= 10:
        try:
            year = date.fromisoformat(value[:10]).year
        except ValueError:
            return None
        if year <= 1 or year >= 9999:
            return "is a date too far from today"
    return None


def _walk(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value


async def _json_body(request: Request) -> Any:
    """The request's JSON body as FastAPI already read it (cached on the request)."""
    if "json" not in request.headers.get("content-type", ""):
        return None
    try:
        return await request.json()
    except (ValueError, RuntimeError):
        return None


async def _out_of_range(request: Request, error: Exception) -> JSONResponse:
    """A value that passed validation but cannot be stored or computed with: an id beyond any
    column (SQLite raises OverflowError, PostgreSQL a DataError), a date at the calendar's
    edge, a NUL character PostgreSQL refuses. Bad input, so a 422 naming the field."""
    values = {**request.path_params, **dict(request.query_params)}
    errors = [
        {"field": field, "message": f"{field} {reason}"}
        for field, value in [*values.items(), *_walk(await _json_body(request), "")]
        if (reason := _unstorable(value)) is not None
    ]
    _log.warning("out-of-range input on %s: %s", request.url.path, error)
    fields = ", ".join(dict.fromkeys(item["field"] for item in errors))
    detail = f"value out of range for: {fields}" if fields else "a value is out of range"
    return problem(422, detail, instance=request.url.path, errors=errors)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    _log.exception("unexpected error on %s", request.url.path)
    return JSONResponse(
        Problem(title="Internal error", status=500).model_dump(exclude_none=True),
        status_code=500,
        media_type=PROBLEM_JSON,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)
