"""Contract use cases: create, change, renew, end, and the notice schedule.

The schedule keeps each active contract on the DUE index at its next notice (the tenant's
notice periods before `end_date`) or at its end. Each notice is recorded in the contract
with its ContractExpiring in one transaction, so it is announced exactly once; the first
notice also opens a renewal opportunity and a task for the owner in that transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.contracts import repository
from chalicelib.contracts.models import ContractItem
from chalicelib.contracts.schemas import ContractOut, ContractSettings
from chalicelib.opportunities import logic as opportunities
from chalicelib.tasks import logic as tasks
from crm_shared import clock, observability
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, Problem, ValidationFailed
from crm_shared.events.commerce_events import ContractEnded, ContractExpiring, ContractRenewed
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import UnitOfWork

PREFIX = "ctr"
OPEN = frozenset({"draft", "active"})


def record(item: ContractItem, version: int | None = None) -> dict[str, Any]:
    return ContractOut(**{**item.doc, "contract_id": item.contract_id,
                          "created_at": item.created_at, "updated_at": item.updated_at,
                          "version": version if version is not None else item.version or 0}
                       ).model_dump(mode="json")


def get(tenant_id: str, contract_id: str, consistent: bool = False) -> ContractItem:
    item = repository.get(tenant_id, contract_id, consistent) \
        if is_id(contract_id, PREFIX) else None
    if item is None:
        raise NotFound("no such contract")
    return item


def notice_days(tenant_id: str) -> list[int]:
    return ContractSettings(**repository.settings(tenant_id)).notice_days


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)


def next_due(doc: dict[str, Any], days: list[int]) -> datetime | None:
    """The next notice not yet sent, else the day after the end; None unless active."""
    if doc.get("status") != "active":
        return None
    end = _midnight(doc["end_date"])
    sent = set(doc.get("notices_sent") or [])
    pending = [end - timedelta(days=d) for d in days if d not in sent]
    return min([*pending, end + timedelta(days=1)])


def _stage(uow: UnitOfWork, item: ContractItem, doc: dict[str, Any], creating: bool,
           before_contacts: list[str]) -> dict[str, Any]:
    if date.fromisoformat(doc["end_date"]) < date.fromisoformat(doc["start_date"]):
        raise ValidationFailed.for_field("end_date", "must not be before start_date")
    item.doc, item.updated_at = doc, clock.iso()
    repository.index_record(item, next_due(doc, notice_days(item.tenant_id)))
    uow.put(item, condition=ContractItem.PK.does_not_exist() if creating else None,
            label="contract" if creating else "version")
    repository.stage_links(uow, item.tenant_id, item.contract_id, before_contacts,
                           list(doc.get("contact_ids") or []))
    return record(item, (item.version or 0) + 1)


def create(principal: Principal, tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    doc = {k: v for k, v in fields.items() if v is not None}
    if not doc.get("owner_id") and principal.kind == "user":
        doc["owner_id"] = principal.subject
    item = repository.new_record(tenant_id, new_id(PREFIX), clock.iso())
    uow = repository.unit_of_work()
    shown = _stage(uow, item, doc, True, [])
    uow.commit()
    return shown


def update(tenant_id: str, contract_id: str, changes: dict[str, Any],
           if_match: int | None) -> dict[str, Any]:
    item = get(tenant_id, contract_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the contract changed since you read it",
                                 code="version_mismatch")
    before = dict(item.doc)
    if before["status"] not in OPEN:
        raise Conflict.for_field("status", f"a {before['status']} contract is final")
    if changes.get("status") == "draft" and before["status"] == "active":
        raise Conflict.for_field("status", "an active contract cannot go back to draft")
    for required in ("name", "company_id", "start_date", "end_date", "value",
                     "billing_period", "status"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.for_field(required, "cannot be cleared")
    after = {k: v for k, v in {**before, **changes}.items() if v is not None}
    if after == before:
        return record(item)
    uow = repository.unit_of_work()
    shown = _stage(uow, item, after, False, list(before.get("contact_ids") or []))
    uow.commit()
    return shown


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _same_term(start: date, end: date, new_start: date) -> date:
    """A term of whole months (a year, a quarter) renews for as many months; any other
    term for as many days."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if months > 0 and after.day == start.day:
        return _add_months(new_start, months) - timedelta(days=1)
    return new_start + (end - start)


def _renewal_terms(doc: dict[str, Any], end_date: str | None) -> tuple[str, str]:
    start, end = date.fromisoformat(doc["start_date"]), date.fromisoformat(doc["end_date"])
    new_start = end + timedelta(days=1)
    new_end = date.fromisoformat(end_date) if end_date else _same_term(start, end, new_start)
    if new_end < new_start:
        raise ValidationFailed.for_field("end_date", f"must not be before {new_start}, the "
                                         "start of the new term")
    return new_start.isoformat(), new_end.isoformat()


