"""Tenant offboarding in every service: purge the tenant's data in pages, never a Scan.

`subscribe_offboarding(consumer)` is the one line a service adds. On `TenantDeleted` the
service records that the tenant is gone (an `_system` item every request checks, see
`refuse_offboarded`) and starts its purge; each page is a `TenantPurgeProgressed` event the
service emits to itself, so a page runs in its own consumer transaction:

1. `items`: Query the table's TENANT index (keys only) from the cursor, `PAGE` keys, delete
   them with BatchWriteItem (25 a request, unprocessed ones retried) and emit the next page
   with the Query's cursor, in the transaction that carries the page's idempotency marker.
2. `verify`: the same from the start, until a pass deletes nothing (it catches what was
   written while the purge ran: the TenantDeleted marker itself, late event handlers).
3. `objects`: S3 objects under `<tenant_id>/` in the service's buckets (named by env vars),
   a ListObjectsV2 page and one DeleteObjects at a time.

Then the service emits `TenantPurged` with its counts; the platform reports them. A page
delivered twice is harmless: the consumer's marker refuses the second; a page whose commit
failed runs again and deletes what is left (counts may then miss what the first run
deleted). The events travel under `_system`, whose items are never in the TENANT index.
Why events and not a jobs queue: the platform and service have no jobs queue, and an
event's page, progress and next page commit together with exactly-once delivery.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm_shared import clock
from crm_shared.dynamo import SYSTEM_TENANT, BaseItem, table_meta, tenant_key
from crm_shared.errors import Unauthorized
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import (
    TenantDeleted,
    TenantPurged,
    TenantPurgeProgressed,
)
from crm_shared.settings import get_settings
from crm_shared.unit_of_work import UnitOfWork

PAGE = 500  # keys per Query page (one purge message)
BATCH = 25  # BatchWriteItem's maximum
RETRIES = 8  # rounds of unprocessed items before the page fails (and is redelivered)
OBJECTS = 1000  # ListObjectsV2 / DeleteObjects maximum
KNOWN_FOR = timedelta(seconds=10)  # how long "not offboarded" is believed without a read
ITEMS, VERIFY, DONE_OBJECTS = "items", "verify", "objects"


class OffboardedItem(BaseItem):
    """`T#_system#OFFBOARDED#<tenant>`: the tenant is gone; outlives the purge."""

    tenant_indexed = False
    offboarded_tenant = UnicodeAttribute()
    offboarded_at = UnicodeAttribute()


@cache
def _offboarded_model(service: str) -> type[OffboardedItem]:
    return type(f"{service.title()}OffboardedItem", (OffboardedItem,),
                {"Meta": table_meta(service)})


def offboarded_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(SYSTEM_TENANT, "OFFBOARDED", tenant_id), "OFFBOARDED"


# -- refusing an offboarded tenant's callers -------------------------------------------

_known: dict[tuple[str, str], tuple[bool, datetime]] = {}


def is_offboarded(service: str, tenant_id: str) -> bool:
    """One GetItem in the service's own table; "offboarded" is cached for good, "not
    offboarded" for `KNOWN_FOR`, so a deleted tenant is refused within seconds of the
    service's receiving `TenantDeleted`."""
    now = clock.now()
    cached = _known.get((service, tenant_id))
    if cached is not None and (cached[0] or now - cached[1] < KNOWN_FOR):
        return cached[0]
    model = _offboarded_model(service)
    pk, sk = offboarded_keys(tenant_id)
    try:
        model.get(pk, sk)
        gone = True
    except model.DoesNotExist:
        gone = False
    _known[(service, tenant_id)] = (gone, now)
    return gone


def refuse_offboarded(service: str, tenant_id: str | None) -> None:
    """401 for a token or API key of an offboarded tenant."""
    if tenant_id and tenant_id != SYSTEM_TENANT and is_offboarded(service, tenant_id):
        raise Unauthorized("the tenant was offboarded", code="tenant_offboarded")


# -- the purge -------------------------------------------------------------------------

