"""Deploy a stage's stacks: ``python -m infra.deploy <svc|shared|edge> <stage> ...``.

Order per stage: ``shared`` (bus, user pool; its exports feed the rest), then each
service (``make package`` first), then ``edge`` (it needs each service's API URL).

What runs is what ops would type with the AWS CLI, and ``--dry-run`` prints exactly
that, making no AWS call::

    aws cloudformation package --template-file build/<svc>/<stage>/sam.yaml ...
    aws cloudformation deploy --template-file build/<svc>/<stage>/packaged.yaml ...

Without ``--dry-run`` the same two steps run through boto3 (no AWS CLI is needed):
*package* uploads ``deployment.zip`` to ``$CRM_ARTIFACT_BUCKET`` and points every
function's ``CodeUri`` at it; *deploy* creates a change set, executes it and waits,
printing the failed resources' reasons if the stack does not complete.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import BotoCoreError, ClientError

from infra import edge
from infra.package import dump_template, has_aliases

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_TEMPLATE = REPO_ROOT / "infra" / "shared-stack.yaml"
BUCKET_VARIABLE = "CRM_ARTIFACT_BUCKET"
BUCKET_PLACEHOLDER = f"<{BUCKET_VARIABLE}>"
PACKAGED_TEMPLATE = "packaged.yaml"
SERVICE_TEMPLATES = ("sam.yaml", "sam.json")  # what `chalice package` writes
ZIP_NAME = "deployment.zip"
#: CloudFormation refuses a TemplateBody larger than this; bigger ones go through S3.
MAX_TEMPLATE_BODY = 51_200
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_TERMINAL_OK = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


class DeployError(RuntimeError):
    """The deploy cannot go on; the message says why and what to do."""


@dataclass
class Plan:
    """One stack deploy, described independently of how it is carried out."""

    target: str
    stage: str
    region: str
    stack_name: str
    template: Path
    parameters: dict[str, str]
    capabilities: list[str]
    bucket: str | None
    prefix: str
    #: For a service: the Chalice zip that `package` uploads and the template it writes.
    code_zip: Path | None = None
    packaged: Path | None = None
    #: Parameters whose value is read from another stack when the deploy runs (edge).
    from_stacks: dict[str, tuple[str, str]] = field(default_factory=dict)


# --------------------------------------------------------------------- planning


def plan(target: str, stage: str, build: Path | None, region: str, bucket: str | None) -> Plan:
    """Work out the stack, template, parameters and capabilities for ``target``."""
    if target == "shared":
        return _plan(target, stage, region, bucket, SHARED_TEMPLATE,
                     _capabilities(SHARED_TEMPLATE))
    if target == "edge":
        table = json.loads(edge.ROUTES_FILE.read_text(encoding="utf-8"))
        edge_plan = _plan(target, stage, region, bucket, edge.TEMPLATE_FILE,
                          _capabilities(edge.TEMPLATE_FILE))
        edge_plan.from_stacks = {
            edge.url_parameter(service): (f"crm-{stage}-{service}", edge.SERVICE_URL_OUTPUT)
            for service in sorted(set(table.values()))
        }
        return edge_plan
    if target not in edge.services():
        raise DeployError(f"unknown target {target!r}: shared, edge or one of {edge.services()}")
    if build is None:
        raise DeployError(f"--build is required for a service (make package SERVICE={target})")
    template = next((build / name for name in SERVICE_TEMPLATES if (build / name).is_file()),
                    build / SERVICE_TEMPLATES[0])
    # A Chalice template has the SAM transform (AUTO_EXPAND) and creates roles (IAM).
    service_plan = _plan(target, stage, region, bucket, template,
                         ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    service_plan.code_zip = build / ZIP_NAME
    service_plan.packaged = build / PACKAGED_TEMPLATE
    return service_plan


def _plan(target: str, stage: str, region: str, bucket: str | None, template: Path,
          capabilities: list[str]) -> Plan:
    return Plan(target=target, stage=stage, region=region, stack_name=f"crm-{stage}-{target}",
                template=template, parameters={"Stage": stage}, capabilities=capabilities,
                bucket=bucket, prefix=f"crm/{stage}/{target}")


def _capabilities(template_path: Path) -> list[str]:
    """What CloudFormation will demand of this template: IAM resources, a transform."""
    template = _load(template_path)
    iam = [r for r in (template.get("Resources") or {}).values()
           if str(r.get("Type", "")).startswith("AWS::IAM::")]
    named = {"RoleName", "UserName", "GroupName", "ManagedPolicyName"}
    found = []
    if any(named & set(r.get("Properties") or {}) for r in iam):
        found.append("CAPABILITY_NAMED_IAM")
    elif iam or "Transform" in template:
        found.append("CAPABILITY_IAM")
    if "Transform" in template:
        found.append("CAPABILITY_AUTO_EXPAND")
    return found


def commands(p: Plan) -> list[list[str]]:
    """The AWS CLI commands equivalent to this plan (what --dry-run prints)."""
    bucket = p.bucket or BUCKET_PLACEHOLDER
    overrides = [f"{k}={v}" for k, v in p.parameters.items()]
    overrides += [f"{k}=<{output} output of {stack}>"
                  for k, (stack, output) in p.from_stacks.items()]
    out: list[list[str]] = []
    template = p.template
    if p.packaged is not None:
        out.append([
            "aws", "cloudformation", "package", "--template-file", _rel(p.template),
            "--s3-bucket", bucket, "--s3-prefix", p.prefix,
            "--output-template-file", _rel(p.packaged), "--region", p.region,
        ])
        template = p.packaged
    deploy = [
        "aws", "cloudformation", "deploy", "--template-file", _rel(template),
        "--stack-name", p.stack_name,
    ]
    if p.capabilities:
        deploy += ["--capabilities", *p.capabilities]
    deploy += ["--parameter-overrides", *overrides]
    if p.packaged is not None or p.bucket:
        deploy += ["--s3-bucket", bucket, "--s3-prefix", p.prefix]
    deploy += ["--region", p.region, "--no-fail-on-empty-changeset"]
    out.append(deploy)
    return out


# --------------------------------------------------------------------- running


def package_code(p: Plan, s3: Any) -> Path:
    """`aws cloudformation package`: upload the zip, point local CodeUris at it."""
    assert p.code_zip is not None and p.packaged is not None
    if not p.bucket:
        raise DeployError(f"set {BUCKET_VARIABLE} to the artifacts bucket (or use --dry-run)")
    for path in (p.template, p.code_zip):
        if not path.is_file():
            raise DeployError(f"{path} is missing: run `make package SERVICE={p.target}"
                              f" STAGE={p.stage}` first")
    template = _load(p.template)
    _check_packaged_stage(template, p)
    digest = hashlib.sha256(p.code_zip.read_bytes()).hexdigest()
    key = f"{p.prefix}/{digest}.zip"
    if not _s3_has(s3, p.bucket, key):
        s3.upload_file(str(p.code_zip), p.bucket, key)
    uri = f"s3://{p.bucket}/{key}"
    rewritten = 0
    for resource in (template.get("Resources") or {}).values():
        properties = resource.get("Properties") or {}
        code = properties.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code, str) \
                and not code.startswith("s3://"):
            properties["CodeUri"] = uri
            rewritten += 1
    if not rewritten:
        raise DeployError(f"{p.template} has no function with a local CodeUri")
    p.packaged.write_text(dump_template(template), encoding="utf-8")
    print(f"uploaded {_rel(p.code_zip)} to {uri}; wrote {_rel(p.packaged)}")
    return p.packaged


def _check_packaged_stage(template: dict[str, Any], p: Plan) -> None:
    """Chalice bakes the stage into the package (tags, app config): refuse a mismatch."""
    for resource in (template.get("Resources") or {}).values():
        tag = ((resource.get("Properties") or {}).get("Tags") or {}).get("aws-chalice")
        if isinstance(tag, str) and f":stage={p.stage}:" not in f"{tag}:":
            raise DeployError(f"{p.template} was packaged for another stage ({tag});"
                              f" run `make package SERVICE={p.target} STAGE={p.stage}`")


def _s3_has(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def resolve_stack_parameters(p: Plan, cloudformation: Any) -> dict[str, str]:
    """Parameters read from other stacks' outputs (the edge's service URLs)."""
    values = dict(p.parameters)
    for name, (stack, output) in p.from_stacks.items():
        outputs = _outputs(_describe(cloudformation, stack) or {})
        if output not in outputs:
            raise DeployError(f"stack {stack} has no output {output}: deploy it before {p.target}")
        values[name] = outputs[output]
    return values


def deploy_stack(
    p: Plan,
    template_path: Path,
    parameters: dict[str, str],
    cloudformation: Any,
    s3: Any | None,
    poll_seconds: float = 5.0,
    timeout_seconds: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """`aws cloudformation deploy`: change set, execute, wait; returns the stack's outputs."""
    body = template_path.read_text(encoding="utf-8")
    if template_path.suffix != ".json" and has_aliases(body):
        body = dump_template(_load(template_path))  # CloudFormation refuses YAML aliases
    source: dict[str, str] = {"TemplateBody": body}
    if len(body.encode()) > MAX_TEMPLATE_BODY:
        if not p.bucket or s3 is None:
            raise DeployError(f"{template_path} is over {MAX_TEMPLATE_BODY} bytes: set"
                              f" {BUCKET_VARIABLE} so it can go through S3")
        key = f"{p.prefix}/{hashlib.sha256(body.encode()).hexdigest()}.template"
        s3.put_object(Bucket=p.bucket, Key=key, Body=body.encode())
        source = {"TemplateURL": f"https://{p.bucket}.s3.{p.region}.amazonaws.com/{key}"}

    stack = _describe(cloudformation, p.stack_name)
    status = stack["StackStatus"] if stack else None
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError(f"stack {p.stack_name} is busy ({status}); try again when it settles")
    if status == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {p.stack_name} is ROLLBACK_COMPLETE (its first create failed):"
                          " delete it, then deploy again")
    change_type = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    name = f"crm-deploy-{int(time.time())}"
    try:
        created = cloudformation.create_change_set(
            StackName=p.stack_name, ChangeSetName=name, ChangeSetType=change_type,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=p.capabilities, **source,
        )
    except (ClientError, BotoCoreError) as exc:
        # CloudFormation reports "no changes" as a FAILED change set; moto raises it here.
        if any(marker in str(exc) for marker in _NO_CHANGES):
            print(f"{p.stack_name}: no changes")
            return _outputs(stack or {})
        raise DeployError(f"stack {p.stack_name}: create_change_set failed: {exc}") from exc
    change_set_id = created["Id"]

    deadline = time.monotonic() + timeout_seconds
    while True:
        described = cloudformation.describe_change_set(ChangeSetName=change_set_id)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            break
        _wait(deadline, f"change set {name}", poll_seconds, sleep)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        if any(marker in reason for marker in _NO_CHANGES):
            cloudformation.delete_change_set(ChangeSetName=change_set_id)
            print(f"{p.stack_name}: no changes")
            return _outputs(_describe(cloudformation, p.stack_name) or {})
        raise DeployError(f"stack {p.stack_name}: change set failed: {reason}")
    print(f"{p.stack_name}: {change_type.lower()} with {len(described.get('Changes', []))}"
          " change(s)")

    cloudformation.execute_change_set(ChangeSetName=change_set_id)
    while True:
        stack = _describe(cloudformation, p.stack_name)
        if stack is None:
            raise DeployError(f"stack {p.stack_name} vanished during the deploy")
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        _wait(deadline, f"stack {p.stack_name}", poll_seconds, sleep)
    if status not in _TERMINAL_OK:
        raise DeployError(f"stack {p.stack_name} ended {status}:\n"
                          + _failures(cloudformation, p.stack_name))
    return _outputs(stack)


