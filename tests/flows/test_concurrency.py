"""Racing requests: optimistic locking loses no update, an Idempotency-Key makes one entity.

Each thread runs the whole request pipeline (authentication, validation, idempotency, the
handler, DynamoDB) on a request of its own, as concurrent Lambda containers would; moto's
DynamoDB is atomic per call (infra/local/moto_patches.py), as DynamoDB is.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from crm_shared.http import feature_api
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

PATCHES = 50
RETRIES = 20


def dispatch(service: str, method: str, path: str, params: dict[str, str], body: Any,
             headers: dict[str, str]) -> tuple[int, Any]:
    """One request through the route's pipeline, without the shared Chalice app object
    (whose `current_request` is one per process, as it is one per Lambda container)."""
    from chalice.app import Request

    app = load_app(service).app
    for feature in app.crm_features:
        api = feature_api(feature)
        handler = api.handlers.get((path, method))
        if handler is not None:
            break
    else:
        raise AssertionError(f"no route {method} {path}")
    spec = next(s for s in api.routes if (s.path, s.method) == (path, method))
    concrete = path.format(**params)
    request = Request({
        "multiValueQueryStringParameters": None, "pathParameters": params,
        "headers": {"content-type": "application/json", **headers},
        "requestContext": {"httpMethod": method, "resourcePath": concrete},
        "body": json.dumps(body), "isBase64Encoded": False, "stageVariables": None,
    })
    response = api._dispatch(spec, handler, request, params)
    return response.status_code, json.loads(response.body)


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def test_parallel_patches_with_one_if_match_let_exactly_one_win(
        contacts: ApiClient, tenant: Tenant) -> None:
    made = contacts.post("/contacts", {"first_name": "Race", "last_name": unique("Condition ")},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    contact_id, etag = made.json["contact_id"], made.header("ETag")
    auth = {"authorization": f"Bearer {tenant.admin_token}", "if-match": str(etag)}

    def patch(n: int) -> tuple[int, Any]:
        return dispatch("contacts", "PATCH", "/contacts/{contact_id}",
                        {"contact_id": contact_id}, {"title": f"writer {n}"}, auth)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(patch, range(PATCHES)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 412: PATCHES - 1}, statuses
    winner = next(body for status, body in results if status == 200)
    stored = contacts.get(f"/contacts/{contact_id}", token=tenant.admin_token).json
    assert stored["title"] == winner["title"]
    assert stored["version"] == 2


def test_parallel_retries_of_one_post_create_one_entity(contacts: ApiClient,
                                                        tenant: Tenant) -> None:
    email = f"{unique('once')}@retries.example"
    body = {"first_name": "Once", "last_name": "Only", "emails": [{"address": email}]}
    headers = {"authorization": f"Bearer {tenant.admin_token}",
               "idempotency-key": unique("key-")}

    def post(_: int) -> tuple[int, Any]:
        return dispatch("contacts", "POST", "/contacts", {}, body, headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, range(RETRIES)))
    created = {b["contact_id"] for s, b in results if s == 201}
    in_progress = [b for s, b in results if s == 409]
    assert len(created) == 1, results
    assert all(b["code"] == "idempotency_in_progress" for b in in_progress), in_progress
    assert all(s in (201, 409) for s, _ in results)
    found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": email}]}]}, token=tenant.admin_token)
    assert found.status == 200, found.json
    assert [c["contact_id"] for c in found.json["items"]] == list(created)
