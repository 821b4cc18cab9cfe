"""Consent per contact and channel: the current statement, its full history, its events.

Each statement writes the channel's current item (If-Match guarded), a history entry and
ConsentChanged in one transaction, with a check that the contact still exists, so a
statement can never land on a contact an erasure or merge just removed. Consent also
registers its part of merge (the most recent statement per channel wins), erasure and
export in `chalicelib.parties`, like every feature that holds data about a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import parties
from chalicelib.contacts import logic as contacts
from chalicelib.contacts import repository as contact_store
from chalicelib.contacts.models import ContactItem
from chalicelib.privacy import repository
from chalicelib.privacy.models import ConsentHistoryItem, ConsentItem, ConsentRecord
from chalicelib.privacy.schemas import CHANNELS, ConsentIn
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.contacts_events import ConsentChanged
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

MOVE_BATCH = 40  # history entries moved per transaction (a put and a delete each)
MAX_MERGE_HOPS = 10
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Statement:
    status: str
    legal_basis: str | None
    source: str
    obtained_at: str


def channel_of(raw: str) -> str:
    if raw not in CHANNELS:
        raise ValidationFailed.for_field("channel", f"must be one of {', '.join(CHANNELS)}")
    return raw


def shown(item: ConsentItem) -> dict[str, Any]:
    return {"contact_id": item.contact_id, "channel": item.channel, "status": item.status,
            "legal_basis": item.legal_basis, "source": item.source,
            "obtained_at": item.obtained_at, "changed_at": item.changed_at,
            "changed_by": item.changed_by, "version": item.version or 0}


def shown_change(item: ConsentHistoryItem) -> dict[str, Any]:
    return {"change_id": item.change_id, "channel": item.channel, "status": item.status,
            "legal_basis": item.legal_basis, "source": item.source,
            "obtained_at": item.obtained_at, "changed_at": item.changed_at,
            "changed_by": item.changed_by, "moved_from": item.moved_from}


def _statement(cmd: ConsentIn) -> Statement:
    if cmd.status is None:
        raise ValidationFailed.for_field("status", "is required")
    if cmd.status == "granted" and cmd.legal_basis is None:
        raise ValidationFailed.for_field("legal_basis", "is required when consent is granted")
    obtained = clock.now()
    if cmd.obtained_at is not None:
        if cmd.obtained_at.tzinfo is None:
            raise ValidationFailed.for_field("obtained_at", "needs a time zone (e.g. Z)")
        if cmd.obtained_at > clock.now() + CLOCK_SKEW:
            raise ValidationFailed.for_field("obtained_at", "is in the future")
        obtained = cmd.obtained_at
    return Statement(cmd.status, cmd.legal_basis, cmd.source or "api", clock.iso(obtained))


def _same(current: ConsentItem, statement: Statement, obtained_given: bool) -> bool:
    """A repeated PUT changes nothing (PUT is idempotent): same status, basis and source."""
    return (current.status, current.legal_basis, current.source) == (
        statement.status, statement.legal_basis, statement.source) and (
        not obtained_given or current.obtained_at == statement.obtained_at)


def set_consent(principal: Principal, tenant_id: str, contact_id: str, channel: str,
                cmd: ConsentIn, if_match: int | None) -> ConsentItem:
    """Record a statement: 3 round trips (contact, current, transaction), 2 if unchanged."""
    channel = channel_of(channel)
    contacts.get(principal, tenant_id, contact_id)
    statement = _statement(cmd)
    current = repository.get_current(tenant_id, contact_id, channel)
    if if_match is not None and if_match != (current.version if current else 0):
        raise PreconditionFailed("the consent changed since you read it",
                                 code="version_mismatch")
    if current is not None and _same(current, statement, cmd.obtained_at is not None):
        return current
    return _write(tenant_id, contact_id, channel, statement, current, principal.actor)


def _write(tenant_id: str, contact_id: str, channel: str, statement: Statement,
           current: ConsentItem | None, actor: str,
           into: UnitOfWork | None = None) -> ConsentItem:
    """The statement's writes; into a caller's unit of work (a consumer's, committed with
    its idempotency marker) when given, else in a transaction of its own."""
    changed_at = clock.iso()
    fields = {"status": statement.status, "legal_basis": statement.legal_basis,
              "source": statement.source, "obtained_at": statement.obtained_at,
              "changed_at": changed_at, "changed_by": actor, "change_id": new_id("csc")}
    item = repository.new_current(tenant_id, contact_id, channel,
                                  current.version if current else None, **fields)
    history = repository.new_history(tenant_id, contact_id, channel, **fields)
    pk, sk = contact_store.contact_keys(tenant_id, contact_id)
    uow = into if into is not None else repository.unit_of_work()
    uow.check(ContactItem, pk, sk, ContactItem.deleted == False,  # noqa: E712
              label="contact")
    uow.put(item, label="version")
    uow.put(history, condition=ConsentHistoryItem.SK.does_not_exist(), label="history")
    uow.emit(ConsentChanged(contact_id=contact_id, channel=channel,
                            status=statement.status, legal_basis=statement.legal_basis,
                            obtained_from=statement.source, changed_at=changed_at),
             tenant_id)
    if into is not None:
        return item
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if "contact" in conflict.labels:
            raise NotFound("no such contact") from conflict
        raise
    return item


def current_state(principal: Principal, tenant_id: str, contact_id: str) -> list[ConsentItem]:
    """Every channel with a statement: a GetItem and a Query."""
    contacts.get(principal, tenant_id, contact_id)
    return sorted(repository.currents(tenant_id, contact_id), key=lambda i: i.channel)


def channel_detail(principal: Principal, tenant_id: str, contact_id: str, channel: str,
                   limit: int, cursor: str | None
                   ) -> tuple[ConsentItem | None, list[ConsentHistoryItem], str | None]:
    """The channel's current statement and a page of its history: 3 round trips."""
    channel = channel_of(channel)
    contacts.get(principal, tenant_id, contact_id)
    history, next_cursor = repository.history_page(tenant_id, contact_id, channel, limit, cursor)
    return repository.get_current(tenant_id, contact_id, channel), history, next_cursor


