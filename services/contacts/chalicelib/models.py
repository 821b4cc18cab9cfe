"""PynamoDB items of the contacts table. Key shapes live in the repositories, not here."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib import SERVICE
from crm_shared.dynamo import BaseItem, index_class, table_meta

GSI4 = index_class("GSI4")
GSI5 = index_class("GSI5")


class ContactsItem(BaseItem):
    """Base of every item in the contacts table (it has two extra list indexes)."""

    Meta = table_meta(SERVICE)

    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    GSI5PK = UnicodeAttribute(null=True)
    GSI5SK = UnicodeAttribute(null=True)
    gsi4 = GSI4()
    gsi5 = GSI5()
