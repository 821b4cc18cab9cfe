"""The sales table's item base. Key shapes live in each feature's repository, not here."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.dynamo import WideItem, table_meta


class SalesItem(WideItem):
    """Base of every item in the sales table (opportunities list along five dimensions)."""

    Meta = table_meta(SERVICE)
