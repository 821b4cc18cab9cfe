"""Interaction use cases: log one onto its parties' timelines, read, edit, delete.

A write is one transaction: the interaction, an entry and a summary per contact or
company it concerns, and its event. Before it, one BatchGetItem checks that the parties
exist and reads their summaries.
"""

from __future__ import annotations

from typing import Any

from chalicelib.timeline import domain, projection, repository, summary
from chalicelib.timeline.models import InteractionItem
from chalicelib.timeline.schemas import InteractionEdit, InteractionIn
from crm_shared import clock
from crm_shared.contact_data import normalize_email
from crm_shared.context import Principal
from crm_shared.errors import NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.contacts_events import (
    InteractionDeleted,
    InteractionLogged,
    InteractionUpdated,
)
from crm_shared.ids import is_id, new_id
from crm_shared.mentions import mention_event
from crm_shared.unit_of_work import UnitOfWork

PREFIX = "int"


def record(item: InteractionItem) -> dict[str, Any]:
    """The interaction as the API shows it."""
    return {
        "interaction_id": item.interaction_id, "kind": item.kind, "direction": item.direction,
        "channel": item.channel, "subject": item.subject, "body": item.body,
        "occurred_at": item.occurred_at,
        "duration_seconds": None if item.duration_seconds is None else int(
            item.duration_seconds),
        "participants": item.participants or [], "related_ids": item.related_ids or [],
        "party_ids": item.party_ids or [], "owner_id": item.owner_id, "team_id": item.team_id,
        "erased": bool(item.erased), "created_at": item.created_at,
        "updated_at": item.updated_at, "version": item.version or 0,
    }


def entry_of(item: InteractionItem) -> domain.Entry:
    """How the interaction shows on each of its parties' timelines."""
    return domain.Entry(
        entry_id=item.interaction_id, kind=item.kind,
        summary=domain.interaction_summary(item.kind, item.direction, item.subject),
        occurred_at=item.occurred_at,
        source=domain.Source("contacts", "interaction", item.interaction_id),
        link=f"/interactions/{item.interaction_id}")


def _named_parties(cmd: InteractionIn) -> dict[str, str]:
    """field -> contact or company id, for every party the interaction names."""
    named: dict[str, str] = {}
    for index, person in enumerate(cmd.participants):
        if person.contact_id:
            named[f"participants[{index}].contact_id"] = person.contact_id
    for index, related in enumerate(cmd.related_ids):
        if related[:3] in domain.PARTY_PREFIXES:
            named[f"related_ids[{index}]"] = related
    if len(set(named.values())) > domain.MAX_PARTIES:
        raise ValidationFailed.for_field(
            "related_ids", f"name at most {domain.MAX_PARTIES} contacts and companies")
    return named


def _participants(cmd: InteractionIn) -> list[dict[str, Any]]:
    out = []
    for index, person in enumerate(cmd.participants):
        shown = person.model_dump(exclude_none=True)
        if person.email is not None:
            shown["email"] = normalize_email(person.email, f"participants[{index}].email")
        out.append(shown)
    return out


def _parties(item: InteractionItem) -> dict[str, list[str]]:
    """The contact and company ids an interaction event names."""
    party_ids = list(item.party_ids or [])
    return {"contact_ids": [p for p in party_ids if p.startswith("con_")],
            "company_ids": [p for p in party_ids if p.startswith("cmp_")]}


def _emit_mentions(uow: UnitOfWork, principal: Principal, tenant_id: str,
                   item: InteractionItem, body_before: str | None) -> None:
    """UserMentioned for the users the saved note newly @mentions (platform notifications)."""
    event = mention_event("contacts", "interaction", item.interaction_id, item.body,
                          principal.subject if principal.kind == "user" else None, body_before)
    if event is not None:
        uow.emit(event, tenant_id)


