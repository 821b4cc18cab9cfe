"""Point the services at what `provision` created, as a Lambda's environment would."""

from __future__ import annotations

import os
from typing import Any


def configure(resources: dict[str, Any]) -> None:
    os.environ["CRM_USER_POOL_ID"] = resources["user_pool_id"]
    os.environ["CRM_USER_POOL_CLIENT_ID"] = resources["user_pool_client_id"]
    contacts = resources["services"].get("contacts", {})
    if contacts.get("files_bucket_name"):
        os.environ["CRM_FILES_BUCKET"] = contacts["files_bucket_name"]
    service = resources["services"].get("service", {})
    if service.get("inbound_bucket_name"):
        os.environ["CRM_INBOUND_BUCKET"] = service["inbound_bucket_name"]
    from crm_shared.settings import get_settings

    get_settings.cache_clear()
