"""Order imports: accept a CSV, group its rows into orders and store whole orders per chunk
(the sales imports' `ORDERS` kind, run by imports.logic); write a chunk's orders through the
orders feature's idempotent upsert on (source, external_id).

Cost per order (DynamoDB requests): the import fingerprints are one consistent BatchGetItem
per 100 orders, so an unchanged order of a re-import costs nothing more; a new or changed
order is the orders feature's upsert (a claim GetItem, the record, one TransactWriteItems)
plus one PutItem of its fingerprint; products named by name are read once per distinct name
of the chunk. An order has one row per line, so per row it is less.

Redelivery-safe: orders are claimed by (source, external_id), so a redelivered chunk cannot
create one twice; its fingerprint records which import wrote it and how it was counted, and
the chunk's counts are added once, with its `done` mark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib.imports import domain as imports
from chalicelib.imports import logic as runs
from chalicelib.imports import repository as repo
from chalicelib.imports.jobs import queue
from chalicelib.imports.logic import ORDERS
from chalicelib.imports.models import ImportJobItem
from chalicelib.order_imports import domain
from chalicelib.order_imports.domain import Group, RowError, RowProblem
from chalicelib.order_imports.schemas import OrderImportIn
from chalicelib.orders import logic as orders
from chalicelib.orders.schemas import OrderCreate
from chalicelib.products import logic as products
from crm_shared.context import Principal
from crm_shared.errors import Problem
from crm_shared.jobs import Message, principal_of
from crm_shared.validation import validate


def submit(principal: Principal, tenant_id: str, body: OrderImportIn) -> ImportJobItem:
    """Check the file against the mapping, store its chunks of whole orders, queue them."""
    header, mapping, rows = runs.parse(body.csv, body.mapping, domain.default_mapping,
                                       domain.check_mapping)
    index = {name: i for i, name in enumerate(header)}
    keyed = []
    for number, cells in rows:  # group by the raw cells; a short row keeps its own group
        values = {t: cells[index[c]].strip() for c, t in mapping.items() if index[c] < len(cells)}
        keyed.append((number, values, cells))
    groups = domain.group_rows([(n, v) for n, v, _ in keyed], body.source)
    cells_of = {n: c for n, _, c in keyed}
    chunks = imports.chunked([(n, cells_of[n]) for n, _ in group.rows] for group in groups)
    return runs.start(ORDERS, principal, tenant_id, header, len(rows), chunks,
                      {"mapping": mapping, "currency": body.currency, "source": body.source})


# -- the queue's side ----------------------------------------------------------------------


@dataclass
class OrderChunkWriter:
    job: ImportJobItem
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    catalog: products.ProductCache = field(init=False)

    def __post_init__(self) -> None:
        self.catalog = products.ProductCache(self.job.tenant_id)

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
        product_ids = {}  # a product name (lowercase) -> its id, None when unknown
        for name in {v["product"].lower() for _, v in parsed if v.get("product")}:
            found = self.catalog.find(name)
            product_ids[name] = str(found["product_id"]) if found else None
        ready = []
        for group in groups:
            try:
                fields = domain.order_fields(group, str(job.request["currency"]), column_of,
                                             product_ids)
                fields = validate(OrderCreate, fields).model_dump(mode="json",
                                                                  exclude_none=True)
            except RowProblem as problem:
                self._fail(group, problem.column, problem.field, problem.message)
                continue
            except Problem as problem:
                self._fail_problem(group, problem)
                continue
            ready.append((group, fields, repo.order_key_pk(job.tenant_id, group.source,
                                                           group.external_id)))
        known = repo.row_keys([pk for _, _, pk in ready])
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


@queue.handler(ORDERS.chunk_kind)
def chunk(message: Message) -> None:
    """Write one chunk's orders and count them once; the last chunk finishes the import."""
    runs.write_chunk(ORDERS, message, OrderChunkWriter)
