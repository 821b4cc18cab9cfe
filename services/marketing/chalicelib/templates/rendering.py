"""Templates rendered in Jinja2's sandbox: contact and company fields, safe defaults.

A missing value renders empty (ChainableUndefined, so `{{ company.name }}` without a
company is ""), HTML output escapes what it inserts, and anything the sandbox would refuse
at render time (`{{ ''.__class__ }}`, private attributes) is refused when the template is
saved, by reading its syntax tree, so a bad template never reaches a send.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from crm_shared.errors import ValidationFailed

UNSUBSCRIBE = "unsubscribe_url"
SAMPLE = {"contact": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                      "contact_id": "con_sample"},
          "company": {"name": "Analytical Engines"}, UNSUBSCRIBE: "https://example.com/u",
          "variables": {}}


@cache
def environment(html: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=ChainableUndefined, autoescape=html,
                                keep_trailing_newline=True)


def _unsafe(tree: nodes.Template) -> str | None:
    """The first attribute or key the sandbox would refuse (private or dunder names)."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        if isinstance(name, str) and name.startswith("_"):
            return name
    for flt in tree.find_all(nodes.Filter):
        for arg in flt.args if flt.name == "attr" else []:
            if isinstance(arg, nodes.Const) and str(arg.value).startswith("_"):
                return str(arg.value)
    return None


def check(field: str, source: str, html: bool = False) -> set[str]:
    """Compile `source` and render it on sample data; a 422 naming `field` if it fails.
    Returns the names the template reads (to find the unsubscribe placeholder)."""
    env = environment(html)
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationFailed.for_field(field, f"does not compile (line {exc.lineno}): "
                                                f"{exc.message}") from None
    unsafe = _unsafe(tree)
    if unsafe is not None:
        raise ValidationFailed.for_field(field, f"may not use the attribute {unsafe!r}")
    try:
        env.from_string(source).render(SAMPLE)
    except SecurityError as exc:
        raise ValidationFailed.for_field(field, f"does something unsafe: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any render error is the template's fault
        raise ValidationFailed.for_field(field, f"fails on sample data: {exc}") from None
    return set(meta.find_undeclared_variables(tree))


def render(source: str | None, context: dict[str, Any], html: bool = False) -> str:
    """Render a checked template. A runtime failure (data the sample did not have) renders
    the template's failure as a ValueError, which the sender records as a failed send."""
    if not source:
        return ""
    try:
        return environment(html).from_string(source).render(context)
    except Exception as exc:  # any render failure is the template's
        raise ValueError(f"template failed to render: {exc}") from exc
