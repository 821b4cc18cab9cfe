"""The only place that knows opportunity keys.

- the record: `T#<t>#OPP#<id>` / `OPP`, on five list indexes:
  all (GSI1 `T#<t>#OPPS`, by `<updated_at>#<id>`, tombstones included for sync),
  owner (GSI2 `..#OWNER#<usr>`), team (GSI3 `..#TEAM#<tea>`), both by `<updated_at>#<id>`,
  pipeline (GSI4 `..#PIPELINE#<pip>`, by `<stage key>#<updated_at>#<id>`, so a stage is a
  prefix) and expected close date (GSI5 `..#CLOSE`, by `<YYYY-MM-DD>#<id>`, a range);
- its stage history in the same partition: `T#<t>#OPP#<id>` / `HIST#<seq:06>`;
- a link per contact and company: `T#<t>#OPPS#PARTY#<party_id>` / `<opp_id>`, with the
  record, so a party's deals are one Query (lists, merges, erasure).
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.opportunities.models import OpportunityItem, OpportunityLinkItem, StageEntryItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD_SK = "OPP"
HISTORY_PREFIX = "HIST#"
TOMBSTONE_DAYS = 30
OWNER_INDEX, TEAM_INDEX = 2, 3


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def record_keys(tenant_id: str, opportunity_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "OPP", opportunity_id), RECORD_SK


def _list_pk(tenant_id: str, *parts: str) -> str:
    return tenant_key(tenant_id, "OPPS", *parts)


def party_pk(tenant_id: str, party_id: str) -> str:
    return _list_pk(tenant_id, "PARTY", party_id)


def stage_key(stage: str) -> str:
    return stage.strip().lower()


def index_record(item: OpportunityItem) -> None:
    """Place the record on its list indexes; a tombstone stays only on the change feed."""
    doc, tenant_id = item.doc, item.tenant_id
    live = not item.deleted
    sort = f"{item.updated_at}#{item.opportunity_id}"
    item.GSI1PK, item.GSI1SK = _list_pk(tenant_id), sort
    owner, team = doc.get("owner_id"), doc.get("team_id")
    item.GSI2PK = _list_pk(tenant_id, "OWNER", owner) if live and owner else None
    item.GSI2SK = sort if item.GSI2PK else None
    item.GSI3PK = _list_pk(tenant_id, "TEAM", team) if live and team else None
    item.GSI3SK = sort if item.GSI3PK else None
    item.GSI4PK = _list_pk(tenant_id, "PIPELINE", doc["pipeline_id"]) if live else None
    item.GSI4SK = f"{stage_key(doc['stage'])}#{sort}" if live else None
    close = doc.get("expected_close_date")
    item.GSI5PK = _list_pk(tenant_id, "CLOSE") if live and close else None
    item.GSI5SK = f"{close}#{item.opportunity_id}" if item.GSI5PK else None


def new_record(tenant_id: str, opportunity_id: str, now: str) -> OpportunityItem:
    pk, sk = record_keys(tenant_id, opportunity_id)
    return OpportunityItem(PK=pk, SK=sk, opportunity_id=opportunity_id, tenant_id=tenant_id,
                           doc={}, created_at=now, updated_at=now)


def get(tenant_id: str, opportunity_id: str, consistent: bool = False) -> OpportunityItem | None:
    pk, sk = record_keys(tenant_id, opportunity_id)
    try:
        return OpportunityItem.get(pk, sk, consistent_read=consistent)
    except OpportunityItem.DoesNotExist:
        return None


def get_many(tenant_id: str, opportunity_ids: list[str]) -> list[OpportunityItem]:
    """Records by id (BatchGetItem, up to 100 keys per call); missing ids are left out."""
    keys = [record_keys(tenant_id, o) for o in dict.fromkeys(opportunity_ids)]
    return list(OpportunityItem.batch_get(keys, consistent_read=True)) if keys else []


# -- stage history ------------------------------------------------------------------------

def history_entry(item: OpportunityItem, seq: int, stage: str, kind: str,
                  entered_at: str) -> StageEntryItem:
    return StageEntryItem(PK=item.PK, SK=f"{HISTORY_PREFIX}{seq:06d}",
                          opportunity_id=item.opportunity_id,
                          pipeline_id=str(item.doc["pipeline_id"]), stage=stage,
                          stage_kind=kind, entered_at=entered_at)


def history(tenant_id: str, opportunity_id: str, limit: int,
            cursor: str | None) -> tuple[list[StageEntryItem], str | None]:
    pk, _ = record_keys(tenant_id, opportunity_id)
    scope = f"{tenant_id}:opportunity_history:{opportunity_id}"
    return query_page(lambda **kw: StageEntryItem.query(
        pk, StageEntryItem.SK.startswith(HISTORY_PREFIX), **kw), scope, cursor, limit)


# -- links to contacts and companies -----------------------------------------------------

def parties_of(doc: dict[str, Any]) -> set[str]:
    found = set(doc.get("contact_ids") or [])
    if doc.get("company_id"):
        found.add(str(doc["company_id"]))
    return found


def write_links(uow: UnitOfWork, tenant_id: str, opportunity_id: str,
                record: dict[str, Any] | None, before: set[str], after: set[str]) -> None:
    """Drop the links of parties the deal left; write (refresh) those of its parties."""
    for party in sorted(before - after):
        uow.delete(OpportunityLinkItem(PK=party_pk(tenant_id, party), SK=opportunity_id,
                                       opportunity_id=opportunity_id, party_id=party))
    if record is None:
        return
    for party in sorted(after):
        uow.put(OpportunityLinkItem(PK=party_pk(tenant_id, party), SK=opportunity_id,
                                    opportunity_id=opportunity_id, party_id=party,
                                    record=record))


def links(tenant_id: str, party_id: str, limit: int,
          cursor: str | None) -> tuple[list[OpportunityLinkItem], str | None]:
    """A page of a contact's or company's deals, newest first."""
    pk = party_pk(tenant_id, party_id)
    scope = f"{tenant_id}:opportunity_links:{party_id}"
    return query_page(lambda **kw: OpportunityLinkItem.query(pk, scan_index_forward=False, **kw),
                      scope, cursor, limit)


# -- lists ---------------------------------------------------------------------------------

def list_records(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
                 value: str | None = None) -> tuple[list[OpportunityItem], str | None]:
    """A page by last change, newest first: all, or one owner's or one team's."""
    if field == "owner_id":
        index, pk = OpportunityItem.gsi2, _list_pk(tenant_id, "OWNER", str(value))
    elif field == "team_id":
        index, pk = OpportunityItem.gsi3, _list_pk(tenant_id, "TEAM", str(value))
    else:
        index, pk = OpportunityItem.gsi1, _list_pk(tenant_id)
    scope = f"{tenant_id}:opportunities:{field}:{value}"
    return query_page(lambda **kw: index.query(pk, scan_index_forward=False, **kw), scope,
                      cursor, limit)


def list_in_pipeline(tenant_id: str, pipeline_id: str, stage: str | None, limit: int,
                     cursor: str | None) -> tuple[list[OpportunityItem], str | None]:
    """A pipeline's deals (one stage's when given), by stage, newest change first."""
    pk = _list_pk(tenant_id, "PIPELINE", pipeline_id)
    condition = OpportunityItem.GSI4SK.startswith(f"{stage_key(stage)}#") if stage else None
    scope = f"{tenant_id}:opportunities:pipeline:{pipeline_id}:{stage}"
    return query_page(lambda **kw: OpportunityItem.gsi4.query(
        pk, condition, scan_index_forward=False, **kw), scope, cursor, limit)


def list_closing(tenant_id: str, start: str | None, end: str | None, limit: int,
                 cursor: str | None) -> tuple[list[OpportunityItem], str | None]:
    """Deals expected to close between two dates (inclusive), soonest first."""
    pk = _list_pk(tenant_id, "CLOSE")
    sort = OpportunityItem.GSI5SK
    low, high = start or "0000-00-00", f"{end or '9999-99-99'}#~"
    condition = sort.between(low, high)
    scope = f"{tenant_id}:opportunities:closing:{start}:{end}"
    return query_page(lambda **kw: OpportunityItem.gsi5.query(pk, condition, **kw), scope,
                      cursor, limit)


def linked_to(tenant_id: str, party_id: str) -> list[str]:
    """Every deal linked to a contact or company (all pages: merges and erasure need all)."""
    return [link.opportunity_id for link in OpportunityLinkItem.query(
        party_pk(tenant_id, party_id), consistent_read=True)]
