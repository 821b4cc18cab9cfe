"""Writing one chunk of an opportunity import (the jobs queue's `opportunity_import_chunk`).

Cost per row (DynamoDB requests): owners and stages are looked up once per distinct value
of the import (per container), products once per distinct name or alias of the chunk (a
`ProductCache`, which opportunities.create_in reads the deals' lines through, so a deal costs
no product read of its own); the row keys are one consistent BatchGetItem per 100 rows; new
deals share TransactWriteItems of up to 100 items (each deal, its history, its events and its
row key); an existing deal (same external id) whose row changed is one update. Measured: 0.18
requests per row on 1,000 Maven rows, all told (tests/api/sales/test_demo_data.py).

Redelivery-safe: a new row's opportunity id is derived from (import, row) and its row key is
written with it, so a second attempt finds its own deal and counts it as created; the chunk's
counts are added once, with the chunk's `done` mark, in one transaction.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from chalicelib.directory import logic as directory
from chalicelib.imports import domain, logic
from chalicelib.imports import repository as repo
from chalicelib.imports.domain import RowProblem
from chalicelib.imports.jobs import queue
from chalicelib.imports.models import ImportJobItem, ImportKeyItem
from chalicelib.opportunities import logic as opportunities
from chalicelib.opportunities.schemas import OpportunityCreate, OpportunityFields
from chalicelib.pipelines import logic as pipelines
from chalicelib.products import logic as products
from crm_shared.context import Principal
from crm_shared.errors import NotFound, Problem
from crm_shared.imports import RowError, created_ms, row_id
from crm_shared.jobs import Message, principal_of
from crm_shared.unit_of_work import MAX_ITEMS, TransactionConflict, UnitOfWork
from crm_shared.validation import validate

KEEPS_EXTERNAL_ID = "external_id" in OpportunityCreate.model_fields


@dataclass(frozen=True)
class Spec:
    """What a chunk needs to know about its import."""

    tenant_id: str
    import_id: str
    created_ms: int
    principal: Principal
    header: list[str]
    mapping: dict[str, str]
    currency: str
    pipeline_id: str

    @property
    def column_of(self) -> dict[str, str]:
        return {target: column for column, target in self.mapping.items()}

    @classmethod
    def of(cls, job: ImportJobItem) -> Spec:
        return cls(job.tenant_id, job.import_id, created_ms(job.created_at),
                   principal_of(job.principal, job.tenant_id), [str(h) for h in job.header or []],
                   dict(job.request["mapping"]), str(job.request["currency"]),
                   str(job.request["pipeline_id"]))


@dataclass
class Row:
    number: int
    opportunity_id: str
    fields: dict[str, Any]
    key_pk: str
    fingerprint: str


@dataclass
class Lookups:
    """What the import's owner and stage names meant, kept by the container for the import's
    next chunks (a Lambda container runs one chunk after another): one read per distinct
    value. Products are a chunk's own (`ChunkWriter.catalog`): their records go into the
    deals' lines, so they are read afresh for each chunk."""

    owners: dict[str, tuple[str, str | None] | None] = field(default_factory=dict)
    stages: dict[str, str | Problem] = field(default_factory=dict)


_LOOKUPS: OrderedDict[str, Lookups] = OrderedDict()
KEPT_IMPORTS = 4


def lookups_of(import_id: str) -> Lookups:
    found = _LOOKUPS.pop(import_id, None) or Lookups()
    _LOOKUPS[import_id] = found
    while len(_LOOKUPS) > KEPT_IMPORTS:
        _LOOKUPS.popitem(last=False)
    return found


