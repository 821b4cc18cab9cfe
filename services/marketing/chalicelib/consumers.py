"""Events the marketing service reacts to. Each feature's handlers register on `consumer`."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.events.builtin import subscribe_api_keys
from crm_shared.events.consumer import Consumer

consumer = Consumer(SERVICE)
subscribe_api_keys(consumer)

# Feature handlers register on `consumer` when imported: keep these at the bottom.
from chalicelib.audience import handlers as _audience_handlers  # noqa: E402,F401
