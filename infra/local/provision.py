"""Create the stage's AWS resources on moto, from the cloud templates themselves.

The local runtime (``make run``, against a moto server) and the test suites
(moto in-process) need the same bus, table, queues, rules and user pool that the
cloud gets. They are created here from ``infra/shared-stack.yaml`` and each
``services/<svc>/resources.yaml`` (architecture.md §8: "created from those
templates, not from a second list"), so a template change reaches local runs and
tests without a second edit.

moto's CloudFormation deploys most of a template. What it cannot or need not
deploy is handled here, still from the template:

- ``AWS::Cognito::*`` is silently skipped by moto: :func:`create_cognito` builds
  the pool, its app client and groups with the cognito-idp API from the
  template's properties.
- moto accepts but ignores a table's ``TimeToLiveSpecification`` and
  ``PointInTimeRecoverySpecification``: they are applied with the DynamoDB API
  after the stack exists.
- functions, APIs and the SAM ``Globals`` are the Chalice apps themselves, which
  the local runtime hosts: :func:`local_template` drops them.

Run it by hand with ``python infra/local/provision.py --endpoint-url URL [svc ...]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

log = logging.getLogger(__name__)

#: Derived from this file, never from the current directory, so that the
#: runtime, the tests and a shell anywhere in the tree find the same templates.
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_TEMPLATE = REPO_ROOT / "infra" / "shared-stack.yaml"
SERVICES_DIR = REPO_ROOT / "services"
SERVICE_TEMPLATE_NAME = "resources.yaml"

#: Resource types the local stacks leave out. Functions and APIs are the Chalice
#: apps the local runtime hosts; Cognito is created by create_cognito() because
#: moto's CloudFormation silently skips it.
DROPPED_TYPE_PREFIXES: tuple[str, ...] = (
    "AWS::Serverless::",
    "AWS::Lambda::",
    "AWS::ApiGateway",  # also AWS::ApiGatewayV2::
    "AWS::Cognito::",
)
#: moto has no CloudFormation model for queue policies (it would warn and skip
#: them) and does not enforce them on EventBridge -> SQS delivery anyway.
# moto has no CloudFormation for these; the local runtime needs neither (moto enforces no
# queue policy, and run.py hands every service a signing secret of its own).
DROPPED_TYPES: frozenset[str] = frozenset({"AWS::SQS::QueuePolicy", "AWS::SecretsManager::Secret",
                                          # nor for these (no enforced policies; no SES
                                          # receiving: the local bucket is fed directly)
                                          "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy",
                                          "AWS::SES::ReceiptRuleSet", "AWS::SES::ReceiptRule"})

#: Stack states whose resources all exist, so that the stack can be reused.
_USABLE_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})
_STACK_TIMEOUT_SECONDS = 120.0
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")

#: CloudFormation property -> cognito-idp API parameter, where the names differ.
#: Every other property passes through under its own name if the API has it.
_COGNITO_OPERATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "AWS::Cognito::UserPool": ("CreateUserPool", {"UserPoolName": "PoolName"}),
    "AWS::Cognito::UserPoolClient": ("CreateUserPoolClient", {}),
    "AWS::Cognito::UserPoolGroup": ("CreateGroup", {}),
}


class ProvisionError(RuntimeError):
    """A stack or resource could not be created; the message says which and why."""


# --------------------------------------------------------------------- templates


def load_template(path: str | Path) -> dict[str, Any]:
    """Read a CloudFormation template written without YAML short-form tags.

    The templates use ``Fn::Sub:`` / ``Ref:`` long forms precisely so that a plain
    ``yaml.safe_load`` reads them, with no custom loader to keep in sync.
    """
    with Path(path).open(encoding="utf-8") as handle:
        template = yaml.safe_load(handle)
    if not isinstance(template, dict):
        raise ProvisionError(f"{path}: not a CloudFormation template (top level is not a mapping)")
    return template


def local_template(template: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``template`` holding only what moto's CloudFormation should deploy.

    Dropped: resources without a ``Type`` (Chalice ``--merge-template`` fragments
    that patch generated functions), the types in :data:`DROPPED_TYPE_PREFIXES`
    and :data:`DROPPED_TYPES`, any resource whose properties reference a dropped
    one (it could not be created without it), ``DependsOn`` entries naming a
    dropped resource, the SAM ``Globals`` and the ``Transform`` (moto has no SAM
    transform), and Outputs that reference a dropped resource.
    """
    result = copy.deepcopy(template)
    result.pop("Globals", None)
    result.pop("Transform", None)
    resources: dict[str, Any] = result.get("Resources") or {}

    dropped = {lid for lid, res in resources.items() if not _deployable(res)}
    changed = True
    while changed:  # a resource built on a dropped one goes too, transitively
        changed = False
        for lid, res in resources.items():
            if lid not in dropped and _references(_without_depends_on(res)) & dropped:
                dropped.add(lid)
                changed = True

    kept: dict[str, Any] = {}
    for lid, res in resources.items():
        if lid in dropped:
            continue
        depends_on = res.get("DependsOn")
        if depends_on is not None:
            names = [depends_on] if isinstance(depends_on, str) else list(depends_on)
            names = [name for name in names if name not in dropped]
            if names:
                res["DependsOn"] = names
            else:
                del res["DependsOn"]
        kept[lid] = res
    result["Resources"] = kept

    outputs = {
        key: value
        for key, value in (result.get("Outputs") or {}).items()
        if not _references(value) & dropped
    }
    if outputs:
        result["Outputs"] = outputs
    else:
        result.pop("Outputs", None)
    return result


