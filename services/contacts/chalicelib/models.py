"""PynamoDB items of the contacts table. Key shapes live in the repositories, not here."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import SERVICE
from crm_shared.dynamo import BaseItem, table_meta


class GSI4(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "GSI4"
        projection = AllProjection()

    GSI4PK = UnicodeAttribute(hash_key=True)
    GSI4SK = UnicodeAttribute(range_key=True)


class GSI5(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "GSI5"
        projection = AllProjection()

    GSI5PK = UnicodeAttribute(hash_key=True)
    GSI5SK = UnicodeAttribute(range_key=True)


class ContactsItem(BaseItem):
    """Base of every item in the contacts table (it has two extra list indexes)."""

    Meta = table_meta(SERVICE)

    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    GSI5PK = UnicodeAttribute(null=True)
    GSI5SK = UnicodeAttribute(null=True)
    gsi4 = GSI4()
    gsi5 = GSI5()
