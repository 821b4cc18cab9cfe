"""Opportunity use cases: create (also inside another write's transaction), read with
visibility, patch with stage history, delete to a tombstone.

Every write is one transaction: the record, its stage history, its party links, an
approval request when the discount needs one, and its events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.approvals import logic as approvals
from chalicelib.opportunities import domain, repository
from chalicelib.opportunities.models import OpportunityItem
from chalicelib.opportunities.schemas import OpportunityCreate, OpportunityFields
from chalicelib.pipelines import logic as pipelines
from chalicelib.pipelines.domain import Pipeline, Stage
from chalicelib.products import logic as products
from crm_shared import clock
from crm_shared.auth.roles import Visibility, visibility
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.sales_events import (
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityLost,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
)
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import UnitOfWork
from crm_shared.validation import validate

PREFIX = "opp"
DISCOUNT_FIELDS = ("discount_percent", "product_lines", "amount")


def record(item: OpportunityItem, version: int | None = None) -> dict[str, Any]:
    """The opportunity as the API and every Opportunity* event show it."""
    return {"opportunity_id": item.opportunity_id, **domain.RECORD_DEFAULTS, **item.doc,
            "created_at": item.created_at, "updated_at": item.updated_at,
            "version": version or item.version or 0}


def seen_by(principal: Principal) -> Visibility:
    """Reps see their own and their teams' deals; managers their teams'; admins all."""
    return visibility(principal)


def get(principal: Principal, tenant_id: str, opportunity_id: str,
        consistent: bool = False) -> OpportunityItem:
    """A live opportunity the caller may see (one GetItem), else 404. Writes read it
    strongly consistent, so a change just made is never mistaken for a conflict."""
    item = repository.get(tenant_id, opportunity_id, consistent) \
        if is_id(opportunity_id, PREFIX) else None
    if item is None or item.deleted or not seen_by(principal).allows(
            item.doc.get("owner_id"), item.doc.get("team_id")):
        raise NotFound("no such opportunity")
    return item


# -- composing a write ---------------------------------------------------------------------

def _where(tenant_id: str, doc: dict[str, Any], sent: dict[str, Any],
           before: dict[str, Any]) -> tuple[Pipeline, Stage]:
    """The pipeline and stage after the change. A new pipeline without a stage keeps the
    stage's name if it has one, else starts at its first open stage."""
    moved = "pipeline_id" in sent and sent["pipeline_id"] != before.get("pipeline_id")
    if moved and "stage" not in sent and before:
        pipeline, _ = pipelines.resolve(tenant_id, doc.get("pipeline_id"), None)
        kept = pipeline.stage(str(before.get("stage")))
        return pipeline, kept or pipeline.first_open
    return pipelines.resolve(tenant_id, doc.get("pipeline_id"), doc.get("stage"))


