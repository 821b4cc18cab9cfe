"""The service table's item base. Key shapes live in each feature's repository, not here."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.dynamo import WideItem, table_meta


class ServiceItem(WideItem):
    """Base of every item in the service table (tickets list along eight dimensions: five
    on the record, three on its index shadow)."""

    Meta = table_meta(SERVICE)
