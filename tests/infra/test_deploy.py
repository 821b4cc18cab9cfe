"""`python -m infra.deploy`: the dry run prints the ops commands, the real run deploys.

The real path is exercised against moto in-process: the shared stack end to end
(change set, execute, wait, a second deploy with no changes), and a service's package
step (zip upload, CodeUri rewrite). moto has no SAM transform, so a service stack itself
cannot be deployed here; and moto's execute_change_set does not fill in a stack's
Outputs/Exports (create_stack does), so those are not asserted.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from infra import deploy
from infra.package import has_aliases

REGION = "us-east-1"
STAGE = "dev"  # not the session fixtures' `test` stage: its stacks may exist in moto already


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(), warnings.catch_warnings():
        # moto's CloudFormation skips AWS::Cognito::* with a UserWarning per resource.
        warnings.simplefilter("ignore", UserWarning)
        yield


def _no_aws(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a dry run must not call AWS")


def test_dry_run_prints_the_commands_for_a_service(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(boto3, "client", _no_aws)
    monkeypatch.setattr(boto3.session, "Session", _no_aws)
    monkeypatch.delenv(deploy.BUCKET_VARIABLE, raising=False)
    build = tmp_path / "build" / "platform" / "dev"
    code = deploy.main(["platform", "dev", "--build", str(build), "--region", REGION,
                        "--dry-run"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    package, run = lines
    assert package.startswith("aws cloudformation package --template-file ")
    assert f"{build}/sam.yaml" in package
    assert "--s3-bucket '<CRM_ARTIFACT_BUCKET>'" in package
    assert f"--output-template-file {build}/packaged.yaml" in package
    assert run.startswith(f"aws cloudformation deploy --template-file {build}/packaged.yaml")
    assert "--stack-name crm-dev-platform" in run
    assert "--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in run
    assert "--parameter-overrides Stage=dev" in run
    assert f"--region {REGION}" in run


def test_dry_run_for_shared_and_edge(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boto3.session, "Session", _no_aws)
    assert deploy.main(["shared", "prod", "--dry-run"]) == 0
    assert deploy.main(["edge", "prod", "--dry-run"]) == 0
    shared, edge = capsys.readouterr().out.strip().splitlines()
    assert "--template-file infra/shared-stack.yaml --stack-name crm-prod-shared" in shared
    assert "package" not in shared
    assert "--template-file infra/edge.yaml --stack-name crm-prod-edge" in edge
    assert "'PlatformApiUrl=<EndpointURL output of crm-prod-platform>'" in edge


def test_unknown_target_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["nope", "dev", "--dry-run"]) == 1
    assert "unknown target" in capsys.readouterr().err


def test_shared_stack_deploys_on_moto(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["shared", STAGE, "--region", REGION]) == 0
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    stack = cloudformation.describe_stacks(StackName=f"crm-{STAGE}-shared")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Parameters"] == [{"ParameterKey": "Stage", "ParameterValue": STAGE}]
    events = boto3.client("events", region_name=REGION)
    assert events.describe_event_bus(Name=f"crm-{STAGE}")["Name"] == f"crm-{STAGE}"
    assert "create with" in capsys.readouterr().out

    # Deploying the same template again is a no-op, not an error (--no-fail-on-empty-changeset).
    assert deploy.main(["shared", STAGE, "--region", REGION]) == 0
    assert "no changes" in capsys.readouterr().out


def test_service_without_bucket_refuses_to_run(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(deploy.BUCKET_VARIABLE, raising=False)
    assert deploy.main(["platform", STAGE, "--build", str(tmp_path), "--region", REGION]) == 1
    assert deploy.BUCKET_VARIABLE in capsys.readouterr().err


def _fake_build(build: Path, stage: str) -> None:
    build.mkdir(parents=True)
    with zipfile.ZipFile(build / "deployment.zip", "w") as archive:
        archive.writestr("app.py", "app = None\n")
    tag = f"version=1.34.0:stage={stage}:app=crm-platform"
    function = {"Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "./deployment.zip", "Handler": "app.app",
                               "Runtime": "python3.11", "Tags": {"aws-chalice": tag}}}
    # One object twice: the YAML gets an anchor and an alias, as Chalice's output does.
    template = {"Transform": "AWS::Serverless-2016-10-31",
                "Resources": {"APIHandler": function, "HandleEvents": function}}
    (build / "sam.yaml").write_text(yaml.safe_dump(template), encoding="utf-8")


def test_package_step_uploads_the_zip_and_rewrites_code_uris(aws: None, tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="crm-artifacts")
    build = tmp_path / "platform" / STAGE
    _fake_build(build, STAGE)
    plan = deploy.plan("platform", STAGE, build, REGION, "crm-artifacts")
    assert has_aliases((build / "sam.yaml").read_text(encoding="utf-8"))  # as Chalice writes
    packaged = deploy.package_code(plan, s3)
    # CloudFormation's YAML has no aliases: the packaged template spells everything out.
    assert not has_aliases(packaged.read_text(encoding="utf-8"))
    template = yaml.safe_load(packaged.read_text(encoding="utf-8"))
    uris = {r["Properties"]["CodeUri"] for r in template["Resources"].values()}
    assert len(uris) == 1
    (uri,) = uris
    assert uri.startswith(f"s3://crm-artifacts/crm/{STAGE}/platform/") and uri.endswith(".zip")
    key = uri.removeprefix("s3://crm-artifacts/")
    body = s3.get_object(Bucket="crm-artifacts", Key=key)["Body"].read()
    assert body == (build / "deployment.zip").read_bytes()


def test_package_step_refuses_a_build_of_another_stage(aws: None, tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="crm-artifacts")
    build = tmp_path / "platform" / "prod"
    _fake_build(build, "prod")
    plan = deploy.plan("platform", STAGE, build, REGION, "crm-artifacts")
    with pytest.raises(deploy.DeployError, match="packaged for another stage"):
        deploy.package_code(plan, s3)


def test_a_template_over_the_body_limit_goes_through_s3(aws: None, tmp_path: Path) -> None:
    """A packaged service template is close to CloudFormation's 51,200-byte TemplateBody."""
    big = tmp_path / "big.yaml"
    padding = ("#" + "x" * 99 + "\n") * (deploy.MAX_TEMPLATE_BODY // 100 + 1)
    big.write_text(deploy.SHARED_TEMPLATE.read_text(encoding="utf-8") + padding, encoding="utf-8")
    session = boto3.session.Session(region_name=REGION)
    s3 = session.client("s3")
    s3.create_bucket(Bucket="crm-artifacts")
    plan = deploy.plan("shared", "prod", None, REGION, "crm-artifacts")
    deploy.deploy_stack(plan, big, plan.parameters, session.client("cloudformation"), s3,
                        poll_seconds=0)
    stack = session.client("cloudformation").describe_stacks(StackName="crm-prod-shared")
    assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="crm-artifacts")["Contents"]]
    assert [k for k in keys if k.endswith(".template")] != []
