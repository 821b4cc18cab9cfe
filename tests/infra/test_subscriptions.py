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
        for source in pattern["source"]:
            for detail_type in pattern["detail-type"]:
                found.add((source, detail_type))
    return found


@pytest.mark.parametrize("service", service_names())
def test_rules_match_the_consumers_subscriptions(service: str) -> None:
    consumer = load_app(service).app.crm_consumer
    handled = {(s.source, s.detail_type) for s in consumer.subscriptions.values()}
    assert rules_of(service) == handled
