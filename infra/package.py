"""Build one service's Lambda zip and CloudFormation template, and prove both are sound.

``python -m infra.package <service> <stage> --out <dir>`` (``make package``) does what
docs/architecture.md §9 and the §10 traps ask for, in order:

1. vendor ``crm_shared`` into ``services/<svc>/vendor`` (Chalice ignores local paths in
   requirements.txt and does not follow symlinks, but zips ``vendor/`` as it is);
2. clear ``services/<svc>/.chalice/deployments`` (Chalice caches the dependency zip by
   the requirements' hash, so a changed ``crm_shared`` would otherwise be missed);
3. run ``chalice package --merge-template resources.yaml`` in the service folder, which
   imports ``app.py``: that needs ``AWS_DEFAULT_REGION`` and ``CRM_STAGE``;
4. check the result: the zip holds ``app.py``, ``chalicelib/`` and ``crm_shared``, every
   merge fragment landed on a generated resource, and cfn-lint finds no error.

Any failure exits non-zero with a message that says what to fix.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES_DIR = REPO_ROOT / "services"
SHARED_DIR = REPO_ROOT / "shared"
MERGE_TEMPLATE = "resources.yaml"
ZIP_NAME = "deployment.zip"
TEMPLATE_NAME = "sam.yaml"  # `--template-format yaml`, like the merge template
#: What a service zip cannot work without: the handler module, its package, the shared code.
REQUIRED_IN_ZIP = ("app.py", "chalicelib/", "crm_shared/__init__.py")
#: Files a previous run leaves in --out; anything else there means --out is the wrong folder.
OUTPUT_FILES = frozenset({ZIP_NAME, TEMPLATE_NAME, "sam.json", "packaged.yaml"})
#: Only for importing app.py at package time (dev/prod settings demand a signing secret).
#: It never reaches the template or the zip: the functions get their environment from
#: the template's Globals.
PACKAGE_TIME_SIGNING_SECRET = "package-time-only-not-a-secret"
#: Chalice's message when a requirement has no wheel it can put in a Lambda zip.
MISSING_WHEELS_MARKER = "Could not install dependencies"


class PackageError(RuntimeError):
    """Packaging failed; the message says which step and what to do."""


@dataclass
class LintResult:
    """cfn-lint's verdict: exit code bits 1 (failure) and 2 (errors) fail; 4 (warnings) not."""

    returncode: int
    output: str

    @property
    def has_errors(self) -> bool:
        return bool(self.returncode & 0b11)

    @property
    def has_warnings(self) -> bool:
        return bool(self.returncode & 0b100)


@dataclass
class PackageResult:
    """Where the artifacts are and what the checks found."""

    zip_path: Path
    template_path: Path
    seconds: float
    lint: LintResult


# --------------------------------------------------------------------- helpers


class _FlatDumper(yaml.SafeDumper):
    """Writes shared objects out in full: CloudFormation's YAML has no anchors or aliases
    (the AWS CLI's `cloudformation package` flattens them the same way)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_template(template: dict[str, Any]) -> str:
    """YAML that CloudFormation accepts: long-form intrinsics, no aliases, keys in order."""
    return yaml.dump(template, Dumper=_FlatDumper, sort_keys=False, width=100)


def has_aliases(text: str) -> bool:
    """Whether YAML text uses an alias (``*name``), which CloudFormation would refuse."""
    return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text))


def service_dir(service: str) -> Path:
    """The service's folder; refuses names that are not a service with a Chalice app."""
    path = SERVICES_DIR / service
    if not service or "/" in service or not (path / "app.py").is_file():
        known = sorted(p.parent.name for p in SERVICES_DIR.glob("*/app.py"))
        raise PackageError(f"no service {service!r}: one of {', '.join(known)}")
    return path


def chalice_command() -> list[str]:
    """The venv's Chalice CLI: chalice 1.34 has no ``python -m chalice`` (no __main__)."""
    script = Path(sys.executable).with_name("chalice")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())"]


def cfn_lint(paths: Iterable[Path]) -> LintResult:
    """Run this interpreter's cfn-lint (1.x has no ``python -m cfnlint``) on ``paths``."""
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
        timeout=300,
        check=False,
    )
    return LintResult(result.returncode, (result.stdout + result.stderr).strip())


def _run(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a step; on failure raise with its output, which is what the user needs to see."""
    result = subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise PackageError(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{output}")
    return output


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------- steps


def vendor_shared(svc_dir: Path) -> Path:
    """Install crm_shared (no dependencies: they come from requirements.txt) into vendor/."""
    vendor = svc_dir / "vendor"
    shutil.rmtree(vendor, ignore_errors=True)
    _run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--target", str(vendor), str(SHARED_DIR),
        ],
        cwd=REPO_ROOT,
    )
    if not (vendor / "crm_shared" / "__init__.py").is_file():
        raise PackageError(f"pip ran but {vendor}/crm_shared is missing")
    return vendor


def clear_dependency_cache(svc_dir: Path) -> None:
    """Chalice reuses a cached dependency zip keyed by the requirements' hash: drop it."""
    shutil.rmtree(svc_dir / ".chalice" / "deployments", ignore_errors=True)


def prepare_out(out: Path) -> None:
    """Empty --out of a previous run's files, and refuse a folder holding anything else."""
    if out.exists():
        if not out.is_dir():
            raise PackageError(f"--out {out} is a file")
        strangers = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_FILES)
        if strangers:
            raise PackageError(
                f"--out {out} holds files this tool did not write ({', '.join(strangers[:5])}):"
                " give an empty or build folder"
            )
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)


