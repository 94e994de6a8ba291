"""The OpenAPI document tells the truth: every error as problem+json with the shared Problem
schema, the statuses each route can answer, instants with their offsets and wall-clock times
without one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plexcare.app import create_app
from plexcare.web.openapi import install_openapi
from tests.conftest_db import SmallClinic

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
NUMERIC_OFFSET = re.compile(r"[+-][0-9]{2}:[0-9]{2}$")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document as `create_app` serves it (it installs the corrections itself)."""
    return create_app().openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def schema_nodes(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(schema_nodes(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(schema_nodes(value))
    return found


def test_every_error_is_documented_as_a_problem(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert response["content"] == PROBLEM, f"{method} {path} {code}"
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["required"] == ["title", "status"]


def test_each_route_documents_the_errors_it_can_answer(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        codes = set(operation["responses"])
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= codes, f"{method} {path}"
        if operation.get("parameters"):
            assert "422" in codes, f"{method} {path}"
        if "{" in path:
            assert "404" in codes, f"{method} {path}"
    paths = document["paths"]
    assert {"401", "403", "404", "409"} <= set(paths["/api/v1/holds"]["post"]["responses"])
    assert {"401", "429"} <= set(paths["/api/v1/auth/token"]["post"]["responses"])
    assert set(paths["/api/v1/clinicians"]["get"]["responses"]) == {"200", "422", "503"}
    taken = paths["/api/v1/appointments"]["post"]["responses"]["409"]
    assert taken["description"] == "the slot is taken", "a route's own words are kept"


def test_instants_carry_offsets_and_wall_clock_times_none(document: dict[str, Any]) -> None:
    nodes = schema_nodes(document["components"]["schemas"])
    instants = [node for node in nodes if node.get("format") == "date-time"]
    assert instants
    for node in instants:
        assert node["examples"], node
        assert all(re.search(r"(Z|[+-][0-9]{2}:[0-9]{2})$", ex) for ex in node["examples"])
    assert not [node for node in nodes if node.get("format") == "time"]
    starts = document["components"]["schemas"]["WeeklyWindowOut"]["properties"]["starts"]
    assert re.fullmatch(starts["pattern"], "09:00:00")
    local = document["components"]["schemas"]["SlotOut"]["properties"]["local_start"]
    assert local["pattern"] == NUMERIC_OFFSET.pattern


def test_a_download_is_documented_as_a_file_not_json(document: dict[str, Any]) -> None:
    download = document["paths"]["/api/v1/second-opinions/{request_id}/files/{file_id}"]["get"]
    assert "application/json" not in download["responses"]["200"]["content"]


def test_installing_twice_changes_nothing() -> None:
    app = create_app()
    once = app.openapi()
    install_openapi(app)
    assert isinstance(app, FastAPI)
    assert app.openapi() is once


def test_local_start_always_shows_a_numeric_offset_even_in_winter(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    slots = client.get(
        "/api/v1/slots",
        params={"specialty": "neurology", "from_date": "2026-03-03", "to_date": "2026-03-03"},
    )
    assert slots.status_code == 200, slots.text
    first = slots.json()["items"][0]
    assert first["local_start"].endswith("+00:00")
    assert first["starts_at"].endswith("Z")
