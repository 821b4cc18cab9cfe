"""Return rules in plain Python: the status flow and what each step announces."""

from __future__ import annotations

from crm_shared.errors import Conflict
from crm_shared.events.service_events import (
    ReturnApproved,
    ReturnMoved,
    ReturnReceived,
    ReturnRefunded,
    ReturnRejected,
    ReturnReplaced,
)

REQUESTED, APPROVED, REJECTED, RECEIVED, REFUNDED, REPLACED = (
    "requested", "approved", "rejected", "received", "refunded", "replaced")
TRANSITIONS: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset({RECEIVED}),
    RECEIVED: frozenset({REFUNDED, REPLACED}),
    REJECTED: frozenset(), REFUNDED: frozenset(), REPLACED: frozenset(),
}
EVENTS: dict[str, type[ReturnMoved]] = {
    APPROVED: ReturnApproved, REJECTED: ReturnRejected, RECEIVED: ReturnReceived,
    REFUNDED: ReturnRefunded, REPLACED: ReturnReplaced,
}


def check_transition(current: str, wanted: str) -> None:
    """A 409 naming `status` for a move the flow does not allow (staying put is no move)."""
    if wanted != current and wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or f"nothing ({current} is final)"
        raise Conflict.for_field("status", f"{current} may move to {allowed}, not {wanted}",
                                 code="invalid_transition")


def ticket_note(return_id: str, status: str, lines: list[dict[str, object]]) -> str:
    """The public line a step leaves on the ticket (no agent notes: those may be internal)."""
    if status != REQUESTED:
        return f"Return {return_id} {status}."
    items = ", ".join(f"{line['quantity']} x {line.get('product_name') or line.get('sku')}"
                      for line in lines[:5])
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    return f"Return {return_id} requested: {items}{more}."
