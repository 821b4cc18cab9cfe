"""Every service documents every route in OpenAPI 3.1, from the models that validate it."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from crm_shared.openapi import document, merge
from tests.support.client import ApiClient
from tests.support.services import load_app, service_names

SERVICES = service_names()


@pytest.fixture(scope="module")
def documents(clients: dict[str, ApiClient]) -> dict[str, dict[str, Any]]:
    """Each service's document as its own public route serves it."""
    served = {}
    for service in SERVICES:
        reply = clients[service].get(f"/{service}/openapi.json")
        assert reply.status == 200, reply.json
        served[service] = reply.json
    return served


@pytest.mark.parametrize("service", SERVICES)
def test_the_served_document_is_valid_openapi_3_1(documents: dict[str, dict[str, Any]],
                                                  service: str) -> None:
    doc = documents[service]
    assert doc["openapi"].startswith("3.1")
    validate(doc)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_documents_its_request_and_response(service: str) -> None:
    """A route without models would be undocumented and unvalidated: refuse it here."""
    specs = load_app(service).app.crm_routes
    for spec in specs:
        where = f"{service}: {spec.method} {spec.path}"
        if spec.status != 204 and not 300 <= spec.status < 400 and spec.produces is None:
            assert spec.response is not None, f"{where} declares no response model"
        if spec.method in {"PUT", "PATCH"}:
            assert spec.body is not None, f"{where} declares no request body model"


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_lists_exactly_the_routes(documents: dict[str, dict[str, Any]],
                                               service: str) -> None:
    specs = load_app(service).app.crm_routes
    documented = {(path, method.upper()) for path, ops in documents[service]["paths"].items()
                  for method in ops}
    assert documented == {(s.path, s.method) for s in specs}


@pytest.mark.parametrize("service", SERVICES)
def test_operation_ids_are_unique(documents: dict[str, dict[str, Any]], service: str) -> None:
    ids = [op["operationId"] for ops in documents[service]["paths"].values()
           for op in ops.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_request_bodies_reject_unknown_fields_in_the_contract(
        documents: dict[str, dict[str, Any]]) -> None:
    """Payloads forbid extra fields; the schema says so, so clients and fuzzers know."""
    schemas = documents["platform"]["components"]["schemas"]
    assert schemas["InviteUser"].get("additionalProperties") is False


def test_the_merged_document_covers_every_service(documents: dict[str, dict[str, Any]]) -> None:
    merged = merge(documents.values())
    validate(merged)
    for doc in documents.values():
        assert set(doc["paths"]) <= set(merged["paths"])


def test_merge_keeps_two_different_components_of_one_name() -> None:
    def doc(service: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"info": {"title": f"CRM {service} API"},
                "paths": {f"/{service}": {"get": {"responses": {"200": {
                    "description": "ok", "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Thing"}}}}}}}},
                "components": {"schemas": {"Thing": schema}}}

    merged = merge([doc("a", {"type": "string"}), doc("b", {"type": "integer"})])
    assert merged["components"]["schemas"]["Thing"] == {"type": "string"}
    assert merged["components"]["schemas"]["b_Thing"] == {"type": "integer"}
    ref = merged["paths"]["/b"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"]["$ref"] == "#/components/schemas/b_Thing"


def test_a_document_can_be_built_without_serving(documents: dict[str, dict[str, Any]]) -> None:
    built = document("platform", load_app("platform").app.crm_routes)
    assert built["paths"] == documents["platform"]["paths"]
