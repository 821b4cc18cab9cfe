"""The only code that knows form keys.

- the form: `T#<t>#FORM#<frm>` / `FORM`, listed on GSI1 `T#<t>#FORMS` by creation;
- its public key: `T#_system#FORM_KEY#<key>` / `KEY` (tenant and form id; one GetItem);
- submissions per minute: `T#<t>#FORM_RATE#<frm>#<YYYY-mm-ddTHH:MM>` / `COUNT` (TTL).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib import SERVICE
from chalicelib.forms.models import FormItem, FormKeyItem, RateItem
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD, KEY = "FORM", "KEY"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def new_form(tenant_id: str, form_id: str, form_key: str, doc: dict[str, object],
             now: str) -> FormItem:
    return FormItem(PK=tenant_key(tenant_id, "FORM", form_id), SK=RECORD, form_id=form_id,
                    tenant_id=tenant_id, form_key=form_key, doc=doc, created_at=now,
                    updated_at=now, GSI1PK=tenant_key(tenant_id, "FORMS"),
                    GSI1SK=f"{now}#{form_id}")


def key_item(form_key: str, tenant_id: str = "", form_id: str = "") -> FormKeyItem:
    return FormKeyItem(PK=tenant_key(SYSTEM_TENANT, "FORM_KEY", form_key), SK=KEY,
                       tenant_id=tenant_id, form_id=form_id)


def get(tenant_id: str, form_id: str, consistent: bool = False) -> FormItem | None:
    try:
        return FormItem.get(tenant_key(tenant_id, "FORM", form_id), RECORD,
                            consistent_read=consistent)
    except FormItem.DoesNotExist:
        return None


def by_key(form_key: str) -> FormKeyItem | None:
    try:
        return FormKeyItem.get(tenant_key(SYSTEM_TENANT, "FORM_KEY", form_key), KEY)
    except FormKeyItem.DoesNotExist:
        return None


def list_forms(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[FormItem],
                                                                         str | None]:
    pk = tenant_key(tenant_id, "FORMS")
    return query_page(lambda **kw: FormItem.gsi1.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:forms", cursor, limit)


def count_submission(tenant_id: str, form_id: str, now: datetime, limit: int) -> bool:
    """Count one submission in this minute's counter; False when the minute is full."""
    minute = now.strftime("%Y-%m-%dT%H:%M")
    item = RateItem(PK=tenant_key(tenant_id, "FORM_RATE", form_id, minute), SK="COUNT")
    try:
        item.update([RateItem.count.add(1),
                     RateItem.expires_at.set(now + timedelta(minutes=10))],
                    condition=RateItem.count.does_not_exist() | (RateItem.count < limit))
    except UpdateError as failed:
        if failed.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
