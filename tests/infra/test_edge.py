"""The committed edge (route table and HTTP API template) is what the apps define now.

The first path segment names exactly one service, and the table is derived from the
apps' own routes (docs/architecture.md §1): a route prefix added without running
`python -m infra.edge` would be unreachable in the cloud, so it fails here first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import edge
from infra.package import cfn_lint

REGENERATE = ("stale: run `python -m infra.edge` and commit infra/edge-routes.json, edge.yaml"
              " and services/*/chalicelib/routes.json")


@pytest.fixture(scope="module")
def generated() -> dict[Path, str | None]:
    """Every derived file as `infra.edge` would write it from the apps (a subprocess each)."""
    return edge.generate()


def test_committed_route_table_is_current(generated: dict[Path, str | None]) -> None:
    assert edge.current(edge.ROUTES_FILE) == generated[edge.ROUTES_FILE], REGENERATE


def test_committed_edge_template_is_current(generated: dict[Path, str | None]) -> None:
    assert edge.current(edge.TEMPLATE_FILE) == generated[edge.TEMPLATE_FILE], REGENERATE


def test_committed_lazy_route_manifests_are_current(generated: dict[Path, str | None]) -> None:
    """A lazy feature's route missing from its manifest would never be registered."""
    manifests = {p: t for p, t in generated.items() if p.name == "routes.json"}
    assert manifests[edge.manifest_file("platform")] is not None
    for path, text in manifests.items():
        assert edge.current(path) == text, f"{path.relative_to(edge.REPO_ROOT)} {REGENERATE}"


def test_route_table_comes_from_the_apps() -> None:
    table = json.loads(edge.ROUTES_FILE.read_text(encoding="utf-8"))
    assert table["tenants"] == "platform"
    assert set(table.values()) <= set(edge.services())
    assert table == dict(sorted(table.items()))


def test_edge_template_lints_clean() -> None:
    result = cfn_lint([edge.TEMPLATE_FILE])
    assert not result.has_errors, result.output


def test_every_prefix_has_both_routes_to_its_owner() -> None:
    table = json.loads(edge.ROUTES_FILE.read_text(encoding="utf-8"))
    template: dict[str, Any] = yaml.safe_load(edge.TEMPLATE_FILE.read_text(encoding="utf-8"))
    resources = template["Resources"]
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]["Target"]["Fn::Sub"]
        for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    for segment, service in table.items():
        for key, path in ((f"ANY /{segment}", segment), (f"ANY /{segment}/{{proxy+}}",
                                                          f"{segment}/{{proxy}}")):
            integration_id = routes[key].removeprefix("integrations/${").removesuffix("}")
            integration = resources[integration_id]["Properties"]
            assert integration["IntegrationType"] == "HTTP_PROXY"
            assert integration["IntegrationUri"] == {
                "Fn::Sub": "${" + edge.url_parameter(service) + "}" + path
            }
    assert "$default" in routes
    assert set(template["Parameters"]) == {"Stage"} | {
        edge.url_parameter(s) for s in set(table.values())
    }


def test_two_services_claiming_one_prefix_fail_loudly() -> None:
    with pytest.raises(edge.EdgeError, match="/tenants is claimed by both"):
        edge.route_table({"platform": ["/tenants", "/users"], "sales": ["/tenants/{id}"]})


@pytest.mark.parametrize("path", ["/", "/{tenant_id}/things"])
def test_a_route_without_a_literal_first_segment_fails(path: str) -> None:
    with pytest.raises(edge.EdgeError, match="no literal first segment"):
        edge.route_table({"platform": [path]})


def test_route_table_groups_paths_by_first_segment() -> None:
    assert edge.route_table({
        "sales": ["/leads", "/leads/{id}", "/opportunities/{id}/stage"],
        "platform": ["/tenants"],
    }) == {"leads": "sales", "opportunities": "sales", "tenants": "platform"}


def test_edge_template_covers_several_services(tmp_path: Path) -> None:
    table = {"api-keys": "platform", "leads": "sales", "tickets": "service"}
    template_path = tmp_path / "edge.yaml"
    template_path.write_text(edge.render_template(table), encoding="utf-8")
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    assert {"PlatformApiUrl", "SalesApiUrl", "ServiceApiUrl"} <= set(template["Parameters"])
    result = cfn_lint([template_path])
    assert not result.has_errors, result.output