def record_unsubscribe(tenant_id: str, contact_id: str, channel: str, source: str,
                       occurred_at: str | None = None,
                       into: UnitOfWork | None = None) -> ConsentItem | None:
    """Marketing's Unsubscribed, applied by a consumer: the channel becomes `unsubscribed`.

    Safe to call again (an unsubscribed channel stays as it is) and late (a statement made
    after `occurred_at` wins). A merged contact's survivor is unsubscribed instead; an
    erased, deleted or unknown contact is skipped (None): there is nobody left to ask.
    With `into` the writes join that unit of work (a consumer's) instead of committing.
    """
    channel = channel_of(channel)
    target = _live_contact(tenant_id, contact_id)
    if target is None:
        return None
    current = repository.get_current(tenant_id, target, channel)
    at = occurred_at or clock.iso()
    if current is not None and (current.status == "unsubscribed" or current.obtained_at > at):
        return current
    statement = Statement("unsubscribed", current.legal_basis if current else None,
                          source, at)
    try:
        return _write(tenant_id, target, channel, statement, current, "system:consent", into)
    except NotFound:
        return None


def _live_contact(tenant_id: str, contact_id: str) -> str | None:
    """The contact to act on: itself if live, its survivor if merged, else None."""
    for _ in range(MAX_MERGE_HOPS):
        item = contact_store.get(tenant_id, contact_id, consistent=True) if is_id(
            contact_id, "con") else None
        if item is None:
            return None
        if not item.deleted:
            return contact_id
        contact_id = str(item.doc.get("merged_into") or "")
    return None


# -- the party registry: merge, erasure and export reach consent like any feature --------

def _newer(mine: ConsentRecord, theirs: ConsentRecord) -> bool:
    return (mine.obtained_at, mine.changed_at) > (theirs.obtained_at, theirs.changed_at)


@parties.mover("consents")
def move_consents(tenant_id: str, from_id: str, to_id: str) -> int:
    """History entries move to the survivor; per channel the most recent statement wins.

    History goes first, in batches; the current items last, each in one transaction with
    its deletion, so a retry after a failure finishes the move and never doubles it.
    """
    if not (is_id(from_id, "con") and is_id(to_id, "con")) or from_id == to_id:
        return 0
    moved = 0
    while batch := repository.first_history(tenant_id, from_id, MOVE_BATCH):
        with repository.unit_of_work() as uow:
            for entry in batch:
                uow.put(repository.moved_history(entry, tenant_id, to_id))
                uow.delete(entry)
        moved += len(batch)
    for mine in repository.currents(tenant_id, from_id, consistent=True):
        theirs = repository.get_current(tenant_id, to_id, mine.channel)
        with repository.unit_of_work() as uow:
            uow.delete(mine, label="version")
            if theirs is None or _newer(mine, theirs):
                fields = {name: getattr(mine, name) for name in (
                    "status", "legal_basis", "source", "obtained_at", "changed_at",
                    "changed_by", "change_id")}
                uow.put(repository.new_current(tenant_id, to_id, mine.channel,
                                               theirs.version if theirs else None, **fields),
                        label="version")
                uow.emit(ConsentChanged(contact_id=to_id, channel=mine.channel,
                                        status=mine.status, legal_basis=mine.legal_basis,
                                        obtained_from=mine.source, changed_at=mine.changed_at),
                         tenant_id)
        moved += 1
    return moved


@parties.eraser("consents")
def erase_consents(tenant_id: str, party_id: str) -> int:
    """Every statement goes, history included: which channels a person allowed, and when,
    is personal data too. Suppression after erasure is marketing's (on ContactErased)."""
    if not is_id(party_id, "con"):
        return 0
    return repository.delete_partition(tenant_id, party_id)


@parties.exporter("consents")
def export_consents(tenant_id: str, party_id: str) -> list[dict[str, Any]]:
    if not is_id(party_id, "con"):
        return []
    out: list[dict[str, Any]] = [{"kind": "current", **shown(item)}
                                 for item in repository.currents(tenant_id, party_id, True)]
    out += [{"kind": "history", **shown_change(item)}
            for item in repository.all_history(tenant_id, party_id)]
    return out
