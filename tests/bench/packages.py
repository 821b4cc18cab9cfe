"""Each service's Lambda package size, for `make bench`: zipped, unzipped, largest parts.

Runs the steps of `make package` (``infra.package``: vendor ``crm_shared``, clear Chalice's
dependency cache, ``chalice package`` with the merge template, check the zip, add the
bytecode, check the template) on a copy of each service folder in a temporary directory.
`make package` works inside ``services/<svc>`` (it writes ``vendor/`` and
``.chalice/deployments`` there) and its ``--out`` is ``build/<svc>/<stage>``: a bench run
beside someone's `make package`, `make test` or `chalice local` must not touch either.
cfn-lint is skipped (it judges the template, not the size; `make package` still runs it).

Lambda's limits for a zip deployment: 50 MB zipped (direct upload) and 250 MB unzipped
(the function and its layers). ``chalice package`` downloads manylinux wheels from PyPI
(or pip's cache), so the first run needs the network and takes longest.

    python -m tests.bench.packages          # the table, all five services
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra import package as packaging  # noqa: E402

SERVICES = ("platform", "contacts", "sales", "service", "marketing")
STAGE = "prod"
#: Lambda's quotas for a .zip deployment (bytes): direct upload, and unzipped with layers.
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
#: Our own code in the zip: everything else is a dependency.
OWN_CODE = frozenset({"app.py", "chalicelib", "crm_shared"})
#: Copying these into the temporary service folder would only slow it down or be stale.
SKIP = shutil.ignore_patterns("__pycache__", ".mypy_cache", "vendor", "deployments", "*.pyc")

PackageRow = tuple[str, int, int, str]


def _part(name: str) -> str:
    """The dependency a zip entry belongs to: its top-level folder, metadata folded in."""
    top = name.split("/", 1)[0]
    if top.endswith((".dist-info", ".egg-info")):
        return top.split("-", 1)[0].lower().replace("_", "-") + " (metadata)"
    if top.endswith(".libs"):  # auditwheel's vendored shared libraries
        return top[: -len(".libs")]
    if top.endswith((".py", ".so")) and "/" not in name:
        return top.split(".", 1)[0]
    return top


def sizes(zip_path: Path) -> tuple[int, int, Counter[str]]:
    """Zipped size, unzipped size and unzipped bytes per top-level part of a Lambda zip."""
    parts: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            parts[_part(info.filename)] += info.file_size
    return zip_path.stat().st_size, sum(parts.values()), parts


def mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB"


def build(service: str, work: Path, stage: str = STAGE, region: str = "us-east-1") -> Path:
    """`make package`'s steps for a copy of the service under `work`; returns the zip."""
    svc_dir = work / "services" / service
    shutil.copytree(packaging.service_dir(service), svc_dir, ignore=SKIP)
    out = work / "build" / service / stage
    packaging.prepare_out(out)
    packaging.vendor_shared(svc_dir)
    packaging.clear_dependency_cache(svc_dir)
    packaging.chalice_package(svc_dir, stage, out, region)
    zip_path = out / packaging.ZIP_NAME
    packaging.check_zip(zip_path)
    packaging.add_bytecode(zip_path)
    packaging.check_template(out / packaging.TEMPLATE_NAME)
    return zip_path


def package_row(service: str, work: Path, stage: str = STAGE) -> PackageRow:
    """(service, zipped bytes, unzipped bytes, the three largest dependencies, the margins
    to Lambda's limits and the packaging time)."""
    started = time.monotonic()
    zip_path = build(service, work, stage)
    seconds = time.monotonic() - started
    zipped, unzipped, parts = sizes(zip_path)
    own = sum(size for part, size in parts.items() if part in OWN_CODE)
    deps = [(part, size) for part, size in parts.most_common() if part not in OWN_CODE]
    top = ", ".join(f"{part} {mb(size)}" for part, size in deps[:3])
    detail = (f"largest: {top}; own code {mb(own)}; margin {mb(ZIPPED_LIMIT - zipped)} of"
              f" 50 MiB zipped ({zipped / ZIPPED_LIMIT:.0%} used), {mb(UNZIPPED_LIMIT - unzipped)}"
              f" of 250 MiB unzipped ({unzipped / UNZIPPED_LIMIT:.0%} used);"
              f" packaged in {seconds:.0f} s")
    return service, zipped, unzipped, detail


def package_rows(services: tuple[str, ...] = SERVICES, stage: str = STAGE
                 ) -> list[PackageRow]:
    """Package every service into a temporary directory (removed afterwards) and measure."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-package-") as tmp:
        work = Path(tmp)
        (work / "services").mkdir()
        return [package_row(service, work, stage) for service in services]


def render(rows: list[PackageRow]) -> str:
    """The Markdown table `make bench` can put in docs/benchmarks.md."""
    lines = ["| service | zipped | unzipped | largest dependencies, margin to Lambda's limits |",
             "|---|---|---|---|"]
    lines += [f"| {svc} | {mb(z)} | {mb(u)} | {detail} |" for svc, z, u, detail in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.monotonic()
    wanted = tuple(sys.argv[1:]) or SERVICES
    print(render(package_rows(wanted)))
    print(f"\n{len(wanted)} services packaged in {time.monotonic() - started:.0f} s")
