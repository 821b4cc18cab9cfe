"""Writing one chunk of contact rows: new rows in shared transactions, matches as PATCHes.

Cost per row (DynamoDB requests): the upsert lookups are one consistent BatchGetItem per
100 rows; new rows share a TransactWriteItems of up to 100 items (about 15-20 rows), so
the claims of every email and phone stay unique and each contact commits with its
ContactCreated event; a matched row is one PATCH (GetItem + TransactWriteItems).

An `external_id` column is the import's own: a key item of the transfers feature, written
with a new contact, maps it to the contact (upsert_key `external_id`).

Redelivery-safe: a new row's contact id is derived from (import, row number), so the
second attempt at a row finds its own contact (the put or the claim fails on it) and
counts it as created instead of creating it twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib import tenancy
from chalicelib.contacts import domain, logic
from chalicelib.contacts import repository as contacts
from chalicelib.contacts.models import ContactEntryItem
from chalicelib.contacts.schemas import ContactCreate, ContactFields
from chalicelib.transfers import contact_rows
from chalicelib.transfers import repository as transfers
from crm_shared import clock
from crm_shared.contact_data import normalize_email, normalize_phone
from crm_shared.context import Principal
from crm_shared.errors import NotFound, Problem
from crm_shared.events.contacts_events import ContactCreated
from crm_shared.imports import RowError, row_id
from crm_shared.unit_of_work import MAX_ITEMS, TransactionConflict
from crm_shared.validation import validate

BATCH_GET = 100
KINDS = {"email": "EMAIL", "phone": "PHONE"}


@dataclass(frozen=True)
class ImportSpec:
    """What a chunk needs to know about its import."""

    tenant_id: str
    import_id: str
    created_ms: int
    principal: Principal
    header: list[str]
    mapping: dict[str, str]
    upsert_key: str | None


@dataclass
class NewRow:
    number: int
    contact_id: str
    doc: dict[str, Any]
    entries: domain.Entries
    key: str | None
    external_id: str | None = None


@dataclass
class ChunkWriter:
    spec: ImportSpec
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    pending: list[NewRow] = field(default_factory=list)
    pending_claims: set[tuple[str, str]] = field(default_factory=set)
    pending_items: int = 0

    # -- the chunk -------------------------------------------------------------------

    def run(self, rows: list[tuple[int, list[str]]]) -> None:
        self.counts["processed"] += len(rows)
        parsed = [p for p in (self._parse(n, cells) for n, cells in rows) if p is not None]
        found = self._lookup([key for _, _, key, _ in parsed if key])
        seen: set[str] = set()
        for number, payload, key, external_id in parsed:
            match = found.get(key) if key else None
            if key and key in seen:  # an earlier row of this chunk may have created it
                self._flush()
                match = self._lookup([key]).get(key)
            if key:
                seen.add(key)
            if match and match[0] == self._own_id(number):
                self.counts["created"] += 1  # written by an earlier attempt at this chunk
            elif match:
                self._update(number, payload, *match)
            else:
                self._create(number, payload, key, external_id)
        self._flush()

    def _own_id(self, number: int) -> str:
        return row_id("con", self.spec.import_id, self.spec.created_ms, number)

    def _fail(self, number: int, problem: Problem) -> None:
        self.counts["failed"] += 1
        for error in problem.errors or [{"field": "", "message": problem.detail}]:
            self.errors.append(RowError(number, contact_rows.column_of(
                error["field"], self.spec.mapping), error["field"], error["message"]))

    def _parse(self, number: int, cells: list[str]) -> tuple[int, dict[str, Any],
                                                             str | None, str | None] | None:
        if len(cells) != len(self.spec.header):
            self.counts["failed"] += 1
            self.errors.append(RowError(number, "", "", f"has {len(cells)} cells; the header "
                                        f"has {len(self.spec.header)}"))
            return None
        index = {name: i for i, name in enumerate(self.spec.header)}
        values = {target: cells[index[column]].strip() for column, target in
                  self.spec.mapping.items() if cells[index[column]].strip()}
        external_id = values.pop("external_id", None)
        try:
            payload = contact_rows.payload(self.spec.tenant_id, values)
            region = str(tenancy.settings_of(self.spec.tenant_id)["default_phone_region"])
            for email in payload.get("emails", []):
                email["address"] = normalize_email(email["address"], "emails[0].address")
            for phone in payload.get("phones", []):
                phone["number"] = normalize_phone(phone["number"], region, "phones[0].number")
        except Problem as problem:
            self._fail(number, problem)
            return None
        key = None
        if self.spec.upsert_key == "email" and payload.get("emails"):
            key = "email:" + payload["emails"][0]["address"]
        elif self.spec.upsert_key == "phone" and payload.get("phones"):
            key = "phone:" + payload["phones"][0]["number"]
        elif self.spec.upsert_key == "external_id" and external_id:
            key = "external_id:" + external_id
        return number, payload, key, external_id

    # -- matches -----------------------------------------------------------------------

    def _lookup(self, keys: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """key -> (contact id, record) of the claims that exist: BatchGetItem, 100 a time."""
        wanted = {}
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        external = [k.partition(":")[2] for k in set(keys) if k.startswith("external_id:")]
        if external:
            ids = transfers.external_keys(self.spec.tenant_id, "contact", external)
            records = contacts.get_many(self.spec.tenant_id, list(ids.values()))
            for value, contact_id in ids.items():
                item = records.get(contact_id)
                found["external_id:" + value] = (contact_id, logic.record(item)
                                                 if item is not None else {})
        for key in set(keys):
            kind, _, value = key.partition(":")
            if kind in KINDS:
                wanted[contacts.claim_pk(self.spec.tenant_id, KINDS[kind], value)] = key
        pks = sorted(wanted)
        for start in range(0, len(pks), BATCH_GET):
            batch = [(pk, contacts.CLAIM) for pk in pks[start:start + BATCH_GET]]
            for entry in ContactEntryItem.batch_get(batch, consistent_read=True):
                found[wanted[entry.PK]] = (entry.contact_id, dict(entry.record or {}))
        return found

    def _update(self, number: int, payload: dict[str, Any], contact_id: str,
                current: dict[str, Any]) -> None:
        try:
            cmd = validate(ContactFields, contact_rows.merged(payload, current))
            item = logic.update(self.spec.principal, self.spec.tenant_id, contact_id, cmd, None)
        except NotFound:
            target = self.spec.upsert_key or ""
            self.errors.append(RowError(number, contact_rows.column_of(
                target, self.spec.mapping), target, f"matches contact {contact_id}, which "
                "you may not change"))
            self.counts["failed"] += 1
            return
        except Problem as problem:
            self._fail(number, problem)
            return
        changed = item.version != current.get("version")
        self.counts["updated" if changed else "skipped"] += 1

    # -- new rows ----------------------------------------------------------------------

    def _create(self, number: int, payload: dict[str, Any], key: str | None,
                external_id: str | None = None) -> None:
        principal, tenant_id = self.spec.principal, self.spec.tenant_id
        try:  # what logic.create does before it writes, step by step
            cmd = validate(ContactCreate, payload)
            doc = logic._normalized(tenant_id, cmd.model_dump(mode="json", exclude_none=True))
            if principal.kind == "user" and "owner_id" not in doc:
                doc["owner_id"] = principal.subject
            domain.require_identity(doc)
        except Problem as problem:
            self._fail(number, problem)
            return
        entries = domain.entries_of(doc)
        claims = {("EMAIL", e) for e in entries.emails} | {("PHONE", p) for p in entries.phones}
        size = 3 + len(claims) + len(entries.tags) + (1 if external_id else 0)
        if claims & self.pending_claims or self.pending_items + size > MAX_ITEMS:
            self._flush()
        self.pending.append(NewRow(number, self._own_id(number), doc, entries, key,
                                   external_id))
        self.pending_claims |= claims
        self.pending_items += size

    def _flush(self) -> None:
        rows, self.pending, self.pending_claims, self.pending_items = self.pending, [], set(), 0
        while rows:
            uow = contacts.unit_of_work()
            now = clock.iso()
            for row in rows:
                item = contacts.new_record(self.spec.tenant_id, row.contact_id, row.doc, now)
                uow.put(item, label=f"row:{row.number}")
                shown = logic.record(item) | {"version": 1}
                contacts.write_entries(uow, self.spec.tenant_id, row.contact_id, shown, None,
                                       row.entries)
                if row.external_id:
                    transfers.claim_external_key(uow, self.spec.tenant_id, "contact",
                                                 row.external_id, row.contact_id,
                                                 f"external_id:{row.external_id}")
                uow.emit(ContactCreated(contact_id=row.contact_id, contact=shown),
                         self.spec.tenant_id)
            try:
                uow.commit()
            except TransactionConflict as conflict:
                rows = self._resolve(rows, conflict.labels)
                continue
            self.counts["created"] += len(rows)
            return

    def _resolve(self, rows: list[NewRow], labels: list[str]) -> list[NewRow]:
        """Settle the rows whose conditions failed; the others are tried again."""
        settled: set[int] = set()
        by_number = {row.number: row for row in rows}
        by_claim = {f"{kind}:{value}": row for row in rows
                    for kind, values in (("email", row.entries.emails),
                                         ("phone", row.entries.phones),
                                         ("external_id", [row.external_id] if row.external_id
                                          else [])) for value in values}
        for label in labels:
            row = by_number.get(int(label[4:])) if label.startswith("row:") else \
                by_claim.get(label)
            if row is None or row.number in settled:
                continue
            settled.add(row.number)
            if label.startswith("row:"):
                self.counts["created"] += 1  # an earlier attempt wrote it
                continue
            kind = label.partition(":")[0]
            owner = self._lookup([label]).get(label)
            if owner and owner[0] == row.contact_id:
                self.counts["created"] += 1
            elif owner and label == row.key:  # created meanwhile by another chunk: update it
                self._update(row.number, _as_payload(row.doc), *owner)
            else:
                field = {"email": "emails[0].address", "phone": "phones[0].number"}.get(
                    kind, "external_id")
                self._fail(row.number, Problem.for_field(
                    field, f"already belongs to contact {owner[0] if owner else '?'}"))
        if not settled:
            raise RuntimeError(f"import transaction failed on {labels}")
        return [row for row in rows if row.number not in settled]


def _as_payload(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored doc as a PATCH body (the owner stays the existing contact's)."""
    return {k: v for k, v in doc.items() if k != "owner_id"}
