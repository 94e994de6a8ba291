"""/docs works offline: Swagger UI from the installed package under /docs/assets, its start-up
script allowed by hash alone, and a 3.0 reading of the API for the packaged Swagger UI while
/openapi.json stays 3.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plexcare.app import create_app
from plexcare.web.api_docs import openapi_30


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_the_page_loads_swagger_ui_from_this_site(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert 'src="/docs/assets/swagger-ui-bundle.js"' in page.text
    assert "cdn" not in page.text.lower()
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_swagger_ui_reads_the_same_api_in_3_0_spelling(client: TestClient) -> None:
    original = client.get("/openapi.json").json()
    converted = client.get("/docs/openapi-3.0.json").json()
    assert original["openapi"].startswith("3.1")
    assert converted["openapi"] == "3.0.3"
    assert converted["paths"].keys() == original["paths"].keys()
    assert '{"type": "null"}' not in str(converted).replace("'", '"')


def test_null_types_examples_and_constants_are_written_the_3_0_way() -> None:
    document = {
        "openapi": "3.1.0",
        "components": {
            "schemas": {
                "A": {"anyOf": [{"type": "integer"}, {"type": "null"}], "examples": [3]},
                "B": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]},
                "C": {"const": "x", "type": ["string", "null"]},
            }
        },
    }
    schemas = openapi_30(document)["components"]["schemas"]
    assert schemas["A"] == {"type": "integer", "nullable": True, "example": 3}
    assert schemas["B"] == {"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": True}
    assert schemas["C"] == {"enum": ["x"], "type": "string", "nullable": True}
