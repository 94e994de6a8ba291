"""Every `/fhir` answer in FHIR's own shape: resources as `application/fhir+json`, searches
as `searchset` Bundles, and every error, 4xx input problems included, as an OperationOutcome
naming the element at fault.

The JSON API answers errors as problem+json through app-wide handlers; a FHIR client cannot
read those, so the `/fhir` routes use `FhirRoute`, which turns the same service errors into
OperationOutcomes before the app-wide handlers see them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, IntegrityError

from plexcare.errors import ServiceError
from plexcare.fhir.case_import import BundleError
from plexcare.fhir.conformance import NotConformant

FHIR_JSON = "application/fhir+json"
_log = logging.getLogger(__name__)
ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    422: "invalid",
    429: "throttled",
}


FIELD_PATHS = {
    "starts_at": "Appointment.start",
    "patient_id": "Appointment.participant",
    "clinician_id": "Appointment.participant",
    "appointment_type_id": "Appointment.serviceType",
}
"""The scheduling service names its inputs as the JSON API does; a FHIR client reads where in
the Appointment it sent the value was at fault."""


class FhirResponse(Response):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def operation_outcome(
    status: int, issues: Sequence[tuple[str, str | None]], *, severity: str = "error"
) -> dict[str, Any]:
    """An OperationOutcome with one issue per (message, FHIRPath location)."""
    code = ISSUE_CODE.get(status, "exception" if status >= 500 else "processing")
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": severity,
                "code": code,
                "diagnostics": message,
                **({"expression": [where]} if where else {}),
            }
            for message, where in issues
        ],
    }


def outcome_response(
    status: int, issues: Sequence[tuple[str, str | None]], headers: Mapping[str, str] | None = None
) -> FhirResponse:
    return FhirResponse(
        operation_outcome(status, issues), status_code=status, headers=dict(headers or {})
    )


def _field_path(location: Sequence[Any]) -> str:
    return ".".join(
        str(part) for part in location if part not in ("body", "query", "path", "header")
    )


def outcome_for(error: Exception) -> FhirResponse | None:
    """The OperationOutcome answering `error`, or None for an error that is a bug."""
    if isinstance(error, ServiceError):
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        where = FIELD_PATHS.get(error.field, error.field) if error.field else None
        return outcome_response(error.status, [(error.detail, where)], headers)
    if isinstance(error, RequestValidationError):
        issues = [
            (f"{detail.get('msg', 'invalid')}", _field_path(detail.get("loc", ())) or None)
            for detail in error.errors()
        ]
        return outcome_response(422, issues or [("invalid request", None)])
    if isinstance(error, NotConformant):
        return outcome_response(
            422, [(problem.message, problem.location) for problem in error.problems]
        )
    if isinstance(error, BundleError):
        return outcome_response(422, [(error.message, error.location)])
    if isinstance(error, IntegrityError):
        return outcome_response(409, [("that conflicts with a record already there", None)])
    if isinstance(error, DataError):
        return outcome_response(422, [("a value is out of range for the database", None)])
    return None


class FhirRoute(APIRoute):
    """A route whose errors are OperationOutcomes (FastAPI's documented custom-route hook)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:
                response = outcome_for(error)
                if response is None:
                    _log.exception("unexpected error on %s", request.url.path)
                    return outcome_response(
                        500, [("the server failed; the error was logged", None)]
                    )
                return response

        return answer


def fhir_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


SERVED = ("Patient", "Practitioner", "Schedule", "Slot", "Appointment")


def _full_url(base: str, resource: dict[str, Any]) -> str | None:
    """Where an entry lives: our address for what `/fhir` serves; otherwise (a case's
    observations in `$everything`) the `urn:uuid` its fellow resources refer to it by."""
    if resource["resourceType"] in SERVED:
        return f"{base}/{resource['resourceType']}/{resource['id']}"
    if "id" in resource:
        return f"urn:uuid:{resource['id']}"
    return None


def _entry(base: str, resource: dict[str, Any]) -> dict[str, Any]:
    mode = "outcome" if resource["resourceType"] == "OperationOutcome" else "match"
    entry: dict[str, Any] = {"resource": resource, "search": {"mode": mode}}
    address = _full_url(base, resource)
    if address is not None:
        entry["fullUrl"] = address
    return entry


def searchset(
    request: Request, resources: list[dict[str, Any]], total: int | None = None
) -> FhirResponse:
    """A search answer: a `searchset` Bundle of full resources with their addresses."""
    base = fhir_base(request)
    return FhirResponse(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources) if total is None else total,
            "link": [{"relation": "self", "url": str(request.url)}],
            "entry": [_entry(base, r) for r in resources],
        }
    )
