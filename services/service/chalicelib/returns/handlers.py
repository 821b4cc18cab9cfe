"""What the contacts service's person events mean for returns.

A person's returns are found by the contact index (GSI4), never a scan; each is its own
version-checked transaction, and an erased or moved return leaves the contact's index, so a
retried event resumes where a failure stopped.
"""

from __future__ import annotations

from typing import Any

from chalicelib.consumers import consumer
from chalicelib.returns import repository
from chalicelib.returns.models import ReturnItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

ROUNDS = 40  # of 25 returns: a person with more is finished by the event's next delivery


def _save(item: ReturnItem, doc: dict[str, Any]) -> None:
    item.doc = {k: v for k, v in doc.items() if v is not None}
    repository.index(item)
    own = repository.unit_of_work()
    own.put(item, label="version")
    own.commit()


def _each(tenant_id: str, contact_id: str, change: Any) -> None:
    for _ in range(ROUNDS):
        found = repository.by_contact(tenant_id, contact_id)
        if not found:
            return
        for listed in found:
            item = repository.get(tenant_id, listed.return_id, consistent=True)
            if item is not None and item.doc.get("contact_id") == contact_id:
                _save(item, change(dict(item.doc)))
    raise RuntimeError("more returns than one delivery changes: the retry goes on")


@consumer.on(ContactErased)
def erase_returns(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the returns keep their products and steps for the books, not the person."""
    def strip(doc: dict[str, Any]) -> dict[str, Any]:
        history = [{**step, "note": None} for step in doc.get("history", [])]
        lines = [{k: v for k, v in line.items() if k != "comment"}
                 for line in doc.get("lines", [])]
        return {**doc, "contact_id": None, "notes": None, "address": None,
                "history": history, "lines": lines, "erased": True}

    _each(ctx.tenant_id, event.contact_id, strip)


@consumer.on(ContactMerged)
def repoint_returns(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged people's returns now belong to the survivor."""
    for merged_id in event.merged_ids:
        _each(ctx.tenant_id, merged_id, lambda doc: {**doc, "contact_id": event.contact_id})
