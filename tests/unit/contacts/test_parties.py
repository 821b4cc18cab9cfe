"""Merge, erasure and export reach every feature that registers in chalicelib/parties.py,
even when that feature's routes were never called in the container (features load lazily)."""

from __future__ import annotations

import re
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[3] / "services" / "contacts" / "chalicelib"
REGISTERS = re.compile(r"^@parties\.(mover|eraser|exporter)\(", re.M)


def test_every_registering_module_is_listed() -> None:
    text = (CHALICELIB / "parties.py").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(chalicelib\.[a-z_.]+)"', text))
    registering = {
        "chalicelib." + ".".join(path.relative_to(CHALICELIB).with_suffix("").parts)
        for path in CHALICELIB.rglob("*.py") if REGISTERS.search(path.read_text("utf-8"))
    }
    assert registering, "the scan found no registration: is the pattern still right?"
    assert registering == listed
