"""Writing one chunk of company rows (first pass), and setting parents (second pass).

Matching: by the request's `upsert_key` (domain, external_id or name); by default a row's
domain, then its name. Cost per row (DynamoDB requests): domain claims, external ids and
the matched records are consistent BatchGetItems of 100; a name is one Query per distinct
name of the chunk not already matched by domain; new rows share TransactWriteItems of up
to 100 items; a matched row that changed is one TransactWriteItems (unchanged: nothing).

Redelivery-safe: a new row's company id is derived from (import, row number), so a second
attempt at the row finds its own company (by key, or the conditional put fails on it) and
counts it as created; the chunk's counts are added once with its marker.

Second pass: a row with `subsidiary_of` is recorded on its chunk's marker as (row,
company, the cell, its parent after the first pass); once every chunk is counted, one
`company_link` message per chunk resolves each cell (external_id, then domain, then name)
and sets parent_id through the companies feature (which refuses cycles). A parent that
does not exist or would make a cycle is a row error naming subsidiary_of.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from chalicelib.companies import domain as companies_domain
from chalicelib.companies import logic as companies
from chalicelib.companies import repository as company_repo
from chalicelib.companies.models import CompanyItem
from chalicelib.companies.schemas import CompanyCreate, CompanyFields
from chalicelib.relationships import logic as relationships
from chalicelib.transfers import company_rows
from chalicelib.transfers import repository as repo
from chalicelib.transfers.contact_import import ImportSpec
from crm_shared import clock
from crm_shared.auth.roles import Visibility
from crm_shared.errors import Problem, ValidationFailed
from crm_shared.imports import RowError, row_id
from crm_shared.unit_of_work import MAX_ITEMS, TransactionConflict, UnitOfWork
from crm_shared.validation import validate

OBJECT = "company"


@dataclass
class Parsed:
    number: int
    payload: dict[str, Any]
    external_id: str | None
    subsidiary_of: str | None
    keys: list[tuple[str, str]]  # (kind, value) to match by, first found wins


@dataclass
class NewRow:
    parsed: Parsed
    item: CompanyItem
    size: int


@dataclass
class CompanyChunkWriter:
    spec: ImportSpec
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    links: list[list[Any]] = field(default_factory=list)
    pending: list[NewRow] = field(default_factory=list)
    pending_domains: set[str] = field(default_factory=set)
    pending_items: int = 0
    seen: Visibility | None = None  # whom the importing user may change, set by run

    def _own_id(self, number: int) -> str:
        return row_id("cmp", self.spec.import_id, self.spec.created_ms, number)

    def _fail(self, number: int, problem: Problem) -> None:
        self.counts["failed"] += 1
        for error in problem.errors or [{"field": "", "message": problem.detail}]:
            self.errors.append(RowError(number, company_rows.column_of(
                error["field"], self.spec.mapping), error["field"], error["message"]))

    # -- the chunk ---------------------------------------------------------------------

    def run(self, rows: list[tuple[int, list[str]]]) -> None:
        self.counts["processed"] += len(rows)
        parsed = [p for p in (self._parse(n, cells) for n, cells in rows) if p is not None]
        self.seen = relationships.seen_by(self.spec.principal, self.spec.tenant_id)
        found = self._lookup(parsed)
        records = company_repo.get_consistent(self.spec.tenant_id, list(found.values()))
        used: set[tuple[str, str]] = set()
        for row in parsed:
            if any(k in used for k in row.keys):  # an earlier row of the chunk may have it
                self._flush()
                found.update(self._lookup([row]))
                records.update(company_repo.get_consistent(
                    self.spec.tenant_id, [found[k] for k in row.keys if found.get(k)]))
            used.update(row.keys)
            key = next((k for k in row.keys if k in found), None)
            match = found[key] if key else None
            if match == "":
                self._fail(row.number, ValidationFailed.for_field(
                    "name", f"{row.payload.get('name')!r} names more than one company; "
                    "match by domain or external_id"))
            elif match == self._own_id(row.number):
                self.counts["created"] += 1  # written by an earlier attempt at this chunk
                self._link(row, match, records.get(match))
            elif match and match in records and not records[match].deleted:
                self._update(row, records[match])
            elif match and key:
                self._fail(row.number, ValidationFailed.for_field(
                    key[0], f"matches company {match}, which was deleted"))
            else:
                self._create(row)
        self._flush()

    def _parse(self, number: int, cells: list[str]) -> Parsed | None:
        header = self.spec.header
        if len(cells) != len(header):
            self.counts["failed"] += 1
            self.errors.append(RowError(number, "", "", f"has {len(cells)} cells; the header "
                                        f"has {len(header)}"))
            return None
        index = {name: i for i, name in enumerate(header)}
        values = {target: cells[index[column]].strip() for column, target in
                  self.spec.mapping.items() if cells[index[column]].strip()}
        try:
            payload, external_id, parent = company_rows.payload(self.spec.tenant_id, values)
            cmd = validate(CompanyCreate, payload)
            payload = companies._normalized(self.spec.tenant_id,
                                            cmd.model_dump(mode="json", exclude_none=True))
        except Problem as problem:
            self._fail(number, problem)
            return None
        wanted = (self.spec.upsert_key,) if self.spec.upsert_key else ("domain", "name")
        keys = []
        for kind in wanted:
            value = external_id if kind == "external_id" else payload.get(kind)
            if value:
                keys.append((kind, str(value).strip().lower() if kind == "name" else
                             str(value)))
        return Parsed(number, payload, external_id, parent, keys)

    # -- matches -----------------------------------------------------------------------

    def _lookup(self, rows: list[Parsed]) -> dict[tuple[str, str], str]:
        """(kind, value) -> company id for every key of `rows` that matches."""
        tenant_id = self.spec.tenant_id
        keys = {k for row in rows for k in row.keys}
        found: dict[tuple[str, str], str] = {}
        ext = repo.external_keys(tenant_id, OBJECT, [v for k, v in keys if k == "external_id"])
        found.update({("external_id", v): i for v, i in ext.items()})
        owners = company_repo.domain_owners(tenant_id, [v for k, v in keys if k == "domain"])
        found.update({("domain", v): i for v, i in owners.items()})
        for row in rows:  # a name only when nothing before it in the row matched
            for key in row.keys:
                if key in found:
                    break
                if key[0] == "name":
                    ids = company_repo.named(tenant_id, key[1])
                    if len(ids) > 1:
                        found[key] = ""  # ambiguous: reported by _ambiguous
                    elif ids:
                        found[key] = ids[0]
        return found

    def _update(self, row: Parsed, item: CompanyItem) -> None:
        current = dict(item.doc)
        if self.seen is not None and \
                not self.seen.allows(current.get("owner_id"), current.get("team_id")):
            self._fail(row.number, ValidationFailed.for_field(
                row.keys[0][0] if row.keys else "", f"matches company {item.company_id}, "
                "which you may not change"))
            return
        version = item.version
        try:
            sent = company_rows.merged(row.payload, current)
            cmd = validate(CompanyFields, sent)
            changes = companies._normalized(self.spec.tenant_id,
                                            cmd.model_dump(mode="json", exclude_unset=True),
                                            current.get("properties"))
            saved = companies.save(item, changes, self.seen)
        except Problem as problem:
            self._fail(row.number, problem)
            return
        except TransactionConflict:
            self._fail(row.number, ValidationFailed.for_field(
                "name", f"company {item.company_id} changed while importing; import again"))
            return
        self.counts["updated" if saved.version != version else "skipped"] += 1
        if row.external_id:
            self._keep_external_id(row.external_id, item.company_id)
        self._link(row, item.company_id, saved)

    def _keep_external_id(self, external_id: str, company_id: str) -> None:
        """Remember the row's external id for a company matched another way (once)."""
        if repo.external_keys(self.spec.tenant_id, OBJECT, [external_id]):
            return
        try:
            with repo.unit_of_work() as uow:
                repo.claim_external_key(uow, self.spec.tenant_id, OBJECT, external_id,
                                        company_id)
        except TransactionConflict:
            pass  # another row or import took it meanwhile: theirs stands

    def _link(self, row: Parsed, company_id: str, item: CompanyItem | None) -> None:
        if row.subsidiary_of:
            parent = item.doc.get("parent_id") if item is not None else None
            self.links.append([row.number, company_id, row.subsidiary_of, parent])

    # -- new rows ----------------------------------------------------------------------

    def _create(self, row: Parsed) -> None:
        doc = dict(row.payload)
        if self.spec.principal.kind == "user" and "owner_id" not in doc:
            doc["owner_id"] = self.spec.principal.subject
        item = company_repo.new_record(self.spec.tenant_id, self._own_id(row.number), doc,
                                       clock.iso())
        size = 4 + len(doc.get("tags") or []) + (1 if row.external_id else 0)
        domain = doc.get("domain")
        if (domain and domain in self.pending_domains) or \
                self.pending_items + size > MAX_ITEMS:
            self._flush()
        self.pending.append(NewRow(row, item, size))
        self.pending_items += size
        if domain:
            self.pending_domains.add(domain)

    def _stage(self, uow: UnitOfWork, new: NewRow) -> None:
        companies.stage_new(uow, new.item)
        if new.parsed.external_id:
            repo.claim_external_key(uow, self.spec.tenant_id, OBJECT, new.parsed.external_id,
                                    new.item.company_id)

    def _flush(self) -> None:
        rows, self.pending, self.pending_domains, self.pending_items = self.pending, [], set(), 0
        if not rows:
            return
        uow = repo.unit_of_work()
        for new in rows:
            self._stage(uow, new)
        try:
            uow.commit()
        except TransactionConflict:
            for new in rows:  # which row failed is not told apart: settle them one by one
                self._create_one(new)
            return
        self.counts["created"] += len(rows)
        for new in rows:
            self._link(new.parsed, new.item.company_id, new.item)

    def _create_one(self, new: NewRow) -> None:
        uow = repo.unit_of_work()
        self._stage(uow, new)
        row = new.parsed
        try:
            uow.commit()
        except TransactionConflict as conflict:
            if "company" in conflict.labels:  # an earlier attempt wrote it
                self.counts["created"] += 1
                self._link(row, new.item.company_id, new.item)
                return
            kind = "domain" if "domain" in conflict.labels else "external_id"
            value = new.item.doc.get("domain") if kind == "domain" else row.external_id
            owner = self._lookup([Parsed(row.number, {}, None, None, [(kind, str(value))])])
            holder = owner.get((kind, str(value)))
            wanted = self.spec.upsert_key in (None, kind) if kind == "domain" else \
                self.spec.upsert_key == kind
            records = company_repo.get_consistent(self.spec.tenant_id,
                                                  [holder] if holder else [])
            if holder and wanted and holder in records:  # another chunk created it meanwhile
                self._update(row, records[holder])
                return
            self._fail(row.number, ValidationFailed.for_field(
                kind, f"already belongs to company {holder or '?'}"))
            return
        self.counts["created"] += 1
        self._link(row, new.item.company_id, new.item)