def chalice_package(svc_dir: Path, stage: str, out: Path, region: str) -> str:
    """`chalice package` with the merge template; returns its output for the checks."""
    # Only what importing app.py needs: a caller's CRM_* (a local runtime's endpoint, a
    # test stage) has no say in what is built.
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update(AWS_DEFAULT_REGION=region, AWS_REGION=region, CRM_STAGE=stage,
               CRM_SIGNING_SECRET=PACKAGE_TIME_SIGNING_SECRET)
    output = _run(
        [
            *chalice_command(), "package", "--stage", stage, "--template-format", "yaml",
            "--merge-template", MERGE_TEMPLATE, str(out),
        ],
        cwd=svc_dir,
        env=env,
    )
    if MISSING_WHEELS_MARKER in output:
        raise PackageError(
            "Chalice found no Lambda-compatible (manylinux, cp311) wheel for some pinned"
            f" requirements of {svc_dir.name}; pin a version that publishes one:\n{output}"
        )
    return output


def check_zip(zip_path: Path) -> list[str]:
    """The zip must hold the handler, chalicelib and the vendored crm_shared."""
    if not zip_path.is_file():
        raise PackageError(f"Chalice wrote no {zip_path}")
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    missing = [
        wanted
        for wanted in REQUIRED_IN_ZIP
        if not any(name == wanted or (wanted.endswith("/") and name.startswith(wanted))
                   for name in names)
    ]
    if missing:
        raise PackageError(f"{zip_path} lacks {', '.join(missing)}")
    return names


def add_bytecode(zip_path: Path) -> int:
    """Put each module's compiled bytecode in the zip; returns how many were added.

    Lambda's code directory is read-only, so without them every cold start compiles every
    module again (~0.1 s for a service). Unchecked-hash .pyc files stay valid whatever the
    zip's timestamps; an interpreter of another version ignores them and compiles.
    """
    import compileall
    import py_compile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            infos = archive.infolist()
            archive.extractall(root)
        compileall.compile_dir(root, quiet=2, workers=0, ddir="/var/task",
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        known = {info.filename for info in infos}
        added = sorted(p for p in root.rglob("*.pyc")
                       if p.relative_to(root).as_posix() not in known)
        rebuilt = zip_path.with_suffix(".tmp")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                out.writestr(info, (root / info.filename).read_bytes()
                             if not info.is_dir() else b"")
            for path in added:
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), (1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, path.read_bytes())
        rebuilt.replace(zip_path)
    return len(added)


def check_template(template_path: Path) -> dict[str, Any]:
    """Every resource has a Type: a merge fragment whose target Chalice no longer generates
    (a renamed handler, say) would otherwise become a typeless resource."""
    if not template_path.is_file():
        raise PackageError(f"Chalice wrote no {template_path}")
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    orphans = sorted(
        lid for lid, res in (template.get("Resources") or {}).items()
        if not isinstance(res, dict) or "Type" not in res
    )
    if orphans:
        raise PackageError(
            f"{MERGE_TEMPLATE} fragments match no Chalice-generated resource: "
            f"{', '.join(orphans)} (compare with the logical ids in {template_path})"
        )
    return template


def package(service: str, stage: str, out: Path, region: str = "us-east-1") -> PackageResult:
    """Run every step; vendor/ and the dependency cache are removed again afterwards."""
    started = time.monotonic()
    svc_dir = service_dir(service)
    stages = _chalice_stages(svc_dir)
    if stage not in stages:
        raise PackageError(f"stage {stage!r} is not in {service}'s .chalice/config.json: {stages}")
    out = out.resolve()
    prepare_out(out)
    try:
        vendor_shared(svc_dir)
        clear_dependency_cache(svc_dir)
        chalice_package(svc_dir, stage, out, region)
    finally:
        # A stale vendor/crm_shared would shadow the editable one for anything that puts
        # vendor/ on sys.path (chalice local); the cache is never reused (cleared above).
        shutil.rmtree(svc_dir / "vendor", ignore_errors=True)
        clear_dependency_cache(svc_dir)
    zip_path, template_path = out / ZIP_NAME, out / TEMPLATE_NAME
    check_zip(zip_path)
    add_bytecode(zip_path)
    check_template(template_path)
    lint = cfn_lint([template_path])
    if lint.has_errors:
        raise PackageError(f"cfn-lint found errors in {template_path}:\n{lint.output}")
    return PackageResult(zip_path, template_path, time.monotonic() - started, lint)


def _chalice_stages(svc_dir: Path) -> list[str]:
    config = json.loads((svc_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return sorted(config.get("stages", {}))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; prints where the artifacts are, or why there are none."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("service")
    parser.add_argument("stage")
    parser.add_argument("--out", type=Path, required=True, help="e.g. build/<svc>/<stage>")
    parser.add_argument(
        "--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        help="AWS_DEFAULT_REGION while Chalice imports app.py",
    )
    args = parser.parse_args(argv)
    print(f"packaging {args.service} for stage {args.stage} (downloads wheels from PyPI) ...",
          flush=True)
    try:
        result = package(args.service, args.stage, args.out, args.region)
    except PackageError as exc:
        print(f"package failed: {exc}", file=sys.stderr)
        return 1
    if result.lint.has_warnings:
        print(f"cfn-lint warnings (not fatal):\n{result.lint.output}")
    size_mb = result.zip_path.stat().st_size / 1_048_576
    print(f"zip:      {_display(result.zip_path)} ({size_mb:.1f} MiB)")
    print(f"template: {_display(result.template_path)} (cfn-lint: no errors)")
    print(f"done in {result.seconds:.0f} s; deploy with"
          f" `make deploy SERVICE={args.service} STAGE={args.stage}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