def _deployable(resource: Any) -> bool:
    if not isinstance(resource, dict):
        return False
    resource_type = resource.get("Type")
    if not isinstance(resource_type, str):
        return False
    return resource_type not in DROPPED_TYPES and not resource_type.startswith(
        DROPPED_TYPE_PREFIXES
    )


def _without_depends_on(resource: Any) -> Any:
    if isinstance(resource, dict):
        return {key: value for key, value in resource.items() if key != "DependsOn"}
    return resource


def _references(node: Any) -> set[str]:
    """Logical ids (and parameters) that ``node`` names through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item)
    elif isinstance(node, dict):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" and isinstance(value, str):
                return {value}
            if key == "Fn::GetAtt":
                if isinstance(value, str):
                    return {value.split(".", 1)[0]}
                if isinstance(value, list) and value and isinstance(value[0], str):
                    return {value[0]} | _references(value[1:])
            if key == "Fn::Sub":
                if isinstance(value, str):
                    return _sub_names(value)
                if isinstance(value, list) and value and isinstance(value[0], str):
                    local = value[1] if len(value) > 1 and isinstance(value[1], dict) else {}
                    return (_sub_names(value[0]) - set(local)) | _references(local)
        for item in node.values():
            found |= _references(item)
    return found


def _sub_names(text: str) -> set[str]:
    return {match.split(".", 1)[0] for match in _SUB_VARIABLE.findall(text)}


# ------------------------------------------------------- a tiny intrinsic resolver

_NO_VALUE = object()


class _Resolver:
    """Resolves the few intrinsics a template's Cognito and table properties use.

    Enough for this repository's templates (Ref, Fn::Sub, Fn::GetAtt of created
    resources, Fn::If with Fn::Equals/Not/And/Or conditions, Fn::Join,
    AWS::NoValue); anything else raises, rather than passing an unresolved
    mapping on to an API.
    """

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any], region: str):
        self.names: dict[str, Any] = {
            name: spec.get("Default")
            for name, spec in (template.get("Parameters") or {}).items()
            if isinstance(spec, dict) and "Default" in spec
        }
        self.names.update(parameters)
        self.names.update({"AWS::Region": region, "AWS::Partition": "aws"})
        self.attributes: dict[str, Any] = {}
        self._conditions: Mapping[str, Any] = template.get("Conditions") or {}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            values = [self.resolve(item) for item in node]
            return [value for value in values if value is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return _NO_VALUE if value == "AWS::NoValue" else self._lookup(str(value))
            if key == "Fn::Sub":
                return self._sub(value)
            if key == "Fn::GetAtt":
                name = value if isinstance(value, str) else ".".join(str(v) for v in value)
                return self._lookup(name)
            if key == "Fn::If":
                condition, if_true, if_false = value
                return self.resolve(if_true if self.condition(condition) else if_false)
            if key == "Fn::Join":
                separator, items = value
                return str(separator).join(str(item) for item in self.resolve(items))
            if key.startswith("Fn::"):
                raise ProvisionError(f"unsupported intrinsic {key} in {node!r}")
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise ProvisionError(f"unknown condition {name!r}")
        return self._truth(self._conditions[name])

    def _truth(self, expression: Any) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, value),) = expression.items()
            if key == "Fn::Equals":
                left, right = value
                return str(self.resolve(left)) == str(self.resolve(right))
            if key == "Fn::Not":
                return not self._truth(value[0])
            if key == "Fn::And":
                return all(self._truth(item) for item in value)
            if key == "Fn::Or":
                return any(self._truth(item) for item in value)
            if key == "Condition":
                return self.condition(value)
        raise ProvisionError(f"unsupported condition expression {expression!r}")

    def _lookup(self, name: str) -> Any:
        if name in self.names:
            return self.names[name]
        if name in self.attributes:
            return self.attributes[name]
        raise ProvisionError(f"cannot resolve {name!r} locally")

    def _sub(self, value: Any) -> str:
        if isinstance(value, list):
            text, local = value[0], {k: self.resolve(v) for k, v in value[1].items()}
        else:
            text, local = value, {}

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            return str(local[inner] if inner in local else self._lookup(inner))

        return re.sub(r"\$\{([^}]*)\}", replace, str(text))


# --------------------------------------------------------------------- Cognito


def create_cognito(cognito_client: Any, template: dict[str, Any], stage: str) -> dict[str, str]:
    """Create the template's user pool, app client(s) and groups with the cognito-idp API.

    moto's CloudFormation silently skips ``AWS::Cognito::*``, so the properties
    declared in the (full, not local) template are resolved for ``stage``, renamed
    where the API's parameter name differs (``UserPoolName`` -> ``PoolName``) and
    passed through when the API has the parameter; the others are logged and
    skipped. Idempotent: a pool, client or group that already exists under its
    name is reused, never duplicated (a restarted runtime keeps its users).

    Returns ``{"user_pool_id", "user_pool_client_id", "user_pool_arn"}``; the
    client id is the first app client the template declares.
    """
    identity, _ = _create_cognito(cognito_client, template, stage)
    return identity


def _create_cognito(
    cognito_client: Any, template: dict[str, Any], stage: str
) -> tuple[dict[str, str], _Resolver]:
    """create_cognito(), also returning the resolver that now knows the created ids."""
    resources: dict[str, Any] = template.get("Resources") or {}
    resolver = _Resolver(template, {"Stage": stage}, cognito_client.meta.region_name)

    def declared(resource_type: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for lid, res in resources.items():
            if not isinstance(res, dict) or res.get("Type") != resource_type:
                continue
            condition = res.get("Condition")
            if condition is None or resolver.condition(condition):
                found.append((lid, res))
        return found

    pools = declared("AWS::Cognito::UserPool")
    if len(pools) != 1:
        raise ProvisionError(f"expected exactly one AWS::Cognito::UserPool, found {len(pools)}")
    pool_lid, pool_res = pools[0]
    pool_params = _cognito_params(cognito_client, "AWS::Cognito::UserPool", pool_res, resolver)
    pool_name = pool_params["PoolName"]
    pool_id = _find_user_pool(cognito_client, pool_name)
    if pool_id is None:
        pool = cognito_client.create_user_pool(**pool_params)["UserPool"]
        log.info("created user pool %s (%s)", pool_name, pool["Id"])
    else:
        pool = cognito_client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        log.info("reusing user pool %s (%s)", pool_name, pool_id)
    resolver.names[pool_lid] = pool["Id"]
    resolver.attributes[f"{pool_lid}.Arn"] = pool["Arn"]
    resolver.attributes[f"{pool_lid}.UserPoolId"] = pool["Id"]

    client_ids: list[str] = []
    for client_lid, client_res in declared("AWS::Cognito::UserPoolClient"):
        params = _cognito_params(
            cognito_client, "AWS::Cognito::UserPoolClient", client_res, resolver
        )
        client_id = _find_user_pool_client(cognito_client, pool["Id"], params["ClientName"])
        if client_id is None:
            created = cognito_client.create_user_pool_client(**params)["UserPoolClient"]
            client_id = created["ClientId"]
        resolver.names[client_lid] = client_id
        client_ids.append(client_id)
    if not client_ids:
        raise ProvisionError("the template declares no AWS::Cognito::UserPoolClient")

    existing_groups = {
        group["GroupName"]
        for page in cognito_client.get_paginator("list_groups").paginate(UserPoolId=pool["Id"])
        for group in page.get("Groups", [])
    }
    for _, group_res in declared("AWS::Cognito::UserPoolGroup"):
        params = _cognito_params(cognito_client, "AWS::Cognito::UserPoolGroup", group_res, resolver)
        if params["GroupName"] not in existing_groups:
            cognito_client.create_group(**params)
            existing_groups.add(params["GroupName"])

    identity = {
        "user_pool_id": pool["Id"],
        "user_pool_client_id": client_ids[0],
        "user_pool_arn": pool["Arn"],
    }
    return identity, resolver


def _resolved_outputs(
    template: dict[str, Any], local: dict[str, Any], resolver: _Resolver
) -> dict[str, Any]:
    """The template's Outputs that local_template() dropped, as literals where resolvable.

    The Cognito outputs (and their Exports, e.g. ``crm-<stage>-UserPoolId``) then
    exist locally as in the cloud, so a service stack may ``Fn::ImportValue`` them.
    """
    restored: dict[str, Any] = {}
    for key, output in (template.get("Outputs") or {}).items():
        if key in (local.get("Outputs") or {}):
            continue
        try:
            restored[key] = resolver.resolve(output)
        except ProvisionError:
            log.debug("output %s is not resolvable locally; left out", key)
    return restored


def _cognito_params(
    cognito_client: Any, resource_type: str, resource: dict[str, Any], resolver: _Resolver
) -> dict[str, Any]:
    operation, renames = _COGNITO_OPERATIONS[resource_type]
    accepted = cognito_client.meta.service_model.operation_model(operation).input_shape.members
    properties = resolver.resolve(resource.get("Properties") or {})
    params: dict[str, Any] = {}
    for key, value in properties.items():
        name = renames.get(key, key)
        if name in accepted:
            params[name] = value
        else:
            log.warning(
                "%s: cognito-idp %s has no parameter for %s; skipped locally",
                resource_type,
                operation,
                key,
            )
    return params


def _find_user_pool(cognito_client: Any, name: str) -> str | None:
    matches = [
        pool["Id"]
        for page in cognito_client.get_paginator("list_user_pools").paginate(MaxResults=60)
        for pool in page.get("UserPools", [])
        if pool.get("Name") == name
    ]
    if len(matches) > 1:
        log.warning("%d user pools are named %s; using %s", len(matches), name, matches[0])
    return matches[0] if matches else None


def _find_user_pool_client(cognito_client: Any, pool_id: str, name: str) -> str | None:
    paginator = cognito_client.get_paginator("list_user_pool_clients")
    for page in paginator.paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page.get("UserPoolClients", []):
            if client.get("ClientName") == name:
                return str(client["ClientId"])
    return None


# --------------------------------------------------------------------- stacks


def provision(
    stage: str, services: list[str], endpoint_url: str | None, region: str
) -> dict[str, Any]:
    """Deploy Cognito, the shared stack and each service's stack for ``stage``; idempotent.

    ``endpoint_url`` is the moto server's URL, or None for whatever boto3 reaches
    by default: use None only inside ``moto.mock_aws()``. Stacks are
    ``crm-<stage>-shared`` and ``crm-<stage>-<svc>``; one that exists already is
    reused as it is (not updated). Services without ``services/<svc>/resources.yaml``
    are skipped.

    Returns::

        {
            "region": region,
            "aws_endpoint_url": endpoint_url,
            "bus_name": "crm-<stage>",
            "user_pool_id": "...",
            "user_pool_client_id": "...",
            "services": {
                "<svc>": {  # the stack's Outputs, snake_cased
                    "table_name", "table_stream_arn", "queue_url", "queue_arn", "dlq_url"
                },
            },
        }
    """
    session = _session(endpoint_url, region)
    cloudformation = session.client("cloudformation", endpoint_url=endpoint_url)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    cognito = session.client("cognito-idp", endpoint_url=endpoint_url)

    # Cognito first: the local shared stack then carries its outputs and exports
    # as literals (moto's CloudFormation cannot create the pool itself).
    shared = load_template(SHARED_TEMPLATE)
    identity, cognito_names = _create_cognito(cognito, shared, stage)
    shared_local = local_template(shared)
    shared_local["Outputs"] = {
        **(shared_local.get("Outputs") or {}),
        **_resolved_outputs(shared, shared_local, cognito_names),
    }
    shared_outputs = _deploy_stack(cloudformation, f"crm-{stage}-shared", shared_local, stage)

    deployed: dict[str, dict[str, str]] = {}
    for service in services:
        if not _SERVICE_NAME.match(service):
            raise ProvisionError(f"not a service name: {service!r}")
        path = SERVICES_DIR / service / SERVICE_TEMPLATE_NAME
        if not path.is_file():
            log.info("services/%s has no %s; skipped", service, SERVICE_TEMPLATE_NAME)
            continue
        template = local_template(load_template(path))
        stack_name = f"crm-{stage}-{service}"
        outputs = _deploy_stack(cloudformation, stack_name, template, stage)
        _apply_table_settings(cloudformation, dynamodb, stack_name, template, stage)
        _apply_bucket_notifications(cloudformation, session.client(
            "s3", endpoint_url=endpoint_url), stack_name, template)
        deployed[service] = {_snake(key): value for key, value in outputs.items()}

    return {
        "region": region,
        "aws_endpoint_url": endpoint_url,
        "bus_name": shared_outputs["BusName"],
        "user_pool_id": identity["user_pool_id"],
        "user_pool_client_id": identity["user_pool_client_id"],
        "services": deployed,
    }


def _session(endpoint_url: str | None, region: str) -> boto3.session.Session:
    """A session for the endpoint; moto accepts any key, so a local one never needs a profile."""
    session = boto3.session.Session(region_name=region)
    if endpoint_url is not None and session.get_credentials() is None:
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=region
        )
    return session


def _deploy_stack(
    cloudformation: Any, stack_name: str, template: dict[str, Any], stage: str
) -> dict[str, str]:
    """Create the stack unless it exists; return its Outputs once it is usable."""
    stack = _describe_stack(cloudformation, stack_name)
    if stack is None:
        parameters = [
            {"ParameterKey": "Stage", "ParameterValue": stage}
            for name in (template.get("Parameters") or {})
            if name == "Stage"
        ]
        try:
            cloudformation.create_stack(
                StackName=stack_name, TemplateBody=json.dumps(template), Parameters=parameters
            )
        # moto raises a failing resource's error out of CreateStack itself, in a
        # body botocore cannot parse (ResponseParserError): report it either way.
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            raise ProvisionError(
                f"stack {stack_name}: create_stack failed: {exc}; events:\n"
                + _stack_events(cloudformation, stack_name)
            ) from exc
        stack = _wait_for_stack(cloudformation, stack_name)
        log.info("created stack %s", stack_name)
    else:
        log.info("reusing stack %s (%s)", stack_name, stack["StackStatus"])
    if stack["StackStatus"] not in _USABLE_STACK_STATES:
        raise ProvisionError(
            f"stack {stack_name} is {stack['StackStatus']}"
            f" ({stack.get('StackStatusReason', 'no reason given')}); events:\n"
            + _stack_events(cloudformation, stack_name)
        )
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _describe_stack(cloudformation: Any, stack_name: str) -> dict[str, Any] | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    live = [stack for stack in stacks if stack["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def _wait_for_stack(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    """Poll until the stack leaves *_IN_PROGRESS (moto is synchronous: one round)."""
    deadline = time.monotonic() + _STACK_TIMEOUT_SECONDS
    while True:
        stack = _describe_stack(cloudformation, stack_name)
        if stack is None:
            raise ProvisionError(f"stack {stack_name} vanished while being created")
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        if time.monotonic() > deadline:
            raise ProvisionError(
                f"stack {stack_name} still {stack['StackStatus']} after"
                f" {_STACK_TIMEOUT_SECONDS:.0f} s; events:\n"
                + _stack_events(cloudformation, stack_name)
            )
        time.sleep(0.5)


def _stack_events(cloudformation: Any, stack_name: str) -> str:
    try:
        events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    except (ClientError, BotoCoreError) as exc:
        return f"  (no events: {exc})"
    return "\n".join(
        f"  {event.get('LogicalResourceId')} {event.get('ResourceType')}"
        f" {event.get('ResourceStatus')} {event.get('ResourceStatusReason') or ''}".rstrip()
        for event in events
    )


def _apply_table_settings(
    cloudformation: Any, dynamodb: Any, stack_name: str, template: dict[str, Any], stage: str
) -> None:
    """Apply each table's TTL and PITR from the template: moto's CloudFormation ignores both."""
    resolver = _Resolver(template, {"Stage": stage}, dynamodb.meta.region_name)
    for lid, res in (template.get("Resources") or {}).items():
        if res.get("Type") != "AWS::DynamoDB::Table":
            continue
        properties = res.get("Properties") or {}
        table_name = cloudformation.describe_stack_resource(
            StackName=stack_name, LogicalResourceId=lid
        )["StackResourceDetail"]["PhysicalResourceId"]

        ttl = resolver.resolve(properties.get("TimeToLiveSpecification") or {})
        if _is_true(ttl.get("Enabled")):
            current = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                dynamodb.update_time_to_live(
                    TableName=table_name,
                    TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": True,
                    },
                )

        pitr = resolver.resolve(properties.get("PointInTimeRecoverySpecification") or {})
        if _is_true(pitr.get("PointInTimeRecoveryEnabled")):
            dynamodb.update_continuous_backups(
                TableName=table_name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )


def _apply_bucket_notifications(
    cloudformation: Any, s3: Any, stack_name: str, template: dict[str, Any]
) -> None:
    """Apply each bucket's topic notifications from the template: moto's CloudFormation
    ignores ``NotificationConfiguration``, but moto's S3 does publish to SNS once it is set
    through the API (so a local object under the prefix reaches the topic and its queue)."""

    def physical(lid: str) -> str:
        detail = cloudformation.describe_stack_resource(StackName=stack_name,
                                                        LogicalResourceId=lid)
        return str(detail["StackResourceDetail"]["PhysicalResourceId"])

    for lid, res in (template.get("Resources") or {}).items():
        if res.get("Type") != "AWS::S3::Bucket":
            continue
        topics = ((res.get("Properties") or {}).get("NotificationConfiguration") or {}).get(
            "TopicConfigurations") or []
        configurations = []
        for topic in topics:
            ref = topic.get("Topic") or {}
            if not (isinstance(ref, dict) and isinstance(ref.get("Ref"), str)):
                raise ProvisionError(f"{lid}: a notification topic must be a Ref locally")
            rules = ((topic.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            entry: dict[str, Any] = {"TopicArn": physical(ref["Ref"]), "Events": [topic["Event"]]}
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": [
                    {"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            configurations.append(entry)
        if configurations:
            s3.put_bucket_notification_configuration(
                Bucket=physical(lid),
                NotificationConfiguration={"TopicConfigurations": configurations})


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _snake(name: str) -> str:
    """``TableStreamArn`` -> ``table_stream_arn``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def available_services() -> list[str]:
    """Service folders that declare resources, in name order."""
    return sorted(path.parent.name for path in SERVICES_DIR.glob(f"*/{SERVICE_TEMPLATE_NAME}"))


def main(argv: Iterable[str] | None = None) -> None:
    """Provision a running moto server by hand and print what provision() returns."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("services", nargs="*", help="default: every service with resources")
    parser.add_argument("--stage", default="local")
    parser.add_argument(
        "--endpoint-url", required=True, help="the moto server, e.g. http://127.0.0.1:5000"
    )
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(None if argv is None else list(argv))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = provision(
        args.stage, args.services or available_services(), args.endpoint_url, args.region
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