# -- the second pass ---------------------------------------------------------------------


@dataclass
class LinkWriter:
    spec: ImportSpec
    linked: int = 0
    errors: list[RowError] = field(default_factory=list)

    def _error(self, number: int, message: str) -> None:
        column = {t: c for c, t in self.spec.mapping.items()}.get("subsidiary_of", "")
        self.errors.append(RowError(number, column, "subsidiary_of", message))

    def resolve(self, refs: list[str]) -> dict[str, str | None]:
        """cell -> the one company it names (external_id, then domain, then name), or None;
        "" when a name is ambiguous."""
        tenant_id = self.spec.tenant_id
        out: dict[str, str | None] = dict(repo.external_keys(tenant_id, OBJECT, refs))
        domains: dict[str, str] = {}
        for ref in refs:
            if ref not in out and "." in ref and " " not in ref.strip():
                with suppress(Problem):
                    domains[ref] = companies_domain.normalize_domain(ref)
        owners = company_repo.domain_owners(tenant_id, list(domains.values()))
        for ref, normalized in domains.items():
            if normalized in owners:
                out[ref] = owners[normalized]
        for ref in refs:
            if ref not in out:
                ids = company_repo.named(tenant_id, ref)
                out[ref] = ids[0] if len(ids) == 1 else "" if ids else None
        return out

    def run(self, links: list[list[Any]]) -> None:
        resolved = self.resolve(sorted({str(ref) for _, _, ref, _ in links}))
        seen = relationships.seen_by(self.spec.principal, self.spec.tenant_id)
        for number, company_id, ref, parent_now in links:
            parent = resolved.get(ref)
            if parent == "":
                self._error(number, f"{ref!r} names more than one company; use its domain "
                            "or external_id")
            elif parent is None:
                self._error(number, f"no company has the name, domain or external_id {ref!r}")
            elif parent == company_id:
                self._error(number, "would make the company its own parent")
            elif parent != parent_now:
                self._set_parent(number, company_id, parent, seen)

    def _set_parent(self, number: int, company_id: str, parent: str, seen: Any) -> None:
        item = company_repo.get(self.spec.tenant_id, company_id, consistent=True)
        if item is None or item.deleted:
            self._error(number, f"company {company_id} was deleted before its parent was set")
            return
        if item.doc.get("parent_id") == parent:
            return  # an earlier attempt at this pass set it
        try:
            companies.save(item, {"parent_id": parent}, seen)
        except Problem as problem:
            messages = [e["message"] for e in problem.errors or []] or [problem.detail]
            self._error(number, "; ".join(messages))
            return
        except TransactionConflict:
            self._error(number, "the hierarchy changed while importing; import again")
            return
        self.linked += 1
