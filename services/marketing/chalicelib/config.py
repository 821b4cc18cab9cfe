"""Marketing settings beyond crm_shared's: where tracking links point, batch sizes.

`CRM_PUBLIC_API_URL` is the public edge (the local gateway by default): tracking and
unsubscribe links in sent messages are built on it.
"""

from __future__ import annotations

import os

from crm_shared.settings import get_settings

RECIPIENTS_PER_SEND_MESSAGE = 100  # one send-queue message carries this many recipients
PLAN_PAGE = 500  # recipients the planner reads per job message (5 send messages)
EVALUATION_PAGE = 200  # people a segment evaluation reads per job message
MAX_SEGMENTS = 100  # per tenant: every contact change re-checks each dynamic segment


def public_api_url() -> str:
    return os.environ.get("CRM_PUBLIC_API_URL", "http://127.0.0.1:8000").rstrip("/")


def queue_name(kind: str) -> str:
    """`crm-<stage>-marketing-<kind>` (sends, messages, feedback, jobs)."""
    return f"crm-{get_settings().stage}-marketing-{kind}"
