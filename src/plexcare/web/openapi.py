"""The OpenAPI document as the API behaves, not as FastAPI guesses.

FastAPI documents a 422 in a shape this API never answers and no other error at all. Here
the generated document is corrected once, from what each route depends on, so no route has to
list its errors by hand and a new route is documented by the same rules:

- every error is `application/problem+json` with the shared `Problem` schema (`problems.py`);
- 401 and 403 where the route asks who is calling; 404 where it names a record (a path
  parameter, an id in the query or the body); 409 where it changes stored data; 400 and 413
  where it reads a body (one it cannot decode, one too large); 422 where it takes any input;
  401 and 429 for sign-in; 503 where it uses the database (a busy database answers 503 with
  Retry-After); and any status the route declares itself;
- a route that answers a raw `Response` (a download) is documented as a file of the type its
  `Content-Type` gives, unless it lists its media types itself;
- instants (`format: date-time`) carry an example with its offset, and wall-clock times
  (`format: time`, which JSON Schema defines as carrying an offset) are documented as the
  clinic's local `HH:MM[:SS]` they are.

A route's own `responses=` entry keeps its description and gains the problem content.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, get_type_hints

from fastapi import FastAPI, params, routing
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from plexcare.web.dependencies import current_actor, get_session
from plexcare.web.problems import PROBLEM_JSON, TITLES, Problem

INSTALLED = "plexcare_truthful"
PROBLEM_REF = "#/components/schemas/Problem"
ERROR_DESCRIPTIONS = {
    400: "The body could not be read (not UTF-8, a broken form or upload).",
    401: "No, an invalid or an expired bearer token: sign in first.",
    403: "Your role may not do this.",
    404: "No such record, or none that you may see.",
    409: "This conflicts with the stored state (a slot already taken, a duplicate).",
    413: "The body is larger than the server reads.",
    422: "An input is invalid; `errors` names each field at fault.",
    429: "Too many requests; retry after the `Retry-After` seconds.",
    503: "The database is busy; retry after the `Retry-After` seconds.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}
SIGN_IN = frozenset({("post", "/api/v1/auth/token"), ("post", "/api/v1/auth/session")})
"""Sign-in answers 401 to a wrong password, and is throttled per account and per address
(`accounts.login_throttle`) with 429."""
FASTAPI_422 = "Validation Error"
"""FastAPI's own description of the 422 it documents, replaced by ours."""
UNSAFE = frozenset({"post", "put", "patch", "delete"})
INSTANT_EXAMPLE = "2026-12-01T09:00:00Z"
WALL_CLOCK = {
    "type": "string",
    "pattern": r"^[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "description": "the clinic's wall-clock time of day (see `time_zone`), with no offset",
    "examples": ["09:00:00"],
}


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    """The route's own parameters and every dependency's, however deep."""
    yield dependant
    for dependency in dependant.dependencies:
        yield from _tree(dependency)


def _names_a_record(param: Any) -> bool:
    """A path parameter, or an `..._id` in the query or anywhere in the body's model."""
    if isinstance(param.field_info, params.Path):
        return True
    if param.name.endswith("_id"):
        return True
    model = param.field_info.annotation
    return isinstance(model, type) and issubclass(model, BaseModel) and _has_id(model)


def _has_id(model: type[BaseModel], depth: int = 3) -> bool:
    for name, info in model.model_fields.items():
        if name.endswith("_id"):
            return True
        inner = info.annotation
        if (
            depth > 0
            and isinstance(inner, type)
            and issubclass(inner, BaseModel)
            and _has_id(inner, depth - 1)
        ):
            return True
    return False


def error_statuses(dependant: Dependant, method: str, path: str) -> set[int]:
    """The error statuses a route can answer, from what it depends on and what it reads."""
    nodes = list(_tree(dependant))
    calls = {node.call for node in nodes}
    in_path = [param for node in nodes for param in node.path_params]
    query = [param for node in nodes for param in node.query_params]
    body = [param for node in nodes for param in node.body_params]
    headers = [param for node in nodes for param in node.header_params]
    uses_database = get_session in calls
    inputs = [*in_path, *query, *headers, *body]
    names_a_record = any(_names_a_record(param) for param in [*in_path, *query, *body])
    statuses: set[int] = set()
    if current_actor in calls:
        statuses |= {401, 403}
    if uses_database:
        statuses.add(503)
        if names_a_record:
            statuses.add(404)
        if method in UNSAFE:
            statuses.add(409)
    if body:
        # FastAPI answers 400 to a body it cannot decode (not UTF-8, a broken multipart).
        statuses |= {400, 413}
    if inputs:
        statuses.add(422)
    if (method, path) in SIGN_IN:
        statuses |= {401, 429}
    return statuses


def _error_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    description = (declared or {}).get("description")
    if not description or description == FASTAPI_422:
        description = ERROR_DESCRIPTIONS.get(status, TITLES.get(status, "Error"))
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def _returns_raw_response(endpoint: Any) -> bool:
    """An endpoint annotated `-> Response` answers bytes of its own type (a download)."""
    try:
        returned = get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return False
    return (
        isinstance(returned, type)
        and issubclass(returned, Response)
        and not issubclass(returned, JSONResponse)
    )


def _document_any_file(responses: dict[str, Any]) -> None:
    """FastAPI documents a raw response as JSON of any shape; it is a file whose type the
    `Content-Type` header gives. A route that declares its media types keeps them."""
    for code, response in responses.items():
        content = response.get("content", {})
        if code.startswith("2") and content.get("application/json") == {"schema": {}}:
            del content["application/json"]
            if not content:
                content["*/*"] = {"schema": {"type": "string", "format": "binary"}}


def _walk_schemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_schemas(value)


def _document_times(schemas: dict[str, Any]) -> None:
    for node in _walk_schemas(schemas):
        if node.get("format") == "date-time" and node.get("type") == "string":
            node.setdefault("examples", [INSTANT_EXAMPLE])
            node.setdefault("description", "an instant in RFC 3339 form, with its UTC offset")
        elif node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            described = node.get("description")
            node.update(WALL_CLOCK)
            if described:
                node["description"] = described
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def truthful(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """`document` corrected in place by the rules above (and returned)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    for route in routing.iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        operations = document.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if _returns_raw_response(route.endpoint):
                _document_any_file(responses)
            declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            found = error_statuses(route.dependant, method.lower(), route.path_format or "")
            for status in sorted(declared | found):
                responses[str(status)] = _error_response(status, responses.get(str(status)))
    _document_times(schemas)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the corrected document at `/openapi.json` (built once, on first request).

    Installing twice is harmless: the second call sees the first and does nothing."""
    if getattr(app.openapi, INSTALLED, False):
        return
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(generate(), app.routes)
        return app.openapi_schema

    setattr(openapi, INSTALLED, True)
    app.openapi = openapi  # type: ignore[method-assign]
