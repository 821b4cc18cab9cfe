"""The marketing table's item base. Key shapes live in each feature's repository, not here."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.dynamo import BaseItem, table_meta


class MarketingItem(BaseItem):
    """Base of every item in the marketing table (three list indexes and DUE)."""

    Meta = table_meta(SERVICE)
