"""Company routes: thin; the rules live in logic.py, search.py and the relationships feature."""

from __future__ import annotations

from chalicelib import SERVICE, listing
from chalicelib.companies import (
    lifecycle,  # noqa: F401 - registers the merge mover
    logic,
    merge,
    repository,
    search,
)
from chalicelib.companies.schemas import (
    ChangePage,
    CompanyCreate,
    CompanyFields,
    CompanyMergeIn,
    CompanyMergeOut,
    CompanyOut,
    CompanyPage,
    Hierarchy,
    SearchPage,
    SearchPlan,
)
from chalicelib.contacts import logic as contacts_logic
from chalicelib.contacts import repository as contacts
from chalicelib.contacts.schemas import ContactOut, ContactPage
from chalicelib.relationships import logic as relationships
from chalicelib.relationships.schemas import Network
from crm_shared.auth.roles import ALL_ROLES, WRITERS
from crm_shared.errors import BadRequest
from crm_shared.filters import SearchRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "companies")
LIST_FILTERS = ("owner_id", "team_id", "parent_id", "industry")


def shown(item: object) -> Reply:
    body = CompanyOut(**logic.record(item))  # type: ignore[arg-type]
    return Reply(body, headers={"ETag": etag(body.version)})


def _int(req: ApiRequest, name: str, default: int, low: int, high: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest.for_field(name, f"must be an integer between {low} and {high}")
    return int(raw)


@api.route("/companies", "POST", roles=WRITERS, body=CompanyCreate, response=CompanyOut,
           status=201)
def create_company(req: ApiRequest) -> Reply:
    """Create a company; a domain another company has is a 409 naming it."""
    item = logic.create(req.principal, req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/companies/{item.company_id}"
    return reply


@api.route("/companies", "GET", roles=ALL_ROLES, response=CompanyPage)
def list_companies(req: ApiRequest) -> CompanyPage:
    """A page of companies, newest change first; filter by one of owner_id, team_id,
    parent_id (its children), industry, tag, and by updated_since."""
    records, cursor = listing.page(search.LISTS, req.tenant_id, req.query, LIST_FILTERS,
                                   repository.tag_pk,
                                   lambda: relationships.seen_by(req.principal, req.tenant_id))
    return CompanyPage(items=[CompanyOut(**r) for r in records], next_cursor=cursor)


@api.route("/companies/search", "POST", roles=ALL_ROLES, body=SearchRequest,
           response=SearchPage)
def search_companies(req: ApiRequest) -> SearchPage:
    """Search with filter_groups (OR of ANDs); the answer says which index served it."""
    request = search.parse(req.body.model_dump(mode="json", exclude_none=True))
    result = search.run(req.tenant_id, request,
                        relationships.seen_by(req.principal, req.tenant_id))
    return SearchPage(items=[CompanyOut(**r) for r in result.items], next_cursor=result.cursor,
                      plan=SearchPlan(index=result.index, tenant_wide=result.tenant_wide,
                                      residual_filters=result.residual))


@api.route("/companies/changes", "GET", roles=ALL_ROLES, response=ChangePage)
def company_changes(req: ApiRequest) -> ChangePage:
    """Upserts and tombstones since the `since` cursor, oldest first (offline sync)."""
    items, next_since, more = repository.changes(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("since"))
    changes = listing.changes(items, "company_id", "company",
                              lambda i: CompanyOut(**logic.record(i)))
    return ChangePage(items=changes, next_since=next_since, has_more=more)  # type: ignore[arg-type]


@api.route("/companies/{company_id}", "GET", roles=ALL_ROLES, response=CompanyOut)
def get_company(req: ApiRequest, company_id: str) -> Reply:
    """Read a company: one GetItem."""
    return shown(logic.get(req.principal, req.tenant_id, company_id))


@api.route("/companies/{company_id}", "PATCH", roles=WRITERS, body=CompanyFields,
           response=CompanyOut)
def update_company(req: ApiRequest, company_id: str) -> Reply:
    """Change the fields sent (merge-patch, null clears); `If-Match` makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, company_id, req.body,
                              req.if_match()))


@api.route("/companies/{company_id}", "DELETE", roles=WRITERS, status=204)
def delete_company(req: ApiRequest, company_id: str) -> None:
    """Delete a company without child companies; a tombstone stays for sync for 30 days."""
    logic.delete(req.principal, req.tenant_id, company_id)


@api.route("/companies/{company_id}/hierarchy", "GET", roles=ALL_ROLES, response=Hierarchy)
def company_hierarchy(req: ApiRequest, company_id: str) -> Hierarchy:
    """Ancestors and descendants, `depth` (1..5, default 2) levels each way."""
    depth = _int(req, "depth", 2, 1, logic.MAX_HIERARCHY_DEPTH)
    return Hierarchy(**logic.hierarchy(req.principal, req.tenant_id, company_id, depth))


@api.route("/companies/{company_id}/contacts", "GET", roles=ALL_ROLES, response=ContactPage)
def company_contacts(req: ApiRequest, company_id: str) -> ContactPage:
    """A page of the company's contacts (those whose company_id it is), newest change first."""
    logic.get(req.principal, req.tenant_id, company_id)
    items, cursor = contacts.list_records(req.tenant_id, parse_limit(req.query.get("limit")),
                                          req.query.get("cursor"), "company_id", company_id)
    seen = relationships.seen_by(req.principal, req.tenant_id)
    records = [contacts_logic.record(i) for i in items if not i.deleted]
    return ContactPage(items=[ContactOut(**r) for r in records
                              if seen.allows(r.get("owner_id"), r.get("team_id"))],
                       next_cursor=cursor)


@api.route("/companies/{company_id}/network", "GET", roles=ALL_ROLES, response=Network)
def company_network(req: ApiRequest, company_id: str) -> Network:
    """Parties within `depth` (1..3, default 2) relationship hops, filtered by `types`."""
    logic.get(req.principal, req.tenant_id, company_id)
    depth = _int(req, "depth", 2, 1, relationships.MAX_NETWORK_DEPTH)
    types = relationships.parse_types(req.query.get("types"))
    return Network(**relationships.network(req.principal, req.tenant_id, company_id, depth,
                                           types))


@api.route("/companies/{company_id}/merge", "POST", roles=WRITERS, body=CompanyMergeIn,
           response=CompanyMergeOut)
def merge_companies(req: ApiRequest, company_id: str) -> Reply:
    """Fold `merge_ids` into this company; their ids then resolve to it. Safe to retry."""
    done = merge.merge(req.principal, req.tenant_id, company_id, req.body)
    body = CompanyMergeOut(company=CompanyOut(**logic.record(done.survivor)),
                           merged_ids=done.merged_ids, moved=done.moved)
    return Reply(body, headers={"ETag": etag(done.survivor.version)})
