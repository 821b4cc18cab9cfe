"""Every write of a tenant's item puts it in the table's TENANT index (offboarding's only
way to find a tenant's items without a Scan): save, transactions, batch writes, and
updates that create the item (ADD counters), directly or in a unit of work."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from crm_shared.dynamo import SYSTEM_TENANT, BaseItem, table_meta, tenant_key
from crm_shared.unit_of_work import UnitOfWork

SERVICE = "contacts"
TENANT, OTHER = "ten_01INDEXTESTA", "ten_01INDEXTESTB"


class Thing(BaseItem):
    Meta = table_meta(SERVICE)
    name = UnicodeAttribute(null=True)
    count = NumberAttribute(null=True)


class Pointer(BaseItem):
    """A `_system` item that names the tenant it belongs to (like a form key)."""

    Meta = table_meta(SERVICE)
    tenant_id = UnicodeAttribute()


class Survivor(BaseItem):
    """A record that must outlive the tenant's offboarding."""

    Meta = table_meta(SERVICE)
    tenant_indexed = False


@pytest.fixture(scope="module")
def table(aws: dict[str, Any]) -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1").Table(Thing.Meta.table_name)


def tenant_items(table: Any, tenant_id: str) -> set[str]:
    found: set[str] = set()
    kwargs: dict[str, Any] = {"IndexName": "TENANT",
                              "KeyConditionExpression": "TENANTPK = :t",
                              "ExpressionAttributeValues": {":t": tenant_id}}
    while True:
        page = table.query(**kwargs)
        found |= {item["TENANTSK"] for item in page["Items"]}
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_the_templates_declare_a_keys_only_tenant_index(table: Any) -> None:
    indexes = {i["IndexName"]: i for i in table.global_secondary_indexes}
    assert indexes["TENANT"]["Projection"]["ProjectionType"] == "KEYS_ONLY"
    assert [k["AttributeName"] for k in indexes["TENANT"]["KeySchema"]] == ["TENANTPK",
                                                                          "TENANTSK"]


def test_every_kind_of_write_indexes_the_item_under_its_tenant(table: Any) -> None:
    pk = tenant_key(TENANT, "THING")
    Thing(PK=pk, SK="saved", name="a").save()
    with UnitOfWork(SERVICE) as uow:
        uow.put(Thing(PK=pk, SK="put-in-transaction", name="b"))
        uow.update(Thing(PK=pk, SK="added-in-transaction"), [Thing.count.add(1)])
    Thing(PK=pk, SK="added-directly").update([Thing.count.add(2)])
    with Thing.batch_write() as batch:
        batch.save(Thing(PK=pk, SK="batch-written"))
    Thing(PK=tenant_key(OTHER, "THING"), SK="other").save()

    assert tenant_items(table, TENANT) == {
        f"{pk}#{sk}" for sk in ("saved", "put-in-transaction", "added-in-transaction",
                                "added-directly", "batch-written")}
    assert tenant_items(table, OTHER) == {f"{tenant_key(OTHER, 'THING')}#other"}
    stored = table.get_item(Key={"PK": pk, "SK": "added-directly"})["Item"]
    assert (stored["count"], stored["TENANTPK"]) == (2, TENANT)


def test_an_update_of_an_existing_item_keeps_it_indexed(table: Any) -> None:
    pk = tenant_key(TENANT, "THING")
    Thing(PK=pk, SK="updated", name="x").save()
    with UnitOfWork(SERVICE) as uow:
        uow.update(Thing(PK=pk, SK="updated"), [Thing.name.set("y")])
    stored = table.get_item(Key={"PK": pk, "SK": "updated"})["Item"]
    assert (stored["name"], stored["TENANTSK"]) == ("y", f"{pk}#updated")


def test_system_items_are_indexed_under_the_tenant_they_name_or_not_at_all(table: Any) -> None:
    key = tenant_key(SYSTEM_TENANT, "FORM_KEY", "fk_test")
    Pointer(PK=key, SK="KEY", tenant_id=TENANT).save()
    Thing(PK=tenant_key(SYSTEM_TENANT, "DUE", "x"), SK="due").save()
    Survivor(PK=tenant_key(TENANT, "TOMBSTONE"), SK="KEEP").save()

    found = tenant_items(table, TENANT)
    assert f"{key}#KEY" in found
    assert not any("TOMBSTONE" in sk or "#DUE#" in sk for sk in found)
    assert tenant_items(table, SYSTEM_TENANT) == set()
    survivor = table.get_item(Key={"PK": tenant_key(TENANT, "TOMBSTONE"), "SK": "KEEP"})
    assert "TENANTPK" not in survivor["Item"]
