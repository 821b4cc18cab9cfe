"""Loyalty use cases. Every ledger entry is written in one transaction with the member's
new balance, lifetime points and tier, conditioned on the member's ledger count (`seq`),
so two writers never both spend the same points: the loser re-reads and retries, and a
redemption the balance no longer covers is a 409 naming `points`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.loyalty import domain, repository
from chalicelib.loyalty.models import EntryItem, MemberItem, ProgramItem
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound, ValidationFailed
from crm_shared.events.commerce_events import PointsChanged, TierChanged
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

RETRIES = 20


def program(tenant_id: str) -> dict[str, Any]:
    item = repository.program(tenant_id)
    doc = dict(item.doc) if item else dict(domain.DEFAULT_PROGRAM)
    return {**doc, "version": (item.version or 0) if item else 0}


def put_program(tenant_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    item = repository.program(tenant_id) or repository.new_program(tenant_id, {})
    item.doc = doc
    item.save()
    return {**doc, "version": item.version}


def seed_in(uow: UnitOfWork, tenant_id: str) -> None:
    """TenantProvisioned: the default programme, switched off (a replay keeps edits)."""
    item = repository.new_program(tenant_id, dict(domain.DEFAULT_PROGRAM))
    uow.put(item, condition=ProgramItem.PK.does_not_exist(), label="program")


def member(tenant_id: str, contact_id: str) -> MemberItem:
    found = repository.member(tenant_id, contact_id) if is_id(contact_id, "con") else None
    if found is None:
        raise NotFound("no such loyalty member")
    return found


def member_page(tenant_id: str, contact_id: str,
                limit: int) -> tuple[MemberItem, list[EntryItem], str | None]:
    """The member with the first `limit` entries of its ledger (one Query), or a 404."""
    found, entries, cursor = repository.member_and_ledger(tenant_id, contact_id, limit) \
        if is_id(contact_id, "con") else (None, [], None)
    if found is None:
        raise NotFound("no such loyalty member")
    return found, entries, cursor


def enrol(tenant_id: str, contact_id: str) -> tuple[MemberItem, bool]:
    found = repository.member(tenant_id, contact_id)
    if found is not None:
        return found, False
    item = repository.new_member(tenant_id, contact_id, clock.iso())
    uow = repository.unit_of_work()
    repository.stage_member(uow, item, None)
    try:
        uow.commit()
    except TransactionConflict:
        return member(tenant_id, contact_id), False
    return item, True


def stage_entry(uow: UnitOfWork, tenant_id: str, item: MemberItem, kind: str, points: int,
                prog: dict[str, Any], *, order_id: str | None = None,
                reason: str | None = None, lifetime: bool = False,
                seen_seq: int | None) -> EntryItem:
    """Stage a ledger entry and the member's matching change (and the events) in `uow`.
    `lifetime`: the points count towards tiers (earned, reversed, adjusted)."""
    now = clock.iso()
    item.balance = int(item.balance or 0) + points
    before_tier = item.tier
    if lifetime:
        item.lifetime = max(0, int(item.lifetime or 0) + points)
        tier = domain.tier_of(prog, int(item.lifetime))
        item.tier = tier["name"] if tier else None
    item.seq = int(item.seq or 0) + 1
    entry = repository.new_entry(tenant_id, item.contact_id, new_id("lpe"), now, kind=kind,
                                 points=points, balance=int(item.balance), order_id=order_id,
                                 reason=reason)
    if kind == "earned" and prog.get("expiry_days") and points > 0:
        when = clock.now() + timedelta(days=int(prog["expiry_days"]))
        entry.expires_on = clock.iso(when)
        repository.schedule_expiry(entry, when)
    repository.stage_member(uow, item, seen_seq)
    uow.put(entry, condition=EntryItem.PK.does_not_exist(), label="entry")
    uow.emit(PointsChanged(contact_id=item.contact_id, entry_id=entry.entry_id, kind=kind,
                           points=points, balance=int(item.balance), order_id=order_id,
                           reason=reason), tenant_id)
    if item.tier != before_tier:
        uow.emit(TierChanged(contact_id=item.contact_id, from_tier=before_tier,
                             to_tier=item.tier, balance=int(item.balance),
                             lifetime_points=int(item.lifetime)), tenant_id)
    return entry


def _with_retries(attempt: Callable[[], EntryItem]) -> EntryItem:
    for _ in range(RETRIES):
        try:
            return attempt()
        except TransactionConflict as conflict:
            if "member" not in conflict.labels:
                raise
    raise Conflict("the member's points are changing too fast; retry", code="busy")


def redeem(tenant_id: str, contact_id: str, points: int | None,
           reason: str | None) -> tuple[EntryItem, MemberItem]:
    """Spend points: refused (409 naming points) unless the balance covers them."""
    member(tenant_id, contact_id)
    if points is None:
        raise ValidationFailed.for_field("points", "is required")
    prog = program(tenant_id)
    out: dict[str, Any] = {}

    def attempt() -> EntryItem:
        item = member(tenant_id, contact_id)
        if int(item.balance or 0) < points:
            raise Conflict.for_field("points", f"the balance is {int(item.balance or 0)}, "
                                     f"less than {points}", code="insufficient_points")
        uow = repository.unit_of_work()
        entry = stage_entry(uow, tenant_id, item, "redeemed", -points, prog, reason=reason,
                            seen_seq=int(item.seq or 0))
        uow.commit()
        out["member"] = item
        return entry

    entry = _with_retries(attempt)
    return entry, out["member"]


def adjust(tenant_id: str, contact_id: str, points: int | None,
           reason: str | None) -> tuple[EntryItem, MemberItem]:
    """A manager's correction, with its reason; it may not take the balance below zero."""
    member(tenant_id, contact_id)
    if not points:
        raise ValidationFailed.for_field("points", "is required and not zero")
    if not reason:
        raise ValidationFailed.for_field("reason", "is required")
    prog = program(tenant_id)
    out: dict[str, Any] = {}

    def attempt() -> EntryItem:
        item = member(tenant_id, contact_id)
        if int(item.balance or 0) + points < 0:
            raise Conflict.for_field("points", f"the balance is {int(item.balance or 0)}",
                                     code="insufficient_points")
        uow = repository.unit_of_work()
        entry = stage_entry(uow, tenant_id, item, "adjusted", points, prog, reason=reason,
                            lifetime=True, seen_seq=int(item.seq or 0))
        uow.commit()
        out["member"] = item
        return entry

    entry = _with_retries(attempt)
    return entry, out["member"]