def create(principal: Principal, tenant_id: str, cmd: InteractionIn) -> InteractionItem:
    now = clock.now()
    occurred = cmd.occurred_at or now
    domain.check_occurred_at(occurred, now)
    domain.check_direction(cmd.kind, cmd.direction)
    participants = _participants(cmd)
    named = _named_parties(cmd)
    interaction_id = new_id(PREFIX)
    owner = cmd.owner_id or (principal.subject if principal.kind == "user" else None)

    def write() -> InteractionItem:
        parties = summary.check_parties(principal, tenant_id, named)
        party_ids = list(parties.summaries)
        pk, sk = repository.interaction_keys(tenant_id, interaction_id)
        stamp = clock.iso()
        item = InteractionItem(
            PK=pk, SK=sk, interaction_id=interaction_id, tenant_id=tenant_id, kind=cmd.kind,
            direction=cmd.direction, channel=cmd.channel, subject=cmd.subject, body=cmd.body,
            occurred_at=clock.iso(occurred), duration_seconds=cmd.duration_seconds,
            participants=participants, related_ids=cmd.related_ids, party_ids=party_ids,
            owner_id=owner, team_id=cmd.team_id, created_at=stamp, updated_at=stamp)
        with repository.unit_of_work() as uow:
            uow.put(item, condition=InteractionItem.PK.does_not_exist(), label="interaction")
            projection.add(uow, tenant_id, entry_of(item), parties.summaries)
            uow.emit(InteractionLogged(
                interaction_id=interaction_id, kind=item.kind, direction=item.direction,
                channel=item.channel, subject=item.subject, occurred_at=item.occurred_at,
                **_parties(item)), tenant_id)
            _emit_mentions(uow, principal, tenant_id, item, None)
        return item

    return projection.retrying(write)


def get(principal: Principal, tenant_id: str, interaction_id: str,
        consistent: bool = False) -> InteractionItem:
    """One GetItem; another tenant's id, or one the caller may not see, is a 404."""
    item = repository.get_interaction(tenant_id, interaction_id, consistent) if is_id(
        interaction_id, PREFIX) else None
    if item is None or not summary.seen_by(principal, tenant_id).allows(item.owner_id,
                                                                         item.team_id):
        raise NotFound("no such interaction")
    return item


def update(principal: Principal, tenant_id: str, interaction_id: str, cmd: InteractionEdit,
           if_match: int | None) -> InteractionItem:
    """Change subject, body, time or duration; the timeline entries follow in the same
    transaction (moved when the time changes)."""
    sent = cmd.model_dump(exclude_unset=True)
    if "occurred_at" in sent:
        if cmd.occurred_at is None:
            raise ValidationFailed.for_field("occurred_at", "cannot be removed")
        domain.check_occurred_at(cmd.occurred_at, clock.now())
        sent["occurred_at"] = clock.iso(cmd.occurred_at)

    def write() -> InteractionItem:
        item = get(principal, tenant_id, interaction_id, consistent=True)
        if if_match is not None and if_match != item.version:
            raise PreconditionFailed("the interaction changed since you read it",
                                     code="version_mismatch")
        before, body_before = entry_of(item), item.body
        changed = {k: v for k, v in sent.items() if getattr(item, k) != v}
        if not changed:
            return item
        for name, value in changed.items():
            setattr(item, name, value)
        item.updated_at = clock.iso()
        after = entry_of(item)
        with repository.unit_of_work() as uow:
            uow.put(item, label="version")
            if after != before:
                projection.replace(uow, tenant_id, before, after,
                                   repository.summaries(tenant_id, item.party_ids or []))
            uow.emit(InteractionUpdated(
                interaction_id=item.interaction_id, kind=item.kind, subject=item.subject,
                occurred_at=item.occurred_at, duration_seconds=record(item)["duration_seconds"],
                changed=sorted(changed), **_parties(item)), tenant_id)
            _emit_mentions(uow, principal, tenant_id, item, body_before)
        return item

    return projection.retrying(write)


def delete(principal: Principal, tenant_id: str, interaction_id: str) -> None:
    """Remove the interaction and its entries; each party's summary forgets it."""

    def write() -> None:
        item = get(principal, tenant_id, interaction_id, consistent=True)
        with repository.unit_of_work() as uow:
            uow.delete(item, label="version")
            projection.remove(uow, tenant_id, entry_of(item),
                              repository.summaries(tenant_id, item.party_ids or []))
            uow.emit(InteractionDeleted(interaction_id=item.interaction_id, kind=item.kind,
                                        **_parties(item)), tenant_id)

    projection.retrying(write)