def _stage_renewal(uow: UnitOfWork, item: ContractItem, end_date: str | None,
                   value: dict[str, Any] | None) -> dict[str, Any]:
    before = dict(item.doc)
    start, end = _renewal_terms(before, end_date)
    successor = repository.new_record(item.tenant_id, new_id(PREFIX), clock.iso())
    doc = {k: v for k, v in before.items() if k not in {
        "notices_sent", "renewal_opportunity_id", "renewed_by", "ended_reason"}}
    doc.update(start_date=start, end_date=end, status="active", renewed_from=item.contract_id,
               value=value or before["value"])
    shown = _stage(uow, successor, doc, True, [])
    _stage(uow, item, {**before, "status": "renewed", "renewed_by": successor.contract_id},
           False, list(before.get("contact_ids") or []))
    uow.emit(ContractRenewed(contract_id=successor.contract_id,
                             previous_end_date=before["end_date"], end_date=end,
                             contract=shown), item.tenant_id)
    return shown


def renew(tenant_id: str, contract_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The next term as a new active contract; this one becomes `renewed`."""
    item = get(tenant_id, contract_id, consistent=True)
    if item.doc["status"] not in {"active", "expired"}:
        raise Conflict.for_field("status", f"a {item.doc['status']} contract cannot be renewed")
    uow = repository.unit_of_work()
    shown = _stage_renewal(uow, item, fields.get("end_date"), fields.get("value"))
    uow.commit()
    return shown


def end(tenant_id: str, contract_id: str, reason: str | None) -> dict[str, Any]:
    item = get(tenant_id, contract_id, consistent=True)
    before = dict(item.doc)
    if before["status"] not in OPEN:
        raise Conflict.for_field("status", f"a {before['status']} contract cannot be ended")
    uow = repository.unit_of_work()
    doc = {**before, "status": "ended", **({"ended_reason": reason} if reason else {})}
    shown = _stage(uow, item, doc, False, list(before.get("contact_ids") or []))
    uow.emit(ContractEnded(contract_id=item.contract_id, reason=reason, contract=shown),
             item.tenant_id)
    uow.commit()
    return shown


def settings(tenant_id: str) -> dict[str, Any]:
    return {"notice_days": notice_days(tenant_id)}


def put_settings(tenant_id: str, values: dict[str, Any]) -> dict[str, Any]:
    repository.put_settings(tenant_id, values)
    return settings(tenant_id)


# -- the schedule -----------------------------------------------------------------------

def _renewal_work(uow: UnitOfWork, item: ContractItem) -> tuple[str | None, str | None]:
    """The renewal opportunity and the owner's task, staged with the first notice."""
    doc, owner = item.doc, item.doc.get("owner_id")
    if not owner:
        return None, None
    opportunity_id = new_id("opp")
    opportunities.create_in(uow, None, item.tenant_id, opportunity_id, {
        "name": f"Renewal: {doc['name']}"[:200], "company_id": doc["company_id"],
        "contact_ids": list(doc.get("contact_ids") or [])[:20], "owner_id": owner,
        "amount": doc["value"], "expected_close_date": doc["end_date"]})
    task = tasks.create_in(uow, item.tenant_id, {
        "title": f"Renew {doc['name']}"[:300], "type": "todo", "assignee_id": owner,
        "due_at": clock.iso(_midnight(doc["end_date"]) - timedelta(days=7)),
        "links": {"opportunity_id": opportunity_id}})
    return opportunity_id, str(task["task_id"])


def _run(item: ContractItem) -> int:
    uow = repository.unit_of_work()
    now, doc = clock.now(), dict(item.doc)
    if doc.get("status") != "active":
        repository.index_record(item, None)
        uow.put(item, label="version")
        uow.commit()
        return 0
    days, sent = notice_days(item.tenant_id), list(doc.get("notices_sent") or [])
    end = _midnight(doc["end_date"])
    announced = 0
    for before_days in sorted(days, reverse=True):
        if before_days in sent or end - timedelta(days=before_days) > now or now > end:
            continue
        opportunity_id = task_id = None
        if not sent:
            opportunity_id, task_id = _renewal_work(uow, item)
            doc["renewal_opportunity_id"] = opportunity_id
        sent.append(before_days)
        doc["notices_sent"] = sent
        item.doc = doc
        uow.emit(ContractExpiring(
            contract_id=item.contract_id, days_before=before_days, end_date=doc["end_date"],
            owner_id=doc.get("owner_id"), renewal_opportunity_id=opportunity_id,
            task_id=task_id, contract=record(item, (item.version or 0) + 1)), item.tenant_id,
            actor="system:contract_notices")
        announced += 1
    if now >= end + timedelta(days=1):
        if doc.get("auto_renew"):
            item.doc = doc
            _stage_renewal(uow, item, None, None)
            uow.commit()
            return announced
        doc["status"] = "expired"
    item.doc, item.updated_at = doc, clock.iso()
    repository.index_record(item, next_due(doc, days))
    uow.put(item, label="version")
    uow.commit()
    return announced


def notify_due(limit: int = 100) -> int:
    """Scheduled: announce due notices (each once), expire or auto-renew ended terms."""
    sent = 0
    for item in repository.due(limit):
        try:
            sent += _run(item)
        except PreconditionFailed:
            continue  # changed meanwhile: re-indexed by that write
        except Problem:
            observability.logger("sales").exception(
                "contract notice failed", extra={"contract_id": item.contract_id})
    return sent


def stage_contacts(uow: UnitOfWork, item: ContractItem, before: list[str],
                   after: list[str]) -> None:
    """A consumer's rewrite of the contract's contacts (merge, erasure), with its links."""
    _stage(uow, item, {**item.doc, "contact_ids": after}, False, before)