def _lines(catalog: products.ProductCache,
           sent_lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Product lines as stored: the product's name, and its price unless one was given."""
    found = catalog.get_many([line["product_id"] for line in sent_lines])
    lines = []
    for index, line in enumerate(sent_lines):
        product = found.get(line["product_id"])
        if product is None:
            raise ValidationFailed.for_field(f"product_lines[{index}].product_id",
                                             "no such product")
        lines.append({"product_id": line["product_id"], "name": product["name"],
                      "quantity": line.get("quantity", 1),
                      "unit_price": line.get("unit_price") or dict(product["price"]),
                      "discount_percent": float(line.get("discount_percent") or 0)})
    return lines


def _money(item: OpportunityItem, doc: dict[str, Any], sent: dict[str, Any],
           creating: bool, catalog: products.ProductCache | None) -> None:
    """Set the amount: the one given, else the lines' total while it follows the lines."""
    if "product_lines" in sent:
        doc["product_lines"] = _lines(catalog or products.ProductCache(item.tenant_id),
                                      doc["product_lines"])
    if sent.get("amount") is not None:
        item.amount_from_lines = False
    elif creating or "amount" in sent:
        item.amount_from_lines = bool(doc["product_lines"])
    lines = doc["product_lines"]
    if item.amount_from_lines:
        if not lines:
            item.amount_from_lines = False
            doc["amount"] = None
        else:
            doc["amount"] = domain.amount_of(lines, doc.get("discount_percent"))
    domain.check_currencies(lines, None if item.amount_from_lines else doc.get("amount"))


def _derive(item: OpportunityItem, doc: dict[str, Any], sent: dict[str, Any], stage: Stage,
            stage_changed: bool) -> None:
    """Probability (the stage's unless set), forecast category and close date."""
    if "probability" in sent:
        item.probability_set = sent["probability"] is not None
    elif stage_changed:
        item.probability_set = False
    if not item.probability_set:
        doc["probability"] = stage.probability
    if "forecast_category" in sent:
        item.forecast_set = sent["forecast_category"] is not None
    if stage.closed or not item.forecast_set:
        doc["forecast_category"] = domain.forecast_category(stage.kind, doc["probability"])
    doc["stage_kind"] = stage.kind
    if stage.closed and not doc.get("closed_at"):
        doc["closed_at"] = clock.now().date().isoformat()
    if not stage.closed and "closed_at" not in sent:
        doc["closed_at"] = None  # reopened
    domain.check_dates(doc, stage.kind)


def _review_approval(uow: UnitOfWork, principal: Principal | None, item: OpportunityItem,
                     before: dict[str, Any], after: dict[str, Any], creating: bool) -> None:
    """A discount above the tenant's threshold (or a matching rule) waits for approval."""
    status = after.get("approval_status") or "none"
    relevant = creating or any(before.get(f) != after.get(f) for f in DISCOUNT_FIELDS)
    if status == "pending" or (status != "none" and not relevant):
        return
    reason = approvals.reason_for(item.tenant_id, "opportunity", after,
                                 discount=domain.max_discount(after))
    if reason is None:
        return
    item.doc["approval_status"] = after["approval_status"] = "pending"
    approvals.request_in(uow, item.tenant_id, subject_type="opportunity",
                         subject_id=item.opportunity_id, reason=reason,
                         owner_id=str(after["owner_id"]),
                         requested_by=principal.subject if principal else None)


def _seconds_since(moment: str | None) -> int | None:
    if not moment:
        return None
    started = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return max(0, int((clock.now() - started).total_seconds()))


def _stage_history(uow: UnitOfWork, item: OpportunityItem, before: dict[str, Any],
                   stage: Stage, now: str) -> int | None:
    """Close the current stay (if any) and open one in `stage`; returns the closed stay's
    length in seconds."""
    seconds = None
    if item.stage_seq:
        seconds = _seconds_since(item.stage_entered_at)
        left = repository.history_entry(item, int(item.stage_seq), str(before["stage"]),
                                        str(before["stage_kind"]), str(item.stage_entered_at))
        left.pipeline_id = str(before["pipeline_id"])
        left.exited_at, left.duration_seconds = now, seconds
        uow.put(left, label="history")
    item.stage_seq = int(item.stage_seq or 0) + 1
    item.stage_entered_at = now
    uow.put(repository.history_entry(item, int(item.stage_seq), stage.name, stage.kind, now),
            label="history")
    return seconds


def _stage_events(uow: UnitOfWork, tenant_id: str, item: OpportunityItem,
                  before: dict[str, Any], shown: dict[str, Any], seconds: int | None) -> None:
    uow.emit(OpportunityStageChanged(
        opportunity_id=item.opportunity_id, pipeline_id=shown["pipeline_id"],
        from_stage=before.get("stage"), to_stage=shown["stage"], seconds_in_stage=seconds,
        opportunity=shown), tenant_id)
    if shown["stage_kind"] == "won" and before.get("stage_kind") != "won":
        uow.emit(OpportunityWon(opportunity_id=item.opportunity_id, opportunity=shown),
                 tenant_id)
    if shown["stage_kind"] == "lost" and before.get("stage_kind") != "lost":
        uow.emit(OpportunityLost(opportunity_id=item.opportunity_id,
                                 lost_reason=shown.get("lost_reason"), opportunity=shown),
                 tenant_id)


def _stage(uow: UnitOfWork, principal: Principal | None, item: OpportunityItem,
           sent: dict[str, Any], creating: bool,
           catalog: products.ProductCache | None = None) -> dict[str, Any] | None:
    """Apply `sent` to the item and stage every write and event of the change in `uow`;
    returns the record as it will be after commit (None when nothing changed). The lines'
    products are read through `catalog` when given (a chunk of an import), else read."""
    tenant_id = item.tenant_id
    previous = record(item)
    before = dict(item.doc)
    doc = domain.apply({**domain.RECORD_DEFAULTS, **before}, sent)
    pipeline, stage = _where(tenant_id, doc, sent, before)
    doc["pipeline_id"], doc["stage"] = pipeline.pipeline_id, stage.name
    stage_changed = creating or (before.get("pipeline_id"), before.get("stage")) != (
        pipeline.pipeline_id, stage.name)
    _money(item, doc, sent, creating, catalog)
    _derive(item, doc, sent, stage, stage_changed)
    if not creating and not domain.changed_fields(before, doc):
        return None
    now = item.created_at if creating else clock.iso()
    item.doc = doc
    item.updated_at = now
    _review_approval(uow, principal, item, before, doc, creating)
    if stage_changed and stage.kind == "won" and doc.get("approval_status") == "pending":
        raise Conflict.for_field("stage", "the deal waits for a discount approval; it can be "
                                 "won once approved", code="approval_pending")
    repository.index_record(item)
    version = 1 if creating else int(item.version or 0) + 1
    seconds = _stage_history(uow, item, before, stage, now) if stage_changed else None
    shown = record(item, version)
    if creating:
        uow.put(item, OpportunityItem.PK.does_not_exist(), label="opportunity")
        uow.emit(OpportunityCreated(opportunity_id=item.opportunity_id, opportunity=shown),
                 tenant_id)
    else:
        uow.put(item, label="version")
        uow.emit(OpportunityUpdated(opportunity_id=item.opportunity_id, opportunity=shown,
                                    previous=previous,
                                    changed=domain.changed_fields(previous, shown)), tenant_id)
    repository.write_links(uow, tenant_id, item.opportunity_id, shown,
                           repository.parties_of(before), repository.parties_of(doc))
    if stage_changed:
        _stage_events(uow, tenant_id, item, {} if creating else before, shown, seconds)
    return shown


# -- use cases -----------------------------------------------------------------------------

def create_in(uow: UnitOfWork, principal: Principal | None, tenant_id: str,
              opportunity_id: str, fields: dict[str, Any],
              catalog: products.ProductCache | None = None) -> dict[str, Any]:
    """Validate `fields` (the POST body's shape) and stage the new deal's writes and events
    in `uow` without committing: lead conversion and the CSV import commit them with their
    own writes. The owner defaults to the calling user. Returns the record. Many deals in a
    row (an import's chunk) share a `catalog`, so each product is read once."""
    cmd = validate(OpportunityCreate, fields)
    sent = cmd.model_dump(mode="json", exclude_unset=True)
    if not sent.get("owner_id"):
        if principal is None or principal.kind != "user":
            raise ValidationFailed.for_field("owner_id", "is required for this caller")
        sent["owner_id"] = principal.subject
        if "team_id" not in sent and len(principal.team_ids) == 1:
            sent["team_id"] = next(iter(principal.team_ids))
    item = repository.new_record(tenant_id, opportunity_id, clock.iso())
    shown = _stage(uow, principal, item, sent, creating=True, catalog=catalog)
    assert shown is not None
    return shown


def create(principal: Principal, tenant_id: str, cmd: OpportunityCreate) -> dict[str, Any]:
    uow = repository.unit_of_work()
    shown = create_in(uow, principal, tenant_id, new_id(PREFIX),
                      cmd.model_dump(mode="json", exclude_unset=True))
    uow.commit()
    return shown


def update(principal: Principal, tenant_id: str, opportunity_id: str, cmd: OpportunityFields,
           if_match: int | None) -> dict[str, Any]:
    """Change the fields sent; a stale If-Match (or a write in between) is a 412."""
    item = get(principal, tenant_id, opportunity_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the opportunity changed since you read it",
                                 code="version_mismatch")
    uow = repository.unit_of_work()
    shown = _stage(uow, principal, item, cmd.model_dump(mode="json", exclude_unset=True),
                   creating=False)
    if shown is None:
        return record(item)
    uow.commit()
    return shown


def change_in(uow: UnitOfWork, item: OpportunityItem, sent: dict[str, Any]) -> None:
    """Stage a change the service makes itself (a merged contact, a decided approval)."""
    _stage(uow, None, item, sent, creating=False)


def delete(principal: Principal, tenant_id: str, opportunity_id: str,
           if_match: int | None) -> None:
    """Leave a tombstone for sync clients (30 days); drop the deal from lists and parties."""
    item = get(principal, tenant_id, opportunity_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the opportunity changed since you read it",
                                 code="version_mismatch")
    shown = record(item)
    uow = repository.unit_of_work()
    item.deleted = True
    item.updated_at = clock.iso()
    item.expires_at = clock.now() + timedelta(days=repository.TOMBSTONE_DAYS)
    repository.index_record(item)
    uow.put(item, label="version")
    repository.write_links(uow, tenant_id, opportunity_id, None,
                           repository.parties_of(item.doc), set())
    uow.emit(OpportunityDeleted(opportunity_id=opportunity_id, opportunity=shown), tenant_id)
    uow.commit()


# -- approvals of a deal's discount --------------------------------------------------------

def _approval_requested(uow: UnitOfWork, tenant_id: str, subject_id: str,
                        approval_id: str) -> None:
    """A manager asked for an approval of this deal through POST /approvals."""
    item = repository.get(tenant_id, subject_id, consistent=True) \
        if is_id(subject_id, PREFIX) else None
    if item is None or item.deleted:
        raise ValidationFailed.for_field("subject_id", "no such opportunity")
    if item.doc.get("approval_status") == "pending":
        raise Conflict.for_field("subject_id", "the deal already waits for an approval",
                                 code="approval_pending")
    change_in(uow, item, {"approval_status": "pending"})


def _approval_decided(uow: UnitOfWork, tenant_id: str, subject_id: str, decision: str) -> None:
    """The deal's approval_status follows the decision, in the decision's transaction."""
    item = repository.get(tenant_id, subject_id, consistent=True)
    if item is None or item.deleted or item.doc.get("approval_status") != "pending":
        return
    change_in(uow, item, {"approval_status": decision})


approvals.subject("opportunity", approvals.SubjectHooks(_approval_requested, _approval_decided))


def pipeline_filter(tenant_id: str, pipeline_id: str, stage: str | None) -> tuple[str, str | None]:
    """A list filter's pipeline and stage as stored; unknown ones are a 400 naming them."""
    pipeline, found = pipelines.resolve(tenant_id, pipeline_id, stage)
    return pipeline.pipeline_id, found.name if stage else None