@dataclass
class ChunkWriter:
    spec: Spec
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    pending: list[Row] = field(default_factory=list)
    row_items: int = 8  # items a new deal takes in a transaction; grows as measured
    known: Lookups = field(default_factory=Lookups)
    catalog: products.ProductCache = field(init=False)

    def __post_init__(self) -> None:
        self.catalog = products.ProductCache(self.spec.tenant_id)

    # -- the chunk ---------------------------------------------------------------------

    def run(self, rows: list[tuple[int, list[str]]]) -> None:
        self.counts["processed"] += len(rows)
        prepared = [r for r in (self._prepare(n, cells) for n, cells in rows) if r]
        found = repo.row_keys([r.key_pk for r in prepared])
        seen: set[str] = set()
        for row in prepared:
            key = found.get(row.key_pk)
            if row.key_pk in seen:  # an earlier row of this chunk has the same external id
                self._flush()
                key = repo.row_keys([row.key_pk]).get(row.key_pk)
            seen.add(row.key_pk)
            if key is None:
                self.pending.append(row)
            elif key.opportunity_id == row.opportunity_id:
                self.counts["created"] += 1  # written by an earlier attempt at this chunk
            else:
                self._update(row, key)
        self._flush()

    def _fail(self, number: int, column: str, field_name: str, message: str) -> None:
        self.errors.append(RowError(number, column, field_name, message))

    def _fail_problem(self, number: int, problem: Problem) -> None:
        for error in problem.errors or [{"field": "", "message": problem.detail}]:
            self._fail(number, domain.column_for(error["field"], self.spec.column_of),
                       error["field"], error["message"])

    # -- a row's fields ----------------------------------------------------------------

    def _prepare(self, number: int, cells: list[str]) -> Row | None:
        """The row's opportunity fields, or None with its errors recorded (every bad
        lookup of the row is reported, not just the first)."""
        spec, column_of = self.spec, self.spec.column_of
        try:
            values = domain.values_of(spec.header, spec.mapping, cells)
            fields = domain.plain_fields(values, spec.currency, column_of)
        except RowProblem as problem:
            self.counts["failed"] += 1
            self._fail(number, problem.column, problem.field, problem.message)
            return None
        errors_before = len(self.errors)
        fields["pipeline_id"] = spec.pipeline_id
        product_name = None
        if "owner" in values:
            owner = self._owner(values["owner"])
            if owner is None:
                self._fail(number, column_of["owner"], "owner_id", f"no user named "
                           f"{values['owner']!r} (name or email) in the tenant")
            else:
                fields["owner_id"], fields["team_id"] = owner
        if "product" in values:
            product = self.catalog.find(values["product"])
            if product is None:
                self._fail(number, column_of["product"], "product_lines", f"no product "
                           f"named {values['product']!r} (name or alias)")
            else:
                product_name = str(product["name"])
                fields["product_lines"] = [{"product_id": product["product_id"],
                                            "quantity": 1}]
        if "stage" in values:
            stage = self._stage(values["stage"])
            if isinstance(stage, Problem):
                self._fail(number, column_of["stage"], "stage",
                           stage.errors[0]["message"] if stage.errors else stage.detail)
            else:
                fields["stage"] = stage
        if len(self.errors) > errors_before:
            self.counts["failed"] += 1
            return None
        fields["name"] = domain.deal_name(values, product_name, number)
        external_id = values.get("external_id")
        if external_id and KEEPS_EXTERNAL_ID:
            fields["external_id"] = external_id
        return Row(number, row_id("opp", spec.import_id, spec.created_ms, number),
                   fields, repo.row_key_pk(spec.tenant_id, spec.import_id, number, external_id),
                   domain.fingerprint(fields))

    def _owner(self, name_or_email: str) -> tuple[str, str | None] | None:
        """(user id, their team when they have exactly one) of a directory user."""
        text = name_or_email.lower()
        if text not in self.known.owners:
            ref = directory.find_user(self.spec.tenant_id, name_or_email)
            user = directory.user(self.spec.tenant_id, ref.user_id) if ref else None
            teams: tuple[str, ...] = user.team_ids if user else ()
            self.known.owners[text] = (ref.user_id, teams[0] if len(teams) == 1 else None) \
                if ref else None
        return self.known.owners[text]

    def _stage(self, name: str) -> str | Problem:
        if name not in self.known.stages:
            try:
                _, stage = pipelines.resolve(self.spec.tenant_id, self.spec.pipeline_id, name)
                self.known.stages[name] = stage.name
            except Problem as problem:
                self.known.stages[name] = problem
        return self.known.stages[name]

    # -- existing deals ------------------------------------------------------------------

    def _update(self, row: Row, key: ImportKeyItem) -> None:
        """A row whose external id an earlier import (or row) brought in: skipped when it
        asks for what that row asked, else the deal is changed to match it."""
        if key.fingerprint == row.fingerprint:
            self.counts["skipped"] += 1
            return
        spec = self.spec
        sent = {k: v for k, v in row.fields.items() if k != "external_id"}
        try:
            before = opportunities.get(spec.principal, spec.tenant_id, key.opportunity_id)
            version = before.version
            shown = opportunities.update(spec.principal, spec.tenant_id, key.opportunity_id,
                                         validate(OpportunityFields, sent), None)
        except NotFound:
            self.counts["failed"] += 1
            self._fail(row.number, spec.column_of.get("external_id", ""), "external_id",
                       f"matches opportunity {key.opportunity_id}, which is deleted or "
                       "not yours to change")
            return
        except Problem as problem:
            self.counts["failed"] += 1
            self._fail_problem(row.number, problem)
            return
        repo.set_fingerprint(key, row.fingerprint)
        self.counts["updated" if shown.get("version") != version else "skipped"] += 1

    # -- new deals -----------------------------------------------------------------------

    def _flush(self) -> None:
        """Write the pending rows, as many to a transaction as fit."""
        rows, self.pending = self.pending, []
        while rows:
            batch = rows[:max(1, MAX_ITEMS // self.row_items)]
            staged = self._stage_rows(batch)
            failed = {e.row for e in self.errors}
            if staged is None:  # a row was bigger than thought, or left writes behind
                rows = [r for r in rows if r.number not in failed]
                continue
            uow, written = staged
            done = {r.number for r in written} | failed
            try:
                uow.commit()
                self.counts["created"] += len(written)
            except TransactionConflict as conflict:
                done = self._resolve(written, conflict.labels) | failed
            rows = [r for r in rows if r.number not in done]

    def _stage_rows(self, batch: list[Row]) -> tuple[UnitOfWork, list[Row]] | None:
        """One transaction's writes for `batch` (failed rows left out); None when it must
        be staged again: a failed row left writes in it, or it holds too many items."""
        spec, uow, written = self.spec, repo.unit_of_work(), []
        for row in batch:
            before = uow.size
            try:
                opportunities.create_in(uow, spec.principal, spec.tenant_id,
                                        row.opportunity_id, row.fields, self.catalog)
            except Problem as problem:
                self.counts["failed"] += 1
                self._fail_problem(row.number, problem)
                if uow.size != before:
                    return None
                continue
            repo.claim_row_key(uow, repo.new_row_key(row.key_pk, row.opportunity_id,
                                                     row.fingerprint), f"row:{row.number}")
            self.row_items = max(self.row_items, uow.size - before)
            written.append(row)
            if uow.size > MAX_ITEMS:
                if len(written) == 1:
                    self.counts["failed"] += 1
                    self._fail(row.number, "", "", "the deal needs more writes than one "
                               "transaction holds")
                return None
        return uow, written

    def _resolve(self, rows: list[Row], labels: list[str]) -> set[int]:
        """Settle the rows whose key was taken; the others are tried again."""
        by_number = {row.number: row for row in rows}
        taken = [by_number[int(label[4:])] for label in labels
                 if label.startswith("row:") and int(label[4:]) in by_number]
        if not taken:
            raise RuntimeError(f"import transaction failed on {labels}")
        keys = repo.row_keys([row.key_pk for row in taken])
        for row in taken:
            key = keys.get(row.key_pk)
            if key is not None and key.opportunity_id == row.opportunity_id:
                self.counts["created"] += 1  # an earlier attempt wrote it
            elif key is not None:  # another chunk or import brought this external id first
                self._update(row, key)
        return {row.number for row in taken}


@queue.handler(logic.OPPORTUNITIES.chunk_kind)
def chunk(message: Message) -> None:
    """Write one chunk's rows and count them once; the last chunk finishes the import."""
    logic.write_chunk(logic.OPPORTUNITIES, message, lambda job: ChunkWriter(
        Spec.of(job), known=lookups_of(job.import_id)))
