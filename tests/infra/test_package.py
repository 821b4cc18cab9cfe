"""`make package` builds a Lambda zip and a template the cloud will accept as intended.

One real packaging run per session (Chalice downloads manylinux wheels from PyPI), then
checks of what it wrote: the zip's contents, cfn-lint, and the merge fragments of
services/platform/resources.yaml landing where docs/architecture.md §10 says they must.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.package import TEMPLATE_NAME, ZIP_NAME, cfn_lint

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m infra.package platform dev` into a temporary folder, once."""
    out = tmp_path_factory.mktemp("package") / "platform" / "dev"
    result = subprocess.run(
        [sys.executable, "-m", "infra.package", "platform", "dev", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def names(built: Path) -> list[str]:
    with zipfile.ZipFile(built / ZIP_NAME) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def resources(built: Path) -> dict[str, Any]:
    template = yaml.safe_load((built / TEMPLATE_NAME).read_text(encoding="utf-8"))
    return dict(template["Resources"])


def test_zip_holds_the_app_the_shared_package_and_linux_wheels(names: list[str]) -> None:
    assert "app.py" in names
    assert any(name.startswith("chalicelib/") for name in names)
    assert "crm_shared/__init__.py" in names
    # pydantic_core is compiled: the zip must carry the manylinux build Lambda can load.
    assert any(
        name.startswith("pydantic_core/_pydantic_core.") and name.endswith("-linux-gnu.so")
        for name in names
    ), [name for name in names if name.startswith("pydantic_core/")]


def test_zip_ships_bytecode_for_every_module(names: list[str]) -> None:
    """Lambda cannot write __pycache__: without these, every cold start compiles."""
    tag = sys.implementation.cache_tag
    for module in ("app.py", "chalicelib/api.py", "crm_shared/http.py", "pydantic/main.py"):
        folder, _, stem = module.rpartition("/")
        pyc = f"{folder + '/' if folder else ''}__pycache__/{stem[:-3]}.{tag}.pyc"
        assert pyc in names, module


def test_packaging_leaves_no_vendor_or_cache_behind(built: Path) -> None:
    service = ROOT / "services" / "platform"
    assert not (service / "vendor").exists()
    assert not (service / ".chalice" / "deployments").exists()


def test_template_lints_clean(built: Path) -> None:
    result = cfn_lint([built / TEMPLATE_NAME])
    assert not result.has_errors, result.output


def test_every_resource_has_a_type(resources: dict[str, Any]) -> None:
    """A merge fragment that missed its generated resource would have none."""
    assert all("Type" in resource for resource in resources.values())


def test_sqs_consumer_reports_partial_batch_failures(resources: dict[str, Any]) -> None:
    function = resources["HandleEvents"]["Properties"]
    source = function["Events"]["HandleEventsSqsEventSource"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Properties"]["BatchSize"] == 10
    # The queue of this stack, by reference (not a stage name baked in at package time).
    assert source["Properties"]["Queue"] == {"Fn::Sub": "${EventsQueue.Arn}"}
    assert function["Role"] == {"Fn::GetAtt": ["HandleEventsRole", "Arn"]}


def test_outbox_relay_reads_the_tables_stream_from_the_start(resources: dict[str, Any]) -> None:
    function = resources["PublishOutbox"]["Properties"]
    source = function["Events"]["PublishOutboxDynamodbEventSource"]
    assert source["Type"] == "DynamoDB"
    properties = source["Properties"]
    assert properties["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert function["Role"] == {"Fn::GetAtt": ["PublishOutboxRole", "Arn"]}


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in role["Properties"]["Policies"]
            for s in policy["PolicyDocument"]["Statement"]]


def _actions(role: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in _statements(role):
        action = statement["Action"]
        found |= {action} if isinstance(action, str) else set(action)
    return found


def test_roles_are_least_privilege(resources: dict[str, Any]) -> None:
    api = resources["DefaultRole"]
    consumer = resources["HandleEventsRole"]
    relay = resources["PublishOutboxRole"]
    for role in (api, consumer, relay):
        for statement in _statements(role):
            assert statement["Resource"] != "*", statement
            assert not any(a.endswith(":*") for a in _actions(role))
        assert "dynamodb:Scan" not in _actions(role)
    assert any(a.startswith("cognito-idp:Admin") for a in _actions(api))
    assert not any(a.startswith(("sqs:", "events:")) for a in _actions(api))
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= _actions(consumer)
    assert not any(a.startswith(("cognito-idp:", "events:")) for a in _actions(consumer))
    assert {"events:PutEvents", "dynamodb:GetRecords"} <= _actions(relay)
    assert not any(a.startswith(("cognito-idp:", "sqs:")) for a in _actions(relay))
    assert resources["APIHandler"]["Properties"]["Role"] == {"Fn::GetAtt": ["DefaultRole", "Arn"]}
    digest = resources["NotificationDigestsRole"]
    assert "dynamodb:Scan" not in _actions(digest)
    assert all(statement["Resource"] != "*" for statement in _statements(digest))
    assert not any(a.startswith(("cognito-idp:", "events:")) or a.endswith(":*")
                   for a in _actions(digest))


def _queues_messages(role: dict[str, Any]) -> bool:
    """The role may put commands on marketing's transactional messages queue."""
    return any("sqs:SendMessage" in ({s["Action"]} if isinstance(s["Action"], str)
                                     else set(s["Action"]))
               and "crm-${Stage}-marketing-messages" in str(s["Resource"])
               for s in _statements(role))


def test_exactly_the_functions_that_send_messages_may_queue_them(
        resources: dict[str, Any]) -> None:
    """crm_shared.messaging's callers in the platform: workflow actions (the event
    consumer) and the daily digest (a schedule, with a role of its own, not the API's)."""
    assert resources["NotificationDigests"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["NotificationDigestsRole", "Arn"]}
    roles = {name: r for name, r in resources.items() if r.get("Type") == "AWS::IAM::Role"}
    assert {name for name, role in roles.items() if _queues_messages(role)} == {
        "HandleEventsRole", "NotificationDigestsRole"}


def test_gateway_responses_are_problem_json(resources: dict[str, Any]) -> None:
    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    expected = {
        "MISSING_AUTHENTICATION_TOKEN": ("404", "no_route"),
        "REQUEST_TOO_LARGE": ("413", "payload_too_large"),
        "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type"),
        "DEFAULT_4XX": (None, "bad_request"),
        "DEFAULT_5XX": (None, "internal_error"),
    }
    for response_type, (status, code) in expected.items():
        response = responses[response_type]
        assert response.get("statusCode") == status, response_type
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        template = response["responseTemplates"]["application/json"]
        assert f'"type":"https://crm.dev/problems/{code}"' in template
        assert f'"code":"{code}"' in template and '"errors":[]' in template
    no_route = responses["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"]
    assert '"status":404' in no_route and '"title":"Not found"' in no_route


def test_api_role_allows_every_cognito_call_the_service_makes(resources: dict[str, Any]) -> None:
    """A new `admin_*` call without its IAM action would work locally and fail in the cloud."""
    calls: set[str] = set()
    for path in (ROOT / "services" / "platform" / "chalicelib").rglob("*.py"):
        calls |= set(re.findall(r"\.(admin_[a-z_]+)\(", path.read_text(encoding="utf-8")))
    assert calls, "the platform calls no Cognito admin API any more: update this test"
    needed = {"cognito-idp:" + "".join(w.title() for w in call.split("_")) for call in calls}
    assert needed <= _actions(resources["DefaultRole"])


def test_every_function_skips_pydantic_plugin_discovery(resources: dict[str, Any]) -> None:
    """We ship no pydantic plugin: without the switch, the first model of every cold start
    reads the entry points of every distribution in the zip looking for one."""
    functions = {name: r["Properties"] for name, r in resources.items()
                 if r["Type"] == "AWS::Serverless::Function"}
    assert functions
    for name, function in functions.items():
        variables = function["Environment"]["Variables"]
        assert variables.get("PYDANTIC_DISABLE_PLUGINS") == "__all__", name
