"""PynamoDB items of the contacts table. Key shapes live in the repositories, not here."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.dynamo import WideItem, table_meta


class ContactsItem(WideItem):
    """Base of every item in the contacts table (lists by stage in GSI4, by team in GSI5)."""

    Meta = table_meta(SERVICE)