def subscribe_offboarding(consumer: Consumer, bucket_env: Sequence[str] = ()) -> None:
    """Purge `consumer.service`'s data of each deleted tenant, in pages, then report.
    `bucket_env`: environment variables naming buckets whose `<tenant_id>/` keys go too."""
    service = consumer.service
    marker_model = _offboarded_model(service)

    @consumer.on(TenantDeleted)
    def start_purge(event: TenantDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
        if event.tenant_id != ctx.tenant_id:
            return  # only the platform announces a tenant's deletion, under that tenant
        pk, sk = offboarded_keys(event.tenant_id)
        try:
            marker_model.get(pk, sk)
            return  # announced again: the purge started already
        except marker_model.DoesNotExist:
            pass
        _known.pop((service, event.tenant_id), None)
        uow.put(marker_model(PK=pk, SK=sk, offboarded_tenant=event.tenant_id,
                             offboarded_at=clock.iso()), label="offboarded")
        uow.emit(TenantPurgeProgressed(tenant_id=event.tenant_id, service=service,
                                       phase=ITEMS, page=0), SYSTEM_TENANT)

    @consumer.on(TenantPurgeProgressed)
    def purge_page(event: TenantPurgeProgressed, ctx: EventContext, uow: UnitOfWork) -> None:
        if event.service != service or ctx.tenant_id != SYSTEM_TENANT:
            return  # another service's page (a rule without a content filter delivers it)
        tenant_key(event.tenant_id)  # refuses a malformed tenant id before any delete
        items, objects = event.items_deleted, event.objects_deleted
        if event.phase in (ITEMS, VERIFY):
            keys, cursor = _query_page(service, event.tenant_id, event.cursor)
            deleted = _delete_items(service, keys)
            items += deleted
            if cursor is not None:
                _next(uow, event, event.phase, cursor, items, objects)
            elif event.phase == ITEMS or deleted:
                _next(uow, event, VERIFY, None, items, objects)  # a pass from the start
            else:
                _next(uow, event, DONE_OBJECTS, None, items, objects)
            return
        deleted = _delete_objects(event.tenant_id, _buckets(bucket_env))
        if deleted:
            _next(uow, event, DONE_OBJECTS, None, items, objects + deleted)
            return
        uow.emit(TenantPurged(tenant_id=event.tenant_id, service=service,
                              items_deleted=items, objects_deleted=objects), SYSTEM_TENANT)


def _next(uow: UnitOfWork, event: TenantPurgeProgressed, phase: str,
          cursor: dict[str, str] | None, items: int, objects: int) -> None:
    uow.emit(TenantPurgeProgressed(tenant_id=event.tenant_id, service=event.service,
                                   phase=phase, page=event.page + 1, cursor=cursor,
                                   items_deleted=items, objects_deleted=objects),
             SYSTEM_TENANT)


@cache
def _dynamodb() -> Any:
    import boto3

    settings = get_settings()
    return boto3.client("dynamodb", region_name=settings.region,
                        endpoint_url=settings.aws_endpoint_url)


@cache
def _s3() -> Any:
    import boto3

    settings = get_settings()
    return boto3.client("s3", region_name=settings.region,
                        endpoint_url=settings.aws_endpoint_url)


def _query_page(service: str, tenant_id: str, cursor: dict[str, str] | None
                ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """A page of the tenant's keys from the TENANT index, and the cursor after it."""
    kwargs: dict[str, Any] = {
        "TableName": get_settings().table_name(service), "IndexName": "TENANT",
        "KeyConditionExpression": "TENANTPK = :tenant",
        "ExpressionAttributeValues": {":tenant": {"S": tenant_id}}, "Limit": PAGE,
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = {name: {"S": value} for name, value in cursor.items()}
    page = _dynamodb().query(**kwargs)
    keys = [{"PK": item["PK"], "SK": item["SK"]} for item in page.get("Items", [])]
    last = page.get("LastEvaluatedKey")
    return keys, ({name: value["S"] for name, value in last.items()} if last else None)


def _delete_items(service: str, keys: list[dict[str, Any]]) -> int:
    """BatchWriteItem deletes, 25 a request, retrying unprocessed ones with backoff."""
    table = get_settings().table_name(service)
    for start in range(0, len(keys), BATCH):
        requests = [{"DeleteRequest": {"Key": key}} for key in keys[start:start + BATCH]]
        for attempt in range(RETRIES):
            result = _dynamodb().batch_write_item(RequestItems={table: requests})
            requests = result.get("UnprocessedItems", {}).get(table, [])
            if not requests:
                break
            time.sleep(min(0.05 * 2 ** attempt, 2.0))
        else:
            raise RuntimeError(f"{len(requests)} deletes stayed unprocessed; the page retries")
    return len(keys)


def _buckets(bucket_env: Sequence[str]) -> list[str]:
    return [name for name in (os.environ.get(env, "") for env in bucket_env) if name]


def _delete_objects(tenant_id: str, buckets: list[str]) -> int:
    """One listing page of `<tenant_id>/` keys in the first bucket that has any, deleted."""
    for bucket in buckets:
        listing = _s3().list_objects_v2(Bucket=bucket, Prefix=f"{tenant_id}/",
                                        MaxKeys=OBJECTS)
        keys = [{"Key": found["Key"]} for found in listing.get("Contents", [])]
        if not keys:
            continue
        result = _s3().delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        if result.get("Errors"):
            raise RuntimeError(f"S3 refused {len(result['Errors'])} deletes; the page retries")
        return len(keys)
    return 0
