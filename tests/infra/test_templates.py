"""The cloud templates lint clean, and moto gets the same resources from them.

infra/shared-stack.yaml and services/*/resources.yaml are the single list of
the stage's resources: cfn-lint checks them as the cloud will see them, and
infra/local/provision.py deploys them to moto for the local runtime and the
tests. These tests pin both halves, including the event routing
(bus -> rule -> queue) the services depend on.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # infra/ is not an installed package
    sys.path.insert(0, str(ROOT))

from infra.local.provision import (  # noqa: E402
    SHARED_TEMPLATE,
    load_template,
    local_template,
    provision,
)

REGION = "us-east-1"
STAGE = "test"
SERVICE_TEMPLATES = sorted(ROOT.glob("services/*/resources.yaml"))
GROUPS = {"admin", "manager", "sales_rep", "support_agent", "marketer", "viewer"}
TENANCY_ATTRIBUTES = {"custom:tenant_id", "custom:user_id", "custom:team_ids"}
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


# ----------------------------------------------------------------- fixtures


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, with fake credentials so that nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    with mock_aws():
        yield


@pytest.fixture
def provisioned(aws: None) -> dict[str, Any]:
    return provision(STAGE, ["platform"], None, REGION)


def _client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)


# ----------------------------------------------------------------- templates


def test_templates_are_plain_yaml_without_moto_traps() -> None:
    assert any(path.parent.name == "platform" for path in SERVICE_TEMPLATES)
    for path in [SHARED_TEMPLATE, *SERVICE_TEMPLATES]:
        template = load_template(path)  # fails on a short-form tag such as !Sub
        for lid, resource in template["Resources"].items():
            bus_name = resource.get("Properties", {}).get("EventBusName")
            # moto cannot deploy `EventBusName: {Ref: Bus}`: name the bus as a string.
            assert not (isinstance(bus_name, dict) and "Ref" in bus_name), f"{path}: {lid}"


def test_cfn_lint_reports_no_errors(tmp_path: Path) -> None:
    paths = [SHARED_TEMPLATE]
    for path in SERVICE_TEMPLATES:
        text = path.read_text(encoding="utf-8")
        template = load_template(path)
        fragments = [lid for lid, res in template["Resources"].items() if "Type" not in res]
        if ("Globals" in template and "Transform" not in template) or fragments:
            # A service's resources.yaml is a `chalice package --merge-template`
            # fragment: the Transform comes from Chalice's generated template, but
            # cfn-lint refuses a Globals section without it (E3724). Lint a copy
            # with the Transform appended, which is what the merged template has;
            # appending keeps the line numbers of the findings those of the file.
            # Its Type-less entries patch generated resources (E3001 on their own):
            # they are blanked out here and linted merged, in test_package.py.
            text = _blank_resources(text, fragments)
            copy = tmp_path / f"{path.parent.name}-resources.yaml"
            copy.write_text(f"{text.rstrip()}\nTransform: {SAM_TRANSFORM}\n", encoding="utf-8")
            paths.append(copy)
        else:
            paths.append(path)

    # cfn-lint 1.x has no `python -m cfnlint` (no __main__ module): call the
    # console script's entry point on this interpreter, so the venv's cfn-lint runs.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; main()",
            "--",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Exit code is a bit mask: 1 = cfn-lint failed, 2 = errors, 4 = warnings, 8 = info.
    assert result.returncode & 0b11 == 0, result.stdout + result.stderr


def _blank_resources(text: str, names: list[str]) -> str:
    """Blank the lines of the top-level resources ``names``, keeping every line number."""
    lines = text.splitlines()
    section, blanking = "", False
    for index, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if line.strip() and not line.lstrip().startswith("#") and indent <= 2:
            if indent == 0:
                section = line.split(":", 1)[0]
            blanking = section == "Resources" and indent == 2 and line.strip()[:-1] in names
        if blanking:
            lines[index] = ""
    return "\n".join(lines) + "\n"


def test_user_pool_client_cannot_write_tenancy_attributes() -> None:
    """A user who could write custom:tenant_id could move themselves to another tenant."""
    resources = load_template(SHARED_TEMPLATE)["Resources"]
    clients = [r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolClient"]
    assert clients
    for client in clients:
        properties = client["Properties"]
        assert "WriteAttributes" in properties  # absent means "all attributes"
        assert not TENANCY_ATTRIBUTES & set(properties["WriteAttributes"])
        assert set(properties["ReadAttributes"]) >= TENANCY_ATTRIBUTES


def test_local_template_drops_what_moto_does_not_deploy() -> None:
    template = {
        "Transform": SAM_TRANSFORM,
        "Globals": {"Function": {"Timeout": 30}},
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Merge": {"Properties": {"Events": {}}},  # a Chalice merge fragment
            "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
            "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {}},
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
            "UsesFn": {
                "Type": "AWS::Events::Rule",
                "DependsOn": ["Table"],
                "Properties": {"Targets": [{"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}]},
            },
            "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": ["Pool", "Table"]},
        },
        "Outputs": {
            "TableName": {"Value": {"Ref": "Table"}},
            "PoolId": {"Value": {"Ref": "Pool"}},
            "PoolUrl": {"Value": {"Fn::Sub": "https://idp/${Pool}"}},
        },
    }
    local = local_template(template)
    assert "Transform" not in local
    assert "Globals" not in local
    assert set(local["Resources"]) == {"Table", "Queue"}
    assert local["Resources"]["Queue"]["DependsOn"] == ["Table"]
    assert set(local["Outputs"]) == {"TableName"}
    assert "Fn" in template["Resources"]  # the input is left alone


# ----------------------------------------------------------------- provision


def test_provision_creates_the_table(provisioned: dict[str, Any]) -> None:
    platform = provisioned["services"]["platform"]
    assert platform["table_name"] == "crm-test-platform"
    dynamodb = _client("dynamodb")
    table = dynamodb.describe_table(TableName="crm-test-platform")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "PK": "HASH",
        "SK": "RANGE",
    }
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"GSI1", "GSI2", "GSI3", "DUE", "TENANT"}
    for name, index in indexes.items():
        # TENANT (offboarding's per-tenant index) needs the keys only
        assert index["Projection"]["ProjectionType"] == ("KEYS_ONLY" if name == "TENANT"
                                                         else "ALL")
        assert [k["AttributeName"] for k in index["KeySchema"]] == [f"{name}PK", f"{name}SK"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert table["LatestStreamArn"] == platform["table_stream_arn"]
    ttl = dynamodb.describe_time_to_live(TableName="crm-test-platform")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName="crm-test-platform")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_provision_creates_the_queue_with_its_dlq(provisioned: dict[str, Any]) -> None:
    platform = provisioned["services"]["platform"]
    sqs = _client("sqs")
    assert platform["queue_url"].endswith("/crm-test-platform-events")
    assert platform["dlq_url"].endswith("/crm-test-platform-events-dlq")
    queue = sqs.get_queue_attributes(QueueUrl=platform["queue_url"], AttributeNames=["All"])
    dlq = sqs.get_queue_attributes(QueueUrl=platform["dlq_url"], AttributeNames=["All"])
    assert queue["Attributes"]["QueueArn"] == platform["queue_arn"]
    assert queue["Attributes"]["VisibilityTimeout"] == "60"
    redrive = json.loads(queue["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["Attributes"]["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert dlq["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_provision_creates_the_bus_and_the_rules(provisioned: dict[str, Any]) -> None:
    assert provisioned["bus_name"] == "crm-test"
    events = _client("events")
    assert events.describe_event_bus(Name="crm-test")["Name"] == "crm-test"
    archives = events.list_archives(NamePrefix="crm-test-archive")["Archives"]
    assert [a["RetentionDays"] for a in archives] == [30]
    rule = events.describe_rule(Name="crm-test-platform-TenantProvisioned", EventBusName="crm-test")
    assert json.loads(rule["EventPattern"]) == {
        "source": ["crm.platform"],
        "detail-type": ["TenantProvisioned"],
    }
    targets = events.list_targets_by_rule(
        Rule="crm-test-platform-TenantProvisioned", EventBusName="crm-test"
    )["Targets"]
    assert [t["Arn"] for t in targets] == [provisioned["services"]["platform"]["queue_arn"]]


def test_provision_creates_the_user_pool(provisioned: dict[str, Any]) -> None:
    cognito = _client("cognito-idp")
    pool_id = provisioned["user_pool_id"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == "crm-test-users"
    attributes = {a["Name"]: a for a in pool["SchemaAttributes"]}
    assert set(attributes) >= TENANCY_ATTRIBUTES
    assert attributes["custom:team_ids"]["StringAttributeConstraints"]["MaxLength"] == "2048"
    assert "UsernameAttributes" not in pool
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["DeletionProtection"] == "INACTIVE"  # ACTIVE only in prod

    client = cognito.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=provisioned["user_pool_client_id"]
    )["UserPoolClient"]
    assert client["ClientName"] == "crm-test-web"
    assert "ClientSecret" not in client
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert not TENANCY_ATTRIBUTES & set(client["WriteAttributes"])

    groups = cognito.list_groups(UserPoolId=pool_id)["Groups"]
    assert {g["GroupName"] for g in groups} == GROUPS
    assert all(g.get("Description") and "Precedence" in g for g in groups)


def test_shared_stack_exports_exist_locally_too(provisioned: dict[str, Any]) -> None:
    """Service stacks may Fn::ImportValue them, locally as in the cloud."""
    exports = {e["Name"]: e["Value"] for e in _client("cloudformation").list_exports()["Exports"]}
    assert exports["crm-test-BusName"] == "crm-test"
    assert exports["crm-test-BusArn"].endswith(":event-bus/crm-test")
    assert exports["crm-test-UserPoolId"] == provisioned["user_pool_id"]
    assert exports["crm-test-UserPoolArn"].endswith(f"/{provisioned['user_pool_id']}")
    assert exports["crm-test-UserPoolClientId"] == provisioned["user_pool_client_id"]


def test_a_user_logs_in_and_gets_tenancy_claims(provisioned: dict[str, Any]) -> None:
    """The login of architecture.md §8 works on the pool: password, new password, ID token."""
    cognito = _client("cognito-idp")
    pool_id, client_id = provisioned["user_pool_id"], provisioned["user_pool_client_id"]
    username = "ada@example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temporary-Passw0rd!",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": username},
            {"Name": "custom:tenant_id", "Value": "ten_01J00000000000000000000000"},
            {"Name": "custom:user_id", "Value": "usr_01J00000000000000000000000"},
        ],
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="admin")
    challenge = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Temporary-Passw0rd!"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    tokens = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": "A-Much-Better-Passw0rd!"},
    )["AuthenticationResult"]
    payload = tokens["IdToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["custom:tenant_id"] == "ten_01J00000000000000000000000"
    assert claims["cognito:groups"] == ["admin"]
    assert claims["aud"] == client_id


def test_events_reach_the_queue_of_their_subscribers_only(provisioned: dict[str, Any]) -> None:
    events, sqs = _client("events"), _client("sqs")
    queue_url = provisioned["services"]["platform"]["queue_url"]
    detail = json.dumps({"metadata": {"event_id": "evt_1"}, "data": {}})
    sent = events.put_events(
        Entries=[
            {
                "EventBusName": "crm-test",
                "Source": "crm.elsewhere",  # a source no platform rule names: must not arrive
                "DetailType": "UserInvited",
                "Detail": detail,
            },
            {
                "EventBusName": "crm-test",
                "Source": "crm.platform",
                "DetailType": "TenantProvisioned",
                "Detail": detail,
            },
        ]
    )
    assert sent["FailedEntryCount"] == 0
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    for message in received.get("Messages", []):  # the session's tests share this queue
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    bodies = [json.loads(m["Body"]) for m in received.get("Messages", [])]
    # once, although the platform also takes the rest of crm.platform through a source rule
    assert [(b["source"], b["detail-type"]) for b in bodies] == [
        ("crm.platform", "TenantProvisioned")
    ]
    assert bodies[0]["detail"] == json.loads(detail)


def test_provision_is_idempotent(provisioned: dict[str, Any]) -> None:
    again = provision(STAGE, ["platform", "no-such-service"], None, REGION)
    assert again == provisioned
    cognito = _client("cognito-idp")
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert [p["Id"] for p in pools] == [provisioned["user_pool_id"]]
    clients = cognito.list_user_pool_clients(UserPoolId=provisioned["user_pool_id"])
    assert len(clients["UserPoolClients"]) == 1
