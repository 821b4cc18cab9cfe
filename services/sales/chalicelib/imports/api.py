"""Routes of opportunity imports: a CSV inline (up to the API's 1 MiB body), run in chunks
on the jobs queue; its progress and the rows that failed."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.imports import logic
from chalicelib.imports import repository as repo
from chalicelib.imports.logic import OPPORTUNITIES
from chalicelib.imports.schemas import ImportIn, ImportOut, ImportPage
from crm_shared.auth.roles import MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "imports")


@api.route("/opportunities/imports", "POST", roles=MANAGERS, body=ImportIn,
           response=ImportOut, status=202)
def create_import(req: ApiRequest) -> Reply:
    """Import deals from a CSV; rows with an external id already imported are updated
    (or skipped when unchanged). Poll the Location for progress."""
    job = logic.submit(req.principal, req.tenant_id, req.body)
    return Reply(logic.shown(OPPORTUNITIES, job), status=202,
                 headers={"Location": f"/opportunities/imports/{job.import_id}"})


@api.route("/opportunities/imports", "GET", roles=MANAGERS, response=ImportPage)
def list_imports(req: ApiRequest) -> ImportPage:
    """The tenant's opportunity imports, newest first."""
    items, cursor = repo.list_jobs(OPPORTUNITIES.store, req.tenant_id,
                                   parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return ImportPage(items=[logic.shown(OPPORTUNITIES, j) for j in items], next_cursor=cursor)


@api.route("/opportunities/imports/{opportunity_import_id}", "GET", roles=MANAGERS,
           response=ImportOut)
def get_import(req: ApiRequest, opportunity_import_id: str) -> ImportOut:
    """Progress and counts, and each failed row's number, column, field and message."""
    return logic.shown(OPPORTUNITIES, logic.get(OPPORTUNITIES, req.tenant_id,
                                                opportunity_import_id), with_errors=True)
