"""The only code that knows the timeline key shapes.

- an interaction: `T#<t>#INTERACTION#<int_id>` / `INTERACTION`;
- a party's timeline (contact or company): `T#<t>#TIMELINE#<party_id>` /
  `<occurred_at>#<entry_id>`, read newest first, a page per Query;
- a party's summary (the 360 card's numbers): `T#<t>#SUMMARY#<party_id>` / `SUMMARY`.
Timeline entries of an interaction are found from the interaction (its parties and its
`occurred_at` give their keys), and a party's interactions from its timeline entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection

from chalicelib import SERVICE
from chalicelib.models import ContactsItem
from chalicelib.timeline import domain
from chalicelib.timeline.models import InteractionItem, SummaryItem, TimelineEntryItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.settings import get_settings
from crm_shared.unit_of_work import UnitOfWork

INTERACTION = "INTERACTION"
SUMMARY = "SUMMARY"
Key = tuple[str, str]


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def interaction_keys(tenant_id: str, interaction_id: str) -> Key:
    return tenant_key(tenant_id, INTERACTION, interaction_id), INTERACTION


def timeline_pk(tenant_id: str, party_id: str) -> str:
    return tenant_key(tenant_id, "TIMELINE", party_id)


def summary_keys(tenant_id: str, party_id: str) -> Key:
    return tenant_key(tenant_id, SUMMARY, party_id), SUMMARY


def entry_item(tenant_id: str, party_id: str, entry: domain.Entry) -> TimelineEntryItem:
    return TimelineEntryItem(
        PK=timeline_pk(tenant_id, party_id), SK=entry.sort_key(), party_id=party_id,
        entry_id=entry.entry_id, kind=entry.kind, summary=entry.summary,
        occurred_at=entry.occurred_at, source=entry.as_dict()["source"], link=entry.link)


def entry_of(item: TimelineEntryItem) -> domain.Entry:
    return domain.Entry(entry_id=item.entry_id, kind=item.kind, summary=item.summary,
                        occurred_at=item.occurred_at, source=domain.Source(**item.source),
                        link=item.link)


def summary_item(tenant_id: str, party_id: str, state: dict[str, Any],
                 version: int | None) -> SummaryItem:
    """The summary to write; `version` is the one read (None: none yet), checked on write."""
    pk, sk = summary_keys(tenant_id, party_id)
    item = SummaryItem(PK=pk, SK=sk, party_id=party_id, **state)
    if version is not None:
        item.version = version
    return item


def state_of(item: SummaryItem | None) -> dict[str, Any]:
    if item is None:
        return domain.empty_summary()
    return {"counts": dict(item.counts or {}), "last_occurred_at": item.last_occurred_at,
            "latest": list(item.latest or []), "latest_by_kind": dict(item.latest_by_kind or {})}


# -- reads ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _connection() -> Connection:
    settings = get_settings()
    return Connection(region=settings.region, host=settings.aws_endpoint_url)


def batch_raw(keys: list[Key], consistent: bool = False) -> dict[Key, dict[str, Any]]:
    """Items of any type by key in one BatchGetItem (<= 100 keys), raw as DynamoDB sent them.

    One round trip for what a write must check: the parties it names and their summaries.
    """
    table = ContactsItem.Meta.table_name
    wanted = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[Key, dict[str, Any]] = {}
    while wanted:
        request: dict[str, Any] = {"Keys": wanted[:100]}
        if consistent:
            request["ConsistentRead"] = True
        response = _connection().dispatch("BatchGetItem", {"RequestItems": {table: request}})
        for raw in response.get("Responses", {}).get(table, []):
            found[(raw["PK"]["S"], raw["SK"]["S"])] = raw
        unprocessed = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        wanted = unprocessed + wanted[100:]
    return found


def summaries(tenant_id: str, party_ids: list[str],
              raw: dict[Key, dict[str, Any]] | None = None) -> dict[str, SummaryItem | None]:
    """Each party's summary (None if it has none yet), from `raw` or one BatchGetItem."""
    keys = {party: summary_keys(tenant_id, party) for party in party_ids}
    raw = raw if raw is not None else batch_raw(list(keys.values()), consistent=True)
    return {party: SummaryItem.from_raw_data(raw[key]) if key in raw else None
            for party, key in keys.items()}


def summary(tenant_id: str, party_id: str) -> SummaryItem | None:
    try:
        return SummaryItem.get(*summary_keys(tenant_id, party_id))
    except SummaryItem.DoesNotExist:
        return None


def get_interaction(tenant_id: str, interaction_id: str,
                    consistent: bool = False) -> InteractionItem | None:
    try:
        return InteractionItem.get(*interaction_keys(tenant_id, interaction_id),
                                   consistent_read=consistent)
    except InteractionItem.DoesNotExist:
        return None


def interactions(tenant_id: str, interaction_ids: list[str]) -> list[InteractionItem]:
    keys = [interaction_keys(tenant_id, i) for i in interaction_ids]
    return [InteractionItem.from_raw_data(raw) for raw in batch_raw(keys).values()]


def timeline_page(tenant_id: str, party_id: str, limit: int,
                  cursor: str | None) -> tuple[list[TimelineEntryItem], str | None]:
    """A page of the party's timeline, newest first: one Query of `limit` items."""
    return query_page(lambda **kw: TimelineEntryItem.query(
        timeline_pk(tenant_id, party_id), scan_index_forward=False, **kw),
        f"{tenant_id}:timeline:{party_id}", cursor, limit)


def timeline_head(tenant_id: str, party_id: str, count: int) -> list[dict[str, Any]]:
    """The newest `count` entries, as the summary keeps them (refills it after a removal)."""
    items, _ = timeline_page(tenant_id, party_id, count, None)
    return [entry_of(i).as_dict() for i in items]


def all_entries(tenant_id: str, party_id: str) -> Iterator[TimelineEntryItem]:
    """Every entry of a party, page by page (merge, erasure and export only)."""
    yield from TimelineEntryItem.query(timeline_pk(tenant_id, party_id), page_size=100)
