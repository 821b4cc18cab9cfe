"""Routes of the relationship network: typed, directed edges between contacts and companies."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.relationships import (
    lifecycle,  # noqa: F401 - registers merge/erase/export
    logic,
)
from chalicelib.relationships.domain import Edge
from chalicelib.relationships.schemas import RelationshipCreate, RelationshipOut, RelationshipPage
from crm_shared.auth.roles import ALL_ROLES, WRITERS
from crm_shared.http import ApiRequest, Reply, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "relationships")


def out(edge: Edge) -> RelationshipOut:
    return RelationshipOut(**edge.shown())


@api.route("/relationships", "POST", roles=WRITERS, body=RelationshipCreate,
           response=RelationshipOut, status=201)
def create_relationship(req: ApiRequest) -> Reply:
    """Relate two parties; the inverse edge is stored with it, a duplicate is a 409."""
    edge = logic.create(req.principal, req.tenant_id, req.body)
    return Reply(out(edge), headers={"Location": f"/relationships/{edge.relationship_id}"})


@api.route("/relationships", "GET", roles=ALL_ROLES, response=RelationshipPage)
def list_relationships(req: ApiRequest) -> RelationshipPage:
    """A page of edges: the tenant's, or a party's (`party_id`) by `type` and `direction`."""
    edges, cursor = logic.list_edges(req.tenant_id, req.query,
                                     parse_limit(req.query.get("limit")),
                                     req.query.get("cursor"))
    return RelationshipPage(items=[out(e) for e in edges], next_cursor=cursor)


@api.route("/relationships/{relationship_id}", "GET", roles=ALL_ROLES,
           response=RelationshipOut)
def get_relationship(req: ApiRequest, relationship_id: str) -> RelationshipOut:
    """Read an edge: one GetItem."""
    return out(logic.get(req.tenant_id, relationship_id))


@api.route("/relationships/{relationship_id}", "DELETE", roles=WRITERS, status=204)
def delete_relationship(req: ApiRequest, relationship_id: str) -> None:
    """Delete an edge and its inverse in one transaction."""
    logic.delete(req.tenant_id, relationship_id)
