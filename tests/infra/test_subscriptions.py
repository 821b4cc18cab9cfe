"""Each service's rules on the bus are exactly the events its consumer handles.

A handler without a rule never receives its event, and a rule without a handler fills the
queue with events nobody reads: both are silent in production, so they fail here.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.provision import load_template
from tests.support.services import ROOT, load_app, service_names


def rules_of(service: str) -> set[tuple[str, str]]:
    template = load_template(ROOT / "services" / service / "resources.yaml")
    found: set[tuple[str, str]] = set()
    for resource in template["Resources"].values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Events::Rule":
            continue
        properties: dict[str, Any] = resource["Properties"]
        targets = [t["Arn"]["Fn::GetAtt"][0] for t in properties["Targets"]]
        if "EventsQueue" not in targets:
            continue
        pattern = properties["EventPattern"]
        if not _by_name(pattern):
            continue  # a source rule: see source_rules_of
        for source in pattern["source"]:
            for detail_type in pattern["detail-type"]:
                found.add((source, detail_type))
    return found


def _by_name(pattern: dict[str, Any]) -> bool:
    """A rule naming its detail-types (not a source's catch-all, which names none or
    lists the ones it leaves out with anything-but)."""
    types = pattern.get("detail-type")
    return bool(types) and all(isinstance(t, str) for t in types)


def source_rules_of(service: str) -> dict[str, set[str]]:
    """Each source delivered whole to the service's queue -> the detail-types it leaves out."""
    template = load_template(ROOT / "services" / service / "resources.yaml")
    found: dict[str, set[str]] = {}
    for resource in template["Resources"].values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Events::Rule":
            continue
        properties: dict[str, Any] = resource["Properties"]
        targets = [t["Arn"]["Fn::GetAtt"][0] for t in properties["Targets"]]
        pattern = properties["EventPattern"]
        if "EventsQueue" not in targets or _by_name(pattern):
            continue
        left_out = {name for t in pattern.get("detail-type", [])
                    for name in t.get("anything-but", [])}
        for source in pattern["source"]:
            assert source not in found, f"{service}: two rules deliver all of {source}"
            found[source] = left_out
    return found


@pytest.mark.parametrize("service", service_names())
def test_rules_match_the_consumers_subscriptions(service: str) -> None:
    consumer = load_app(service).app.crm_consumer
    handled = {(s.source, s.detail_type) for s in consumer.subscriptions.values()}
    assert rules_of(service) == handled


@pytest.mark.parametrize("service", service_names())
def test_source_rules_match_the_catch_all_handlers(service: str) -> None:
    """A catch-all handler (consumer.on_source) has one rule for its source, which leaves
    out exactly the events of that source handled by name (they have their own rule), so
    every event reaches the queue once."""
    consumer = load_app(service).app.crm_consumer
    whole = source_rules_of(service)
    assert set(whole) == set(consumer.sources)
    for source, left_out in whole.items():
        by_name = {s.detail_type for s in consumer.subscriptions.values() if s.source == source}
        assert left_out == by_name, source
