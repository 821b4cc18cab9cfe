"""Exports: page the contacts list index (never a Scan) into CSV parts, then one file.

`export_part` messages form a chain: each reads up to PAGES_PER_PART pages from the cursor
it carries, writes `<t>/exports/<id>/<n>.csv`, moves the job's part counter from n to n+1
under a condition and queues part n+1 with the next cursor. A redelivered part finds the
counter moved and only re-sends its successor (which is just as idempotent), so the chain
neither forks nor stalls. The last part joins the parts under the header and completes the
job. Every cell is formula-safe (a leading = + - @ tab or CR gets an apostrophe).
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import SERVICE, tenancy
from chalicelib.contacts import logic as contact_logic
from chalicelib.contacts import repository as contacts
from chalicelib.contacts import search
from chalicelib.properties import store
from chalicelib.transfers import csvfile, jobs
from chalicelib.transfers import repository as repo
from chalicelib.transfers.importer import REPORT_URL_SECONDS, _get, _put, presigned
from chalicelib.transfers.models import JobItem
from crm_shared import audit, clock, context, field_permissions
from crm_shared.auth.roles import visibility
from crm_shared.context import Principal
from crm_shared.errors import NotFound, ValidationFailed
from crm_shared.filters import plan
from crm_shared.ids import is_id, new_id

PAGE = 500
PAGES_PER_PART = 4
FIELDS = ("contact_id", "first_name", "last_name", "email", "emails", "phone", "phones",
          "title", "company_id", "owner_id", "team_id", "lifecycle_stage", "tags", "source",
          "birthday", "created_at", "updated_at")
DEFAULT_FIELDS = ("contact_id", "first_name", "last_name", "email", "phone", "title",
                  "company_id", "owner_id", "lifecycle_stage", "tags", "created_at",
                  "updated_at")


def check_request(tenant_id: str, object_type: str, filter_groups: list[Any] | None,
                  fields: list[str] | None) -> dict[str, Any]:
    """The stored form of the request; a 422 naming `filter...` or `fields[i]` if bad."""
    if object_type != "contact":
        raise ValidationFailed.for_field("object_type", "only contact exports are available "
                                         "yet (companies arrive with the companies routes)")
    try:
        search.parse({"filter_groups": filter_groups or []})
    except ValidationFailed as problem:
        for error in problem.errors:
            error["field"] = error["field"].replace("filter_groups", "filter", 1)
        raise
    definitions = store.definitions(tenant_id, "contact", fresh=True)
    for index, name in enumerate(fields or []):
        known = name in FIELDS or (name.startswith("properties.") and
                                   name.removeprefix("properties.") in definitions)
        if not known:
            raise ValidationFailed.for_field(f"fields[{index}]", f"{name!r} is not an "
                                             "exportable field")
    return {"object_type": object_type, "filter": filter_groups or [],
            "fields": list(fields or DEFAULT_FIELDS)}


def submit(principal: Principal, tenant_id: str, request: dict[str, Any]) -> JobItem:
    job = repo.new_job(tenant_id, "export", new_id("exp"), clock.iso(), status="pending",
                       object_type=request["object_type"], request=request,
                       principal=jobs.stored_principal(principal))
    job.save()
    jobs.send(_message(job, 0, None, context.current().correlation_id))
    return job


def get(tenant_id: str, export_id: str) -> JobItem:
    job = repo.get_job(tenant_id, "export", export_id) if is_id(export_id, "exp") else None
    if job is None:
        raise NotFound("no such export")
    return job


def download_url(job: JobItem) -> str | None:
    return presigned("get_object", job.result, REPORT_URL_SECONDS) if job.result else None


def _message(job: JobItem, part: int, cursor: str | None,
             correlation_id: str | None) -> jobs.Message:
    return {"kind": "export_part", "tenant_id": job.tenant_id, "job_id": job.job_id,
            "part": part, "cursor": cursor, "correlation_id": correlation_id}


def _cell(record: dict[str, Any], name: str) -> Any:
    if name.startswith("properties."):
        value = (record.get("properties") or {}).get(name.removeprefix("properties."))
    elif name in ("email", "phone"):
        key = "address" if name == "email" else "number"
        listed = record.get(f"{name}s") or []
        value = next((e[key] for e in listed if e.get("primary")), None)
    elif name in ("emails", "phones"):
        key = "address" if name == "emails" else "number"
        value = [e[key] for e in record.get(name) or []]
    else:
        value = record.get(name)
    return ";".join(map(str, value)) if isinstance(value, list) else value


@jobs.handler("export_part")
def part(message: jobs.Message) -> None:
    tenant_id, number = message["tenant_id"], int(message["part"])
    job = repo.get_job(tenant_id, "export", message["job_id"], consistent=True)
    if job is None or job.status in ("completed", "failed"):
        return
    if int(job.chunks_done) > number:  # a redelivery: make sure the chain goes on
        if int(job.chunks_done) == number + 1:
            _next(job, number, job.cursor, message.get("correlation_id"))
        return
    rows, read, cursor = _rows(job, message.get("cursor"))
    _put(repo.export_part_key(tenant_id, job.job_id, number), csvfile.write(rows))
    try:
        job.update(actions=[JobItem.chunks_done.set(number + 1), JobItem.total.add(len(rows)),
                            JobItem.processed.add(read), JobItem.status.set("running"),
                            JobItem.cursor.set(cursor) if cursor else JobItem.cursor.remove(),
                            JobItem.started_at.set(job.started_at or clock.iso())],
                   condition=JobItem.chunks_done == number)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return  # a concurrent delivery of this part moved the counter: it goes on
    _next(job, number, cursor, message.get("correlation_id"))


def _rows(job: JobItem, cursor: str | None) -> tuple[list[list[Any]], int, str | None]:
    """Up to PAGES_PER_PART pages from `cursor`: the matching rows, items read, next cursor."""
    request = search.parse({"filter_groups": job.request.get("filter") or []})
    chosen = plan(request, search.LIST_INDEXES)
    field = chosen.index.name if chosen else None
    value = str(chosen.partition_value) if chosen else None
    principal = jobs.principal_of(job.principal, job.tenant_id)
    seen = visibility(principal, str(tenancy.settings_of(job.tenant_id).get(
        "record_visibility", "team")))
    fields, rows, read = job.request["fields"], [], 0
    rules = field_permissions.tenant_rules(SERVICE, job.tenant_id)  # the exporter's role
    for _ in range(PAGES_PER_PART):
        items, cursor = contacts.list_records(job.tenant_id, PAGE, cursor, field, value)
        read += len(items)
        for item in items:
            record = field_permissions.mask(contact_logic.record(item), "contact", principal,
                                            rules)
            if not item.deleted and seen.allows(record.get("owner_id"), record.get(
                    "team_id")) and request.matches(search.searchable(record)):
                rows.append([_cell(record, name) for name in fields])
        if not cursor:
            break
    return rows, read, cursor


def _next(job: JobItem, number: int, cursor: str | None, correlation_id: str | None) -> None:
    """Queue part n+1, or join the parts when part n was the last."""
    if cursor:
        jobs.send(_message(job, number + 1, cursor, correlation_id))
    else:
        _finish(job.tenant_id, job.job_id, number + 1)


def _finish(tenant_id: str, export_id: str, parts: int) -> None:
    job = repo.get_job(tenant_id, "export", export_id, consistent=True)
    if job is None or job.status != "running":
        return
    header = csvfile.write([job.request["fields"]])
    body = header + b"".join(_get(repo.export_part_key(tenant_id, export_id, n))
                             for n in range(parts))
    key = repo.export_key(tenant_id, export_id)
    _put(key, body)
    # audited before it completes: a failed report retries the part, never goes missing
    audit.record_export(SERVICE, tenant_id, jobs.principal_of(job.principal, tenant_id).actor,
                        export_id, "contact", int(job.total or 0), job.request["fields"],
                        job.request.get("filter"))
    try:
        repo.set_job(job, condition=JobItem.status == "running", status="completed",
                     finished_at=clock.iso(), result=key)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
