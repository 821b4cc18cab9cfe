"""Contact routes: thin; the rules live in logic.py and search.py."""

from __future__ import annotations

from chalicelib import SERVICE, listing, tenancy
from chalicelib.contacts import (
    lifecycle,  # noqa: F401 - registers the company-merge mover
    logic,
    repository,
    search,
)
from chalicelib.contacts.schemas import (
    ChangePage,
    ContactCreate,
    ContactFields,
    ContactOut,
    ContactPage,
    SearchPage,
    SearchPlan,
)
from crm_shared.auth.roles import ALL_ROLES, WRITERS, Visibility, visibility
from crm_shared.filters import SearchRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "contacts")
LIST_FILTERS = ("owner_id", "team_id", "company_id", "lifecycle_stage")


def shown(item: object) -> Reply:
    body = ContactOut(**logic.record(item))  # type: ignore[arg-type]
    return Reply(body, headers={"ETag": etag(body.version)})


def _seen(req: ApiRequest) -> Visibility:
    """Whose contacts the caller sees, as the tenant configures it."""
    return visibility(req.principal, str(tenancy.settings_of(req.tenant_id).get(
        "record_visibility", "team")))


@api.route("/contacts", "POST", roles=WRITERS, body=ContactCreate, response=ContactOut,
           status=201)
def create_contact(req: ApiRequest) -> Reply:
    """Create a contact; a known email or phone is a 409 naming it (`?on_duplicate=`)."""
    result = logic.create(req.principal, req.tenant_id, req.body,
                          req.query.get("on_duplicate", "reject"))
    reply = shown(result.item)
    reply.status = 201 if result.created else 200
    reply.headers["Location"] = f"/contacts/{result.item.contact_id}"
    return reply


@api.route("/contacts", "GET", roles=ALL_ROLES, response=ContactPage)
def list_contacts(req: ApiRequest) -> ContactPage:
    """A page of contacts, newest change first; filter by one of owner_id, team_id,
    company_id, lifecycle_stage, tag, and by updated_since."""
    records, cursor = listing.page(search.LISTS, req.tenant_id, req.query, LIST_FILTERS,
                                   repository.tag_pk, lambda: _seen(req))
    return ContactPage(items=[ContactOut(**r) for r in records], next_cursor=cursor)


@api.route("/contacts/search", "POST", roles=ALL_ROLES, body=SearchRequest,
           response=SearchPage)
def search_contacts(req: ApiRequest) -> SearchPage:
    """Search with filter_groups (OR of ANDs); the answer says which index served it."""
    request = search.parse(req.body.model_dump(mode="json", exclude_none=True))
    settings = tenancy.settings_of(req.tenant_id)
    seen = visibility(req.principal, str(settings.get("record_visibility", "team")))
    result = search.run(req.tenant_id, request, seen, str(settings["default_phone_region"]))
    return SearchPage(items=[ContactOut(**r) for r in result.items], next_cursor=result.cursor,
                      plan=SearchPlan(index=result.index, tenant_wide=result.tenant_wide,
                                      residual_filters=result.residual))


@api.route("/contacts/changes", "GET", roles=ALL_ROLES, response=ChangePage)
def contact_changes(req: ApiRequest) -> ChangePage:
    """Upserts and tombstones since the `since` cursor, oldest first (offline sync)."""
    items, next_since, more = repository.changes(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("since"))
    changes = listing.changes(items, "contact_id", "contact",
                              lambda i: ContactOut(**logic.record(i)))
    return ChangePage(items=changes, next_since=next_since, has_more=more)  # type: ignore[arg-type]


@api.route("/contacts/{contact_id}", "GET", roles=ALL_ROLES, response=ContactOut)
def get_contact(req: ApiRequest, contact_id: str) -> Reply:
    """Read a contact: one GetItem."""
    return shown(logic.get(req.principal, req.tenant_id, contact_id))


@api.route("/contacts/{contact_id}", "PATCH", roles=WRITERS, body=ContactFields,
           response=ContactOut)
def update_contact(req: ApiRequest, contact_id: str) -> Reply:
    """Change the fields sent (merge-patch); `If-Match` makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, contact_id, req.body,
                              req.if_match()))


@api.route("/contacts/{contact_id}", "DELETE", roles=WRITERS, status=204)
def delete_contact(req: ApiRequest, contact_id: str) -> None:
    """Delete a contact; a tombstone stays for sync clients for 30 days."""
    logic.delete(req.principal, req.tenant_id, contact_id)
