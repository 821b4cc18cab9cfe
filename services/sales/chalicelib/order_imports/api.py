"""Routes of order imports: a CSV inline (up to the API's 1 MiB body), run in chunks of whole
orders on the sales jobs queue; progress and the rows that failed."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.imports import logic as imports
from chalicelib.imports import repository as repo
from chalicelib.imports.logic import ORDERS
from chalicelib.imports.schemas import ImportOut, ImportPage
from chalicelib.order_imports import logic
from chalicelib.order_imports.schemas import OrderImportIn
from crm_shared.auth.roles import MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "order_imports")


@api.route("/orders/imports", "POST", roles=MANAGERS, body=OrderImportIn, response=ImportOut,
           status=202)
def create_order_import(req: ApiRequest) -> Reply:
    """Import orders from a CSV (one row per line, grouped by external_id); an order already
    imported or recorded with the same (source, external_id) is updated, or skipped when
    unchanged. Poll the Location for progress and row errors."""
    job = logic.submit(req.principal, req.tenant_id, req.body)
    return Reply(imports.shown(ORDERS, job), status=202,
                 headers={"Location": f"/orders/imports/{job.import_id}"})


@api.route("/orders/imports", "GET", roles=MANAGERS, response=ImportPage)
def list_order_imports(req: ApiRequest) -> ImportPage:
    """The tenant's order imports, newest first."""
    items, cursor = repo.list_jobs(ORDERS.store, req.tenant_id,
                                   parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return ImportPage(items=[imports.shown(ORDERS, j) for j in items], next_cursor=cursor)


@api.route("/orders/imports/{order_import_id}", "GET", roles=MANAGERS, response=ImportOut)
def get_order_import(req: ApiRequest, order_import_id: str) -> ImportOut:
    """Progress and counts (of rows), and each failed order's first row, column and message."""
    return imports.shown(ORDERS, imports.get(ORDERS, req.tenant_id, order_import_id),
                         with_errors=True)