def _wait(deadline: float, what: str, poll_seconds: float, sleep: Callable[[float], None]) -> None:
    if time.monotonic() > deadline:
        raise DeployError(f"timed out waiting for {what}")
    sleep(poll_seconds)


def _describe(cloudformation: Any, stack_name: str) -> dict[str, Any] | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return stacks[0] if stacks else None


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _failures(cloudformation: Any, stack_name: str) -> str:
    """The FAILED events' reasons: what an operator needs to fix the template."""
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("FAILED")]
    return "\n".join(
        f"  {e.get('LogicalResourceId')} ({e.get('ResourceType')}):"
        f" {e.get('ResourceStatusReason', '')}" for e in failed
    ) or "  (no failed resource events)"


def run(p: Plan, session: boto3.session.Session, poll_seconds: float = 5.0) -> dict[str, str]:
    """Carry out the plan with boto3: package (services), then deploy."""
    cloudformation = session.client("cloudformation")
    s3 = session.client("s3") if p.bucket else None
    template = p.template
    if p.packaged is not None:
        if s3 is None:
            raise DeployError(f"set {BUCKET_VARIABLE} to the artifacts bucket (or use --dry-run)")
        template = package_code(p, s3)
    parameters = resolve_stack_parameters(p, cloudformation)
    return deploy_stack(p, template, parameters, cloudformation, s3, poll_seconds=poll_seconds)


# --------------------------------------------------------------------- CLI


def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise DeployError(f"{path} is not a template")
    return data


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: print the commands (--dry-run) or run them."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("target", help="a service, `shared` or `edge`")
    parser.add_argument("stage")
    parser.add_argument("--build", type=Path, help="the service's `make package` output")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, call nothing")
    args = parser.parse_args(argv)
    bucket = os.environ.get(BUCKET_VARIABLE) or None
    try:
        p = plan(args.target, args.stage, args.build, args.region, bucket)
        if args.dry_run:
            if p.packaged is not None and not p.template.is_file():
                print(f"# {_rel(p.template)} does not exist yet: `make package"
                      f" SERVICE={p.target} STAGE={p.stage}` builds it", file=sys.stderr)
            for command in commands(p):
                print(shlex.join(command))
            return 0
        outputs = run(p, boto3.session.Session(region_name=args.region))
    except DeployError as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return 1
    print(f"{p.stack_name} deployed in {args.region}")
    for key, value in sorted(outputs.items()):
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
