"""Relationships: typed edges with their inverse, duplicates, lists, the network, merges."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

MISSING_CONTACT = "con_01J00000000000000000000000"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def new_company(contacts: ApiClient, tenant: Tenant, **fields: Any) -> str:
    reply = contacts.post("/companies", {"name": unique("Co "), **fields},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["company_id"])


def new_contact(contacts: ApiClient, tenant: Tenant) -> str:
    reply = contacts.post("/contacts", {"first_name": "Pat", "last_name": unique("Person ")},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def relate(contacts: ApiClient, tenant: Tenant, from_id: str, type_: str, to_id: str,
           **extra: Any) -> Any:
    return contacts.post("/relationships", {"from_id": from_id, "to_id": to_id, "type": type_,
                                            **extra}, token=tenant.admin_token)


def listed(contacts: ApiClient, tenant: Tenant, query: str) -> list[tuple[str, str, str]]:
    reply = contacts.get(f"/relationships?{query}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return [(e["from_id"], e["type"], e["to_id"]) for e in reply.json["items"]]


def test_create_read_and_delete_with_the_inverse(contacts: ApiClient, tenant: Tenant) -> None:
    supplier, buyer = new_company(contacts, tenant), new_company(contacts, tenant)
    created = relate(contacts, tenant, supplier, "supplier_of", buyer, label="since 2019")
    assert created.status == 201, created.json
    edge = created.json
    assert edge["relationship_id"].startswith("rel_")
    assert edge["inverse_type"] == "customer_of" and edge["label"] == "since 2019"
    assert created.header("Location") == f"/relationships/{edge['relationship_id']}"
    path = f"/relationships/{edge['relationship_id']}"
    assert contacts.get(path, token=tenant.admin_token).json == edge
    # the buyer sees it as its customer_of edge, outbound; the supplier as supplier_of
    mine = (supplier, "supplier_of", buyer)
    assert listed(contacts, tenant, f"party_id={buyer}&type=customer_of&direction=out") == [mine]
    assert listed(contacts, tenant, f"party_id={buyer}&type=supplier_of&direction=in") == [mine]
    assert listed(contacts, tenant, f"party_id={buyer}&type=supplier_of&direction=out") == []
    assert listed(contacts, tenant, f"party_id={supplier}&type=supplier_of") == [mine]
    assert listed(contacts, tenant, f"party_id={supplier}&direction=out") == [mine]
    assert listed(contacts, tenant, f"party_id={supplier}&direction=in") == []
    assert listed(contacts, tenant, f"party_id={buyer}") == [mine]
    assert contacts.delete(path, token=tenant.admin_token).status == 204
    assert contacts.get(path, token=tenant.admin_token).status == 404
    assert listed(contacts, tenant, f"party_id={buyer}") == []
    assert listed(contacts, tenant, f"party_id={supplier}") == []
    assert contacts.delete(path, token=tenant.admin_token).status == 404


def test_duplicates_either_way_round_are_409(contacts: ApiClient, tenant: Tenant) -> None:
    a, b = new_company(contacts, tenant), new_company(contacts, tenant)
    first = relate(contacts, tenant, a, "partner_of", b)
    assert first.status == 201
    for from_id, to_id in ((a, b), (b, a)):
        again = relate(contacts, tenant, from_id, "partner_of", to_id)
        assert again.status == 409, again.json
        assert again.json["errors"][0]["existing_id"] == first.json["relationship_id"]
    person, boss = new_contact(contacts, tenant), new_contact(contacts, tenant)
    assert relate(contacts, tenant, person, "reports_to", boss).status == 201
    assert relate(contacts, tenant, boss, "manages", person).status == 409
    # the symmetric edge is outbound from both sides
    assert listed(contacts, tenant, f"party_id={b}&type=partner_of&direction=out") == [
        (a, "partner_of", b)]


def test_custom_edges_need_a_label_and_differ_by_label(contacts: ApiClient,
                                                       tenant: Tenant) -> None:
    mentor, mentee = new_contact(contacts, tenant), new_contact(contacts, tenant)
    unlabeled = relate(contacts, tenant, mentor, "custom", mentee)
    assert unlabeled.status == 422 and unlabeled.json["errors"][0]["field"] == "label"
    assert relate(contacts, tenant, mentor, "custom", mentee, label="Mentor of").status == 201
    assert relate(contacts, tenant, mentor, "custom", mentee, label="mentor OF").status == 409
    assert relate(contacts, tenant, mentor, "custom", mentee, label="Golf buddy").status == 201
    assert len(listed(contacts, tenant, f"party_id={mentee}&type=custom")) == 2
    assert len(listed(contacts, tenant, f"party_id={mentee}&type=custom&direction=out")) == 0
    assert len(listed(contacts, tenant,
                      f"party_id={mentee}&type=custom&label=golf buddy&direction=in")) == 1


@pytest.mark.parametrize(("make_body", "status", "field"), [
    (lambda c, t: {"from_id": c, "to_id": MISSING_CONTACT, "type": "partner_of"}, 422,
     "to_id"),
    (lambda c, t: {"from_id": MISSING_CONTACT, "to_id": c, "type": "partner_of"}, 422,
     "from_id"),
    (lambda c, t: {"from_id": c, "to_id": c, "type": "partner_of"}, 422, "to_id"),
    (lambda c, t: {"from_id": c, "to_id": "usr_01J00000000000000000000000",
                   "type": "partner_of"}, 422, "to_id"),
    (lambda c, t: {"from_id": c, "to_id": t, "type": "best_friends"}, 422, "type"),
    (lambda c, t: {"from_id": c, "to_id": t}, 422, "type"),
    (lambda c, t: {"from_id": c, "to_id": t, "type": "works_at"}, 422, "to_id"),
    (lambda c, t: {"from_id": t, "to_id": c, "type": "employs"}, 422, "from_id"),
    (lambda c, t: {"from_id": c, "to_id": t, "type": "parent_of"}, 422, "from_id"),
    (lambda c, t: {"from_id": c, "to_id": t, "type": "partner_of", "label": ""}, 422, "label"),
    (lambda c, t: {"from_id": c, "to_id": t, "type": "partner_of", "weight": 3}, 422,
     "weight"),
])
def test_bad_input_names_the_field(contacts: ApiClient, tenant: Tenant, make_body: Any,
                                   status: int, field: str) -> None:
    one, two = new_contact(contacts, tenant), new_contact(contacts, tenant)
    reply = contacts.post("/relationships", make_body(one, two), token=tenant.admin_token)
    assert reply.status == status, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_parent_of_between_companies_goes_through_parent_id(contacts: ApiClient,
                                                            tenant: Tenant) -> None:
    a, b = new_company(contacts, tenant), new_company(contacts, tenant)
    for type_ in ("parent_of", "subsidiary_of"):
        reply = relate(contacts, tenant, a, type_, b)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == "type"


def test_parties_of_another_tenant_or_deleted_ones_are_422(
    contacts: ApiClient, tenant: Tenant, tenants: Tenants
) -> None:
    mine = new_company(contacts, tenant)
    other = tenants.create("Other")
    theirs = new_company(contacts, other)
    reply = relate(contacts, tenant, mine, "partner_of", theirs)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "to_id"
    assert other.tenant_id not in reply.raw.decode()
    gone = new_company(contacts, tenant)
    assert contacts.delete(f"/companies/{gone}", token=tenant.admin_token).status == 204
    reply = relate(contacts, tenant, gone, "partner_of", mine)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "from_id"
    edge = relate(contacts, tenant, mine, "partner_of", new_company(contacts, tenant)).json
    elsewhere = contacts.get(f"/relationships/{edge['relationship_id']}",
                             token=other.admin_token)
    assert elsewhere.status == 404
    assert listed(contacts, other, f"party_id={mine}") == []


def test_list_queries_are_checked(contacts: ApiClient, tenant: Tenant) -> None:
    party = new_contact(contacts, tenant)
    for query, field in (("party_id=nope", "party_id"), ("type=partner_of", "party_id"),
                         (f"party_id={party}&direction=sideways", "direction"),
                         (f"party_id={party}&type=friend", "type"),
                         ("cursor=forged", "cursor")):
        reply = contacts.get(f"/relationships?{query}", token=tenant.admin_token)
        assert reply.status == 400, (query, reply.json)
        assert reply.json["errors"][0]["field"] == field
    assert contacts.get("/relationships/rel_nope", token=tenant.admin_token).status == 404


def test_the_tenant_list_pages(contacts: ApiClient, tenants: Tenants,
                               runtimes: dict[str, Any]) -> None:
    fresh = tenants.create("Pages")
    settle(runtimes)
    hub = new_company(contacts, fresh)
    for _ in range(3):
        assert relate(contacts, fresh, hub, "partner_of", new_company(contacts, fresh)).status \
            == 201
    first = contacts.get("/relationships?limit=2", token=fresh.admin_token).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = contacts.get(f"/relationships?limit=2&cursor={first['next_cursor']}",
                        token=fresh.admin_token).json
    assert len(rest["items"]) == 1


def test_network_is_bounded_and_cycle_safe(contacts: ApiClient, tenant: Tenant) -> None:
    hub = new_company(contacts, tenant, name="Hub")
    partner = new_company(contacts, tenant, name="Partner")
    supplier = new_company(contacts, tenant, name="Supplier")
    far = new_company(contacts, tenant, name="Far")
    child = new_company(contacts, tenant, name="Child", parent_id=hub)
    person = new_contact(contacts, tenant)
    for from_id, type_, to_id in ((hub, "partner_of", partner), (supplier, "supplier_of", hub),
                                  (partner, "partner_of", supplier),  # a cycle
                                  (supplier, "supplier_of", far), (person, "works_at", partner)):
        assert relate(contacts, tenant, from_id, type_, to_id).status == 201
    net = contacts.get(f"/companies/{hub}/network?depth=1", token=tenant.admin_token)
    assert net.status == 200, net.json
    depth = {n["id"]: n["depth"] for n in net.json["nodes"]}
    assert depth == {hub: 0, partner: 1, supplier: 1, child: 1}
    assert {n["name"] for n in net.json["nodes"]} == {"Hub", "Partner", "Supplier", "Child"}
    two = contacts.get(f"/companies/{hub}/network", token=tenant.admin_token).json
    depth = {n["id"]: n["depth"] for n in two["nodes"]}
    assert depth == {hub: 0, partner: 1, supplier: 1, child: 1, far: 2, person: 2}
    assert len({e["relationship_id"] for e in two["edges"]}) == len(two["edges"]) == 6
    only = contacts.get(f"/companies/{hub}/network?depth=3&types=partner_of",
                        token=tenant.admin_token).json
    assert {n["id"] for n in only["nodes"]} == {hub, partner, supplier}
    kinds = contacts.get(f"/companies/{hub}/network?types=customer_of,employs",
                         token=tenant.admin_token).json
    assert {n["id"] for n in kinds["nodes"]} == {hub, supplier, far}
    for query, field in (("depth=4", "depth"), ("depth=0", "depth"), ("types=friend", "types")):
        reply = contacts.get(f"/companies/{hub}/network?{query}", token=tenant.admin_token)
        assert reply.status == 400 and reply.json["errors"][0]["field"] == field


def test_merge_movers_repoint_edges_and_children(contacts: ApiClient, tenant: Tenant) -> None:
    """The registered movers, as a merge runs them: edges and child companies follow."""
    import importlib

    from tests.support.services import load_app

    load_app("contacts")  # the contacts service's chalicelib in sys.modules
    parties = importlib.import_module("chalicelib.parties")
    assert {"relationships", "companies"} <= set(parties.movers())
    merged, survivor = new_company(contacts, tenant), new_company(contacts, tenant)
    friend, child = new_company(contacts, tenant), new_company(contacts, tenant)
    assert contacts.patch(f"/companies/{child}", {"parent_id": merged},
                          token=tenant.admin_token).status == 200
    assert relate(contacts, tenant, merged, "partner_of", friend).status == 201
    assert relate(contacts, tenant, merged, "partner_of", survivor).status == 201  # self-edge
    assert relate(contacts, tenant, survivor, "supplier_of", friend).status == 201
    assert relate(contacts, tenant, merged, "supplier_of", friend).status == 201  # duplicate
    tenant_id = tenant.tenant_id
    for name in ("relationships", "companies"):
        parties.movers()[name](tenant_id, merged, survivor)
    assert listed(contacts, tenant, f"party_id={merged}") == []
    assert sorted(listed(contacts, tenant, f"party_id={survivor}")) == sorted([
        (survivor, "partner_of", friend), (survivor, "supplier_of", friend),
        (survivor, "parent_of", child)])
    moved = contacts.get(f"/companies/{child}", token=tenant.admin_token).json
    assert moved["parent_id"] == survivor
    exported = parties.exporters()["relationships"](tenant_id, survivor)
    assert len(exported) == 3
    person, other = new_contact(contacts, tenant), new_contact(contacts, tenant)
    assert relate(contacts, tenant, person, "influences", other, label="close").status == 201
    assert parties.erasers()["relationships"](tenant_id, person) == 1
    assert listed(contacts, tenant, f"party_id={other}") == []


def _outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    import json

    pages = session.client("dynamodb").get_paginator("scan").paginate(
        TableName="crm-test-contacts")  # a Scan, in a test, to look behind the API
    return [json.loads(i["detail"]["S"])["data"] for page in pages for i in page["Items"]
            if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
            and i["detail_type"]["S"] == detail_type]


def _deliver_own_events(runtimes: dict[str, Any]) -> None:
    """Publish the contacts outbox and run its consumer, leaving what that emits unpublished."""
    from tests.support.services import load_app

    load_app("contacts")
    runtimes["contacts"].pump_stream()
    while runtimes["contacts"].pump_queue():
        pass


@pytest.mark.parametrize("kind", ["contact", "company"])
def test_deleting_a_party_removes_its_edges_and_their_inverse(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any],
        kind: str) -> None:
    settle(runtimes)
    employer, partner = new_company(contacts, tenant), new_company(contacts, tenant)
    doomed = new_contact(contacts, tenant) if kind == "contact" else new_company(contacts,
                                                                                 tenant)
    boss = new_contact(contacts, tenant)
    made = [relate(contacts, tenant, doomed, "partner_of", partner)]
    if kind == "contact":
        made += [relate(contacts, tenant, doomed, "works_at", employer),
                 relate(contacts, tenant, boss, "manages", doomed)]
    else:
        made += [relate(contacts, tenant, boss, "works_at", doomed)]
    assert all(r.status == 201 for r in made), [r.json for r in made]
    kept = relate(contacts, tenant, boss, "works_at", employer)
    assert kept.status == 201, kept.json
    settle(runtimes)

    path = "contacts" if kind == "contact" else "companies"
    assert contacts.delete(f"/{path}/{doomed}", token=tenant.admin_token).status == 204
    _deliver_own_events(runtimes)
    announced = {e["relationship_id"] for e in _outbox(session, tenant.tenant_id,
                                                       "RelationshipDeleted")}
    assert announced == {r.json["relationship_id"] for r in made}
    for other in (partner, boss, employer):
        assert doomed not in {e for edge in listed(contacts, tenant, f"party_id={other}")
                              for e in (edge[0], edge[2])}
    assert listed(contacts, tenant, f"party_id={doomed}") == []
    for r in made:
        gone = contacts.get(f"/relationships/{r.json['relationship_id']}",
                            token=tenant.admin_token)
        assert gone.status == 404
    network = contacts.get(f"/companies/{partner}/network", token=tenant.admin_token).json
    assert doomed not in {n["id"] for n in network["nodes"]} and network["edges"] == []
    assert listed(contacts, tenant, f"party_id={employer}") == [(boss, "works_at", employer)]
    settle(runtimes)
