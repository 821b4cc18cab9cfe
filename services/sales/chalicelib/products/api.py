"""Product routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.products import logic, repository
from chalicelib.products.models import ProductItem
from chalicelib.products.schemas import ProductCreate, ProductFields, ProductOut, ProductPage
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "products")


def shown(item: ProductItem) -> Reply:
    body = ProductOut(**logic.record(item))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/products", "POST", roles=MANAGERS, body=ProductCreate, response=ProductOut,
           status=201)
def create_product(req: ApiRequest) -> Reply:
    """Add a product; a name or alias another product has is a 409 naming it."""
    item = logic.create(req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/products/{item.product_id}"
    return reply


@api.route("/products", "GET", roles=ALL_ROLES, response=ProductPage)
def list_products(req: ApiRequest) -> ProductPage:
    """A page of products by name: all of them, one `series`, or `active=true` ones."""
    active = req.query.get("active")
    if active not in (None, "", "true", "false"):
        raise BadRequest.for_field("active", "must be true or false")
    series = req.query.get("series") or None
    items, cursor = repository.list_records(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("cursor"),
        series=series, active_only=active == "true" and not series)
    records = [logic.record(i) for i in items]
    if active:  # on the series index the active flag filters the page
        records = [r for r in records if r["active"] is (active == "true")]
    return ProductPage(items=[ProductOut(**r) for r in records], next_cursor=cursor)


@api.route("/products/{product_id}", "GET", roles=ALL_ROLES, response=ProductOut)
def get_product(req: ApiRequest, product_id: str) -> Reply:
    """Read a product: one GetItem."""
    return shown(logic.get(req.tenant_id, product_id))


@api.route("/products/{product_id}", "PATCH", roles=MANAGERS, body=ProductFields,
           response=ProductOut)
def update_product(req: ApiRequest, product_id: str) -> Reply:
    """Change the fields sent; `aliases` replaces the list; If-Match honoured."""
    return shown(logic.update(req.tenant_id, product_id, req.body, req.if_match()))
