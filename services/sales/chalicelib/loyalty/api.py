"""Loyalty routes: the programme, members, redemptions and manual adjustments."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.loyalty import logic, repository
from chalicelib.loyalty.models import EntryItem, MemberItem
from chalicelib.loyalty.schemas import (
    Adjust,
    Enrol,
    Entry,
    EntryOut,
    MemberOut,
    Program,
    ProgramOut,
    Redeem,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES, MANAGERS, WRITERS
from crm_shared.http import ApiRequest, Reply, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "loyalty")


def entry_out(entry: EntryItem) -> Entry:
    return Entry(entry_id=entry.entry_id, kind=entry.kind, points=int(entry.points),
                 balance=int(entry.balance), at=entry.at, order_id=entry.order_id,
                 reason=entry.reason, expires_at=entry.expires_on)


def entry_reply(entry: EntryItem, item: MemberItem) -> EntryOut:
    return EntryOut(entry=entry_out(entry), balance=int(item.balance or 0), tier=item.tier)


@api.route("/loyalty/program", "GET", roles=ALL_ROLES, response=ProgramOut)
def get_program(req: ApiRequest) -> ProgramOut:
    return ProgramOut(**logic.program(req.tenant_id))


@api.route("/loyalty/program", "PUT", roles=ADMINS, body=Program, response=ProgramOut)
def put_program(req: ApiRequest) -> ProgramOut:
    """Replace the programme: points per currency unit and per product, bonus rules (the
    filter grammar over the order), expiry and tiers."""
    return ProgramOut(**logic.put_program(req.tenant_id, req.body.model_dump(mode="json")))


@api.route("/loyalty/members", "POST", roles=WRITERS, body=Enrol, response=MemberOut,
           status=201)
def enrol(req: ApiRequest) -> Reply:
    """Enrol a contact (a paid order enrols its contact too); a member answers 200."""
    item, created = logic.enrol(req.tenant_id, req.body.contact_id)
    return Reply(_member(item, [], None), status=201 if created else 200,
                 headers={"Location": f"/loyalty/members/{item.contact_id}"})


def _member(item: MemberItem, entries: list[EntryItem], cursor: str | None) -> MemberOut:
    return MemberOut(contact_id=item.contact_id, balance=int(item.balance or 0),
                     lifetime_points=int(item.lifetime or 0), tier=item.tier,
                     joined_at=item.joined_at, history=[entry_out(e) for e in entries],
                     next_cursor=cursor)


@api.route("/loyalty/members/{member_id}", "GET", roles=ALL_ROLES, response=MemberOut)
def get_member(req: ApiRequest, member_id: str) -> MemberOut:
    """Balance, tier and a page of the ledger (newest first): the first page is one Query
    of the member's partition, a later one a GetItem and a Query (the tier's benefits are
    in the programme)."""
    limit, cursor = parse_limit(req.query.get("limit")), req.query.get("cursor")
    if cursor:
        item = logic.member(req.tenant_id, member_id)
        entries, cursor = repository.ledger(req.tenant_id, member_id, limit, cursor)
        return _member(item, entries, cursor)
    found, entries, cursor = logic.member_page(req.tenant_id, member_id, limit)
    return _member(found, entries, cursor)


@api.route("/loyalty/members/{member_id}/redeem", "POST", roles=WRITERS, body=Redeem,
           response=EntryOut, status=201)
def redeem(req: ApiRequest, member_id: str) -> EntryOut:
    """Spend points; more than the balance is a 409 naming points, even when concurrent."""
    entry, item = logic.redeem(req.tenant_id, member_id, req.body.points, req.body.reason)
    return entry_reply(entry, item)


@api.route("/loyalty/members/{member_id}/adjust", "POST", roles=MANAGERS, body=Adjust,
           response=EntryOut, status=201)
def adjust(req: ApiRequest, member_id: str) -> EntryOut:
    """Add or take points by hand, with a reason (managers)."""
    entry, item = logic.adjust(req.tenant_id, member_id, req.body.points, req.body.reason)
    return entry_reply(entry, item)
