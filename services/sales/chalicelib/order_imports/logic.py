"""Order imports: accept a CSV, group its rows into orders, store whole orders per chunk and
queue the chunks; write a chunk's orders through the orders feature's idempotent upsert on
(source, external_id); count each chunk once; finish when all are counted.

Cost per order (DynamoDB requests): the import fingerprints are one consistent BatchGetItem
per 100 orders, so an unchanged order of a re-import costs nothing more; a new or changed
order is the orders feature's upsert (a claim GetItem, the record, one TransactWriteItems)
plus one PutItem of its fingerprint; products named by name are read once per distinct name.
An order has one row per line, so per row it is less.

Redelivery-safe: orders are claimed by (source, external_id), so a redelivered chunk cannot
create one twice; its fingerprint records which import wrote it and how it was counted, and
the chunk's counts are added once, with its `done` mark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib.imports import domain as imports
from chalicelib.imports import repository as import_repo
from chalicelib.imports.jobs import queue
from chalicelib.imports.models import ImportJobItem
from chalicelib.order_imports import domain
from chalicelib.order_imports import repository as repo
from chalicelib.order_imports.domain import Group, RowError, RowProblem
from chalicelib.order_imports.schemas import OrderImportIn
from chalicelib.orders import logic as orders
from chalicelib.orders.schemas import OrderCreate
from chalicelib.products import logic as products
from crm_shared import clock, context
from crm_shared.context import Principal
from crm_shared.errors import NotFound, Problem, ValidationFailed
from crm_shared.ids import is_id, new_id
from crm_shared.jobs import Message, principal_of, stored_principal
from crm_shared.unit_of_work import TransactionConflict
from crm_shared.validation import validate

PREFIX = "imp"
CHUNK_KIND = "order_import_chunk"
MAX_ERRORS_SHOWN = 1000


def _chunked(groups: list[Group],
             cells_of: dict[int, list[str]]) -> list[list[tuple[int, list[str]]]]:
    """Whole orders per chunk, about imports.CHUNK_ROWS rows and CHUNK_BYTES of cells."""
    chunks: list[list[tuple[int, list[str]]]] = []
    current: list[tuple[int, list[str]]] = []
    size = 0
    for group in groups:
        rows = [(n, cells_of[n]) for n, _ in group.rows]
        cost = sum(sum(len(c.encode()) + 4 for c in cells) + 12 for _, cells in rows)
        if current and (len(current) + len(rows) > imports.CHUNK_ROWS or
                        size + cost > imports.CHUNK_BYTES):
            chunks.append(current)
            current, size = [], 0
        current += rows
        size += cost
    if current:
        chunks.append(current)
    return chunks


def submit(principal: Principal, tenant_id: str, body: OrderImportIn) -> ImportJobItem:
    """Check the file against the mapping, store its chunks of whole orders, queue them."""
    header, rows = imports.read(body.csv)
    if not header or not any(header):
        raise ValidationFailed.for_field("csv", "has no header row")
    mapping = dict(body.mapping or domain.default_mapping(header))
    problems = domain.check_mapping(header, mapping)
    if problems:
        raise ValidationFailed(f"invalid fields: {', '.join(f for f, _ in problems)}",
                               errors=[{"field": f, "message": m} for f, m in problems])
    index = {name: i for i, name in enumerate(header)}
    keyed = []
    for number, cells in rows:  # group by the raw cells; a short row keeps its own group
        values = {t: cells[index[c]].strip() for c, t in mapping.items() if index[c] < len(cells)}
        keyed.append((number, values, cells))
    groups = domain.group_rows([(n, v) for n, v, _ in keyed], body.source)
    chunks = _chunked(groups, {n: c for n, _, c in keyed})
    import_id = new_id(PREFIX)
    job = repo.new_job(
        tenant_id, import_id, clock.iso(), status="running" if chunks else "completed",
        request={"mapping": mapping, "currency": body.currency, "source": body.source},
        header=header, principal=stored_principal(principal), total=len(rows),
        chunks_total=len(chunks))
    if not chunks:
        job.finished_at = job.created_at
    import_repo.save_all([*(repo.new_chunk(tenant_id, import_id, n, c)
                            for n, c in enumerate(chunks)), job])
    correlation_id = context.current().correlation_id
    queue.send(*({"kind": CHUNK_KIND, "tenant_id": tenant_id, "job_id": import_id, "chunk": n,
                  "correlation_id": correlation_id} for n in range(len(chunks))))
    return job


def get(tenant_id: str, import_id: str) -> ImportJobItem:
    job = repo.get_job(tenant_id, import_id) if is_id(import_id, PREFIX) else None
    if job is None:
        raise NotFound("no such import")
    return job


def errors_of(job: ImportJobItem) -> tuple[list[dict[str, Any]], bool]:
    if not job.failed:
        return [], False
    found = sorted(repo.chunk_errors(job.tenant_id, job.import_id),
                   key=lambda e: (e["row"], e["column"]))
    return found[:MAX_ERRORS_SHOWN], len(found) > MAX_ERRORS_SHOWN


def finish(tenant_id: str, import_id: str) -> None:
    job = repo.get_job(tenant_id, import_id, consistent=True)
    if job is None or job.status != "running" or job.chunks_done < job.chunks_total:
        return
    try:
        with import_repo.unit_of_work() as uow:
            import_repo.finish(uow, job, clock.iso())
    except TransactionConflict:
        return  # another chunk finished it


# -- the queue's side ----------------------------------------------------------------------


@dataclass
class OrderChunkWriter:
    job: ImportJobItem
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    products: dict[str, str | None] = field(default_factory=dict)

    @property
    def column_of(self) -> dict[str, str]:
        return {t: c for c, t in self.job.request["mapping"].items()}

    def _fail(self, group: Group, column: str, field_name: str, message: str) -> None:
        self.counts["failed"] += len(group.rows)
        self.errors.append(RowError(group.rows[0][0], column, field_name, message))

    def run(self, rows: list[tuple[int, list[str]]]) -> None:
        job, column_of = self.job, self.column_of
        header, mapping = [str(h) for h in job.header], dict(job.request["mapping"])
        self.counts["processed"] += len(rows)
        parsed = []
        for number, cells in rows:
            try:
                parsed.append((number, imports.values_of(header, mapping, cells)))
            except RowProblem as problem:
                self.counts["failed"] += 1
                self.errors.append(RowError(number, problem.column, problem.field,
                                            problem.message))
        groups = domain.group_rows(parsed, str(job.request["source"]))
        for name in {v["product"].lower() for _, v in parsed if v.get("product")}:
            if name not in self.products:
                found = products.find_by_name(job.tenant_id, name)
                self.products[name] = str(found["product_id"]) if found else None
        ready = []
        for group in groups:
            try:
                fields = domain.order_fields(group, str(job.request["currency"]), column_of,
                                             self.products)
                fields = validate(OrderCreate, fields).model_dump(mode="json",
                                                                  exclude_none=True)
            except RowProblem as problem:
                self._fail(group, problem.column, problem.field, problem.message)
                continue
            except Problem as problem:
                self._fail_problem(group, problem)
                continue
            ready.append((group, fields, repo.key_pk(job.tenant_id, group.source,
                                                     group.external_id)))
        known = repo.keys([pk for _, _, pk in ready])
        for group, fields, pk in ready:
            self._write(group, fields, pk, known.get(pk))

    def _fail_problem(self, group: Group, problem: Problem) -> None:
        self.counts["failed"] += len(group.rows)
        for error in problem.errors or [{"field": "", "message": problem.detail}]:
            self.errors.append(RowError(group.rows[0][0], domain.column_for(
                error["field"], self.column_of), error["field"], error["message"]))

    def _write(self, group: Group, fields: dict[str, Any], pk: str, key: Any) -> None:
        job = self.job
        fingerprint = imports.fingerprint(fields)
        stored = str(key.fingerprint).split("|") if key is not None else []
        if stored and stored[0] == fingerprint:
            # unchanged since an import wrote it; this import's own (a redelivery) as counted
            outcome = stored[2] if len(stored) == 3 and stored[1] == job.import_id \
                else "skipped"
            self.counts[outcome] += len(group.rows)
            return
        principal = principal_of(job.principal, job.tenant_id)
        try:
            record, created = orders.create(principal, job.tenant_id, fields, upsert=True)
        except Problem as problem:
            self._fail_problem(group, problem)
            return
        outcome = "created" if created else "updated" \
            if str(record["updated_at"]) >= job.created_at else "skipped"
        repo.remember(pk, str(record["order_id"]), f"{fingerprint}|{job.import_id}|{outcome}")
        self.counts[outcome] += len(group.rows)


@queue.handler(CHUNK_KIND)
def chunk(message: Message) -> None:
    """Write one chunk's orders and count them once; the last chunk finishes the import."""
    tenant_id, import_id, index = message["tenant_id"], message["job_id"], message["chunk"]
    job = repo.get_job(tenant_id, import_id, consistent=True)
    if job is None or job.status != "running":
        return
    item = repo.get_chunk(tenant_id, import_id, int(index))
    if item is None:
        return
    if not item.done:
        context.current().principal = principal_of(job.principal, tenant_id)
        writer = OrderChunkWriter(job)
        writer.run([(int(n), list(cells)) for n, cells in item.rows or []])
        errors = [e.as_dict() for e in sorted(writer.errors, key=lambda e: e.row)]
        try:
            with import_repo.unit_of_work() as uow:
                import_repo.count_chunk(uow, job, item, dict(writer.counts), errors)
        except TransactionConflict as conflict:
            if "chunk_done" not in conflict.labels:
                raise
    finish(tenant_id, import_id)

