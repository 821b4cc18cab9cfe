"""Campaign use cases: define, launch (once), schedule, pause, resume, cancel, complete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.campaigns import domain, repository
from chalicelib.campaigns.models import COUNTERS, SHARDED, CampaignCountersItem, CampaignItem
from chalicelib.campaigns.schemas import CampaignCreate, CampaignFields
from chalicelib.segments import repository as segments
from chalicelib.templates import logic as templates
from crm_shared import clock, schedules
from crm_shared.errors import NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.marketing_events import CampaignLaunched
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

PREFIX = "cam"


def record(item: CampaignItem) -> dict[str, Any]:
    stats = {name: item.total(name) for name in COUNTERS}
    stats["planned"] = int(item.planned or 0)
    return {"campaign_id": item.campaign_id, "name": item.name, "channel": item.channel,
            "segment_ids": list(item.segment_ids or []), "template_id": item.template_id,
            "sender_identity_id": item.sender_identity_id,
            "schedule": {"send_at": item.send_at},
            "throttle_per_minute": int(item.throttle_per_minute)
            if item.throttle_per_minute else None,
            "status": item.status, "launch_id": item.launch_id,
            "launched_at": item.launched_at, "completed_at": item.completed_at,
            "stats": stats, "cost": item.cost, "created_at": item.created_at,
            "updated_at": item.updated_at,
            "version": int(item.rev or 1)}


def get(tenant_id: str, campaign_id: str) -> CampaignItem:
    """The campaign with all its counters (its shards' too): one read."""
    item = repository.get_counted(tenant_id, campaign_id) if is_id(campaign_id,
                                                                   PREFIX) else None
    if item is None:
        raise NotFound.for_field("campaign_id", "no such campaign")
    return item


def _send_at(fields: dict[str, Any]) -> str | None:
    schedule = fields.get("schedule") or {}
    moment: datetime | None = schedule.get("send_at")
    domain.check_schedule(moment, clock.now())
    return clock.iso(moment) if moment else None


def _check_refs(tenant_id: str, item: CampaignItem) -> None:
    """Segments, template and sender exist and fit the channel: a 422 naming the field."""
    for index, segment_id in enumerate(item.segment_ids or []):
        if segments.get(tenant_id, segment_id) is None:
            raise ValidationFailed.for_field(f"segment_ids[{index}]", "no such segment")
    template = templates.repository.get_template(tenant_id, item.template_id) if is_id(
        item.template_id, templates.PREFIX) else None
    if template is None:
        raise ValidationFailed.for_field("template_id", "no such template")
    if template.channel != item.channel:
        raise ValidationFailed.for_field("template_id", f"is a {template.channel} template, "
                                                        f"not {item.channel}")
    if template.purpose != "marketing":
        raise ValidationFailed.for_field("template_id", "campaigns send marketing templates")
    if item.channel == "email":
        sender = templates.sender_for(tenant_id, item.sender_identity_id)
        if sender is None:
            raise ValidationFailed.for_field("sender_identity_id",
                                             "add a sender identity first")
        if item.sender_identity_id is None:
            item.sender_identity_id = sender.identity_id


def create(tenant_id: str, cmd: CampaignCreate) -> CampaignItem:
    sent = cmd.model_dump(exclude_unset=True)
    now = clock.iso()
    item = repository.new_campaign(
        tenant_id, new_id(PREFIX), name=cmd.name, channel=cmd.channel,
        segment_ids=list(dict.fromkeys(cmd.segment_ids)), template_id=cmd.template_id,
        sender_identity_id=cmd.sender_identity_id, send_at=_send_at(sent),
        throttle_per_minute=cmd.throttle_per_minute, status="draft", created_at=now,
        updated_at=now, cost=sent.get("cost"))
    _check_refs(tenant_id, item)
    with repository.unit_of_work() as uow:
        uow.put(item, condition=CampaignItem.PK.does_not_exist(), label="campaign")
        _cost_totals(uow, item, None, item.cost)
    return item


def _cost_totals(uow: UnitOfWork, item: CampaignItem, before: dict[str, Any] | None,
                 after: dict[str, Any] | None) -> None:
    from chalicelib.roi import logic as roi

    roi.cost_changed(uow, item, before, after)


def _update_cost(item: CampaignItem, expected: int, cost: dict[str, Any] | None
                 ) -> CampaignItem:
    """The cost alone, at any status: an update (never a put), so the counters the senders
    and tracking add meanwhile are kept."""
    before, item.cost = item.cost, cost
    item.rev, item.updated_at = expected + 1, clock.iso()
    uow = repository.unit_of_work()
    uow.update(item, [CampaignItem.cost.set(cost) if cost else CampaignItem.cost.remove(),
                      CampaignItem.rev.set(item.rev),
                      CampaignItem.updated_at.set(item.updated_at)],
               condition=CampaignItem.rev == expected, label="version")
    _cost_totals(uow, item, before, cost)
    uow.commit()
    return item


def _save(item: CampaignItem, expected: int, uow: UnitOfWork | None = None,
          label: str = "version") -> None:
    """Write the campaign if nobody else changed it since `expected` (412, or a conflict
    labelled `label` the caller handles)."""
    item.rev = expected + 1
    item.updated_at = clock.iso()
    own = uow is None
    uow = uow or repository.unit_of_work()
    uow.put(item, condition=CampaignItem.rev == expected, label=label)
    if own:
        uow.commit()


def _save_status(item: CampaignItem, expected: int) -> None:
    """The status and its schedule alone: an update (never a put), as pause, resume and
    cancel come while batches add to the counters, and a put of the item as read would
    write back the counters it read over what they added since (412 if the definition
    changed since `expected`)."""
    item.rev, item.updated_at = expected + 1, clock.iso()
    due = [CampaignItem.DUEPK.set(item.DUEPK), CampaignItem.DUESK.set(item.DUESK)] \
        if item.DUEPK and item.DUESK else [CampaignItem.DUEPK.remove(),
                                           CampaignItem.DUESK.remove()]
    uow = repository.unit_of_work()
    uow.update(item, [CampaignItem.status.set(item.status), CampaignItem.rev.set(item.rev),
                      CampaignItem.updated_at.set(item.updated_at), *due],
               condition=CampaignItem.rev == expected, label="version")
    uow.commit()


def update(tenant_id: str, campaign_id: str, cmd: CampaignFields,
           if_match: int | None) -> CampaignItem:
    item = get(tenant_id, campaign_id)
    expected = int(item.rev or 1)
    if if_match is not None and if_match != expected:
        raise PreconditionFailed("the campaign changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(exclude_unset=True)
    if set(sent) == {"cost"}:
        return _update_cost(item, expected, sent["cost"])
    domain.require(item.status, domain.EDITABLE, "edited")
    before = item.cost
    if "cost" in sent:
        item.cost = sent["cost"]
    for name in ("name", "template_id", "sender_identity_id", "throttle_per_minute"):
        if name in sent:
            setattr(item, name, sent[name])
    if "segment_ids" in sent:
        item.segment_ids = list(dict.fromkeys(sent["segment_ids"] or []))
    if "schedule" in sent:
        item.send_at = _send_at(sent)
    if not item.name:
        raise ValidationFailed.for_field("name", "may not be empty")
    _check_refs(tenant_id, item)
    uow = repository.unit_of_work()
    _save(item, expected, uow)
    _cost_totals(uow, item, before, item.cost)
    uow.commit()
    return item


def _started(item: CampaignItem, uow: UnitOfWork) -> None:
    """Move to sending and announce it: the planner runs on CampaignLaunched (outbox)."""
    item.status, item.launched_at = "sending", clock.iso()
    item.DUEPK = item.DUESK = None
    uow.emit(CampaignLaunched(campaign_id=item.campaign_id, launch_id=str(item.launch_id),
                              channel=item.channel, segment_ids=list(item.segment_ids),
                              template_id=item.template_id, launched_at=item.launched_at),
             item.tenant_id)


def launch(tenant_id: str, campaign_id: str) -> tuple[CampaignItem, bool]:
    """Launch once: a draft starts now or at its schedule; a launched campaign answers its
    launch as it is (False: nothing new happened)."""
    item = get(tenant_id, campaign_id)
    if item.launch_id is not None:
        return item, False
    domain.require(item.status, domain.EDITABLE, "launched")
    if item.send_at and item.send_at <= clock.iso():
        raise ValidationFailed.for_field("schedule.send_at", "is in the past")
    _check_refs(tenant_id, item)
    expected = int(item.rev or 1)
    item.launch_id = new_id("lch")
    uow = repository.unit_of_work()
    if item.send_at:
        item.status = "scheduled"
        due = datetime.fromisoformat(item.send_at.replace("Z", "+00:00"))
        fields = schedules.due_fields(repository.DUE_JOB, due, tenant_id, campaign_id)
        item.DUEPK, item.DUESK = fields["DUEPK"], fields["DUESK"]
    else:
        _started(item, uow)
    _save(item, expected, uow, label="launch")
    try:
        uow.commit()
    except TransactionConflict:  # a concurrent launch won: answer its launch
        winner = get(tenant_id, campaign_id)
        if winner.launch_id is None:
            raise
        return winner, False
    return item, True


def launch_due(limit: int = 50) -> int:
    """Start the scheduled campaigns whose time came (the `launch_scheduled` schedule)."""
    started = 0
    for due in schedules.due_items(CampaignItem, repository.DUE_JOB, limit=limit):
        item = repository.get(due.tenant_id, due.campaign_id)
        if item is None or item.status != "scheduled":
            continue
        uow = repository.unit_of_work()
        _started(item, uow)
        _save(item, int(item.rev or 1), uow, label="launch")
        try:
            uow.commit()
            started += 1
        except TransactionConflict:
            continue  # changed meanwhile (paused, cancelled): the next tick sees it
    return started


def set_status(tenant_id: str, campaign_id: str, action: str) -> CampaignItem:
    """pause, resume or cancel."""
    item = get(tenant_id, campaign_id)
    expected = int(item.rev or 1)
    if action == "pause":
        domain.require(item.status, domain.PAUSABLE, "paused")
        item.status = "paused"
    elif action == "resume":
        domain.require(item.status, frozenset({"paused"}), "resumed")
        item.status = "sending" if item.launched_at else "scheduled"
    else:
        domain.require(item.status, domain.CANCELLABLE, "cancelled")
        item.status = "cancelled"
    if item.status != "scheduled":
        item.DUEPK = item.DUESK = None
    elif item.send_at:
        due = datetime.fromisoformat(item.send_at.replace("Z", "+00:00"))
        fields = schedules.due_fields(repository.DUE_JOB, due, tenant_id, campaign_id)
        item.DUEPK, item.DUESK = fields["DUEPK"], fields["DUESK"]
    _save_status(item, expected)
    if item.status == "sending":
        try_complete(tenant_id, campaign_id)  # batches may all have finished meanwhile
    return item


def count(tenant_id: str, campaign_id: str, uow: UnitOfWork, channel: str | None = None,
          **deltas: int) -> None:
    """Add to the campaign's counters inside `uow` (only while the campaign exists), and to
    its channel's totals when `channel` is given (the ROI aggregates)."""
    from chalicelib.roi import logic as roi

    actions = [getattr(CampaignItem, name).add(delta) for name, delta in deltas.items()]
    uow.update(repository.key(tenant_id, campaign_id), actions,
               condition=CampaignItem.PK.exists(), label="campaign_counters")
    if channel:
        roi.count_channel(uow, tenant_id, channel, **deltas)


def count_message(tenant_id: str, campaign_id: str, uow: UnitOfWork, message_id: str,
                  channel: str, **deltas: int) -> None:
    """Add one message's feedback or tracking outcome inside `uow` to the campaign's counter
    shard and its channel's totals shard that `message_id` hashes to. Thousands of these
    run at once during a send: spread over shards they neither conflict on one item nor
    heat one partition. Exactly once stays the caller's: its condition on the message."""
    from chalicelib.roi import logic as roi

    unknown = set(deltas) - set(SHARDED)
    if unknown:
        raise ValueError(f"not counted per message: {sorted(unknown)}")
    actions = [getattr(CampaignCountersItem, name).add(delta) for name, delta in deltas.items()]
    uow.update(repository.counters_key(tenant_id, campaign_id, message_id), actions,
               label="campaign_counters")
    roi.count_channel_message(uow, tenant_id, channel, message_id, **deltas)


def try_complete(tenant_id: str, campaign_id: str) -> bool:
    """sending -> sent once planning is done and every planned batch finished."""
    uow = repository.unit_of_work()
    uow.update(repository.key(tenant_id, campaign_id),
               [CampaignItem.status.set("sent"), CampaignItem.completed_at.set(clock.iso()),
                CampaignItem.rev.add(1)],
               condition=(CampaignItem.status == "sending")
               & (CampaignItem.planning_done == True)  # noqa: E712 - a DynamoDB condition
               & (CampaignItem.done_batches >= CampaignItem.planned_batches),
               label="complete")
    try:
        uow.commit()
    except TransactionConflict:
        return False
    return True
