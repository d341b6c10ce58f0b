import re

import schemathesis
from conftest import OPERATOR_KEY
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


def test_the_openapi_document_describes_every_endpoint_with_its_security(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/v1/vendors/{vendor_id}/stock" in spec["paths"]
    stock = spec["paths"]["/v1/vendors/{vendor_id}/stock"]["post"]
    assert stock["security"] and {"401", "403", "429", "503"} <= set(stock["responses"])
    assert "security" not in spec["paths"]["/v1/search"]["get"]
    assert {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]} >= {"q", "lat", "sort", "open_now"}


def test_the_docs_are_served_without_a_cdn(client):
    page = client.get("/docs").get_data(as_text=True)
    assert not re.search(r"(src|href)=\"https?://", page)
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/static/../../app.py").status_code == 404


def test_no_request_gets_a_5xx_or_a_response_outside_the_schema(app):
    """schemathesis against /openapi.json, as the operator: every endpoint is reached past authentication
    (the authorization matrix tests the refusals)."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(operation.as_strategy())
        @settings(
            max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def conforms(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        conforms()
        checked += 1
    assert checked >= 25  # every operation of the document
