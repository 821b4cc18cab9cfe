"""Load a service's Chalice app in isolation: every service is a module `app` + `chalicelib`.

Each service keeps its own set of modules; loading one swaps them into `sys.modules`, so
two services never see each other's `chalicelib` (the same isolation Lambda gives them).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
_loaded: dict[str, dict[str, ModuleType]] = {}
_current: str | None = None


def service_names() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/app.py"))


def _own(name: str) -> bool:
    return name == "app" or name == "chalicelib" or name.startswith("chalicelib.")


def load_app(service: str) -> ModuleType:
    """services/<service>/app.py, imported once per test session.

    Features load lazily (on their first request), so the modules a service has grow after
    its first load: switching away keeps what it has now, not what it had at first.
    """
    global _current
    if _current is not None:
        _loaded[_current] = {n: m for n, m in sys.modules.items() if _own(n)}
    for name in [n for n in sys.modules if _own(n)]:
        del sys.modules[name]
    _current = service
    if service in _loaded:
        sys.modules.update(_loaded[service])
        return _loaded[service]["app"]
    path = str(ROOT / "services" / service)
    sys.path.insert(0, path)
    try:
        module = importlib.import_module("app")
    finally:
        sys.path.remove(path)
    _loaded[service] = {n: m for n, m in sys.modules.items() if _own(n)}
    return module