def earn_in(uow: UnitOfWork, tenant_id: str, order: dict[str, Any]) -> int:
    """OrderPaid: the contact earns the programme's points for the order (enrolled if new)."""
    contact_id = order.get("contact_id")
    prog = program(tenant_id)
    if not contact_id or not prog.get("enabled"):
        return 0
    points = domain.earned(prog, order)
    if points <= 0:
        return 0
    item = repository.member(tenant_id, contact_id)
    seen = None if item is None else int(item.seq or 0)
    item = item or repository.new_member(tenant_id, contact_id, clock.iso())
    stage_entry(uow, tenant_id, item, "earned", points, prog, order_id=order["order_id"],
                lifetime=True, seen_seq=seen)
    uow.put(repository.new_order_points(tenant_id, order["order_id"], contact_id, points))
    return points


def reverse_in(uow: UnitOfWork, tenant_id: str, order: dict[str, Any]) -> int:
    """OrderRefunded: take back what the order earned, once (the balance may go negative)."""
    earned = repository.order_points(tenant_id, order["order_id"])
    if earned is None or int(earned.reversed or 0):
        return 0
    item = repository.member(tenant_id, earned.contact_id)
    if item is None:
        return 0
    points = int(earned.points)
    stage_entry(uow, tenant_id, item, "reversed", -points, program(tenant_id),
                order_id=order["order_id"], lifetime=True, seen_seq=int(item.seq or 0))
    earned.reversed = points
    uow.put(earned)
    return points


def expire_due(limit: int = 100) -> int:
    """Scheduled: earned points past their expiry leave the balance (what of them is left:
    at most the entry's points, at most the balance), each entry once."""
    done = 0
    for entry in repository.due_entries(limit):
        item = repository.member(entry.tenant_id, entry.contact_id)
        repository.schedule_expiry(entry, None)
        uow = repository.unit_of_work()
        uow.put(entry)
        if item is not None:
            lapsed = min(int(entry.points), int(item.balance or 0))
            if lapsed > 0:
                stage_entry(uow, entry.tenant_id, item, "expired", -lapsed,
                            program(entry.tenant_id), reason=f"earned {entry.at[:10]}",
                            seen_seq=int(item.seq or 0))
        try:
            uow.commit()
        except TransactionConflict:
            continue  # the member changed meanwhile: the entry stays due for the next run
        done += 1
    return done


def merge_in(uow: UnitOfWork, tenant_id: str, survivor: str, gone: list[str]) -> None:
    """ContactMerged: each merged member's balance and lifetime points join the survivor's
    (a `merged` ledger entry); the merged member record goes, its old entries stay."""
    prog = None
    for contact_id in gone:
        other = repository.member(tenant_id, contact_id)
        if other is None:
            continue
        prog = prog or program(tenant_id)
        item = repository.member(tenant_id, survivor)
        seen = None if item is None else int(item.seq or 0)
        item = item or repository.new_member(tenant_id, survivor, clock.iso())
        item.lifetime = int(item.lifetime or 0) + int(other.lifetime or 0)
        stage_entry(uow, tenant_id, item, "merged", int(other.balance or 0), prog,
                    reason=f"merged from {contact_id}", seen_seq=seen)
        uow.delete(other)
