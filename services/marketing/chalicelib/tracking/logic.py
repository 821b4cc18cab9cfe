"""Tracking use cases: opens, clicks and unsubscribes from signed, tenant-scoped tokens.

A token that was forged, altered, made for another kind or names no sent message is a 404.
The first open, the first click and the unsubscribe of a message count once on its
campaign (on the counter shard its message id hashes to, and its channel's) and are
announced (MessageOpened, LinkClicked, Unsubscribed) in the same transaction as the
record's timestamp, so a reload counts and announces nothing twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.campaigns import logic as campaigns
from chalicelib.delivery import repository as sends
from chalicelib.delivery.models import SendItem
from chalicelib.retries import retrying
from chalicelib.suppressions import logic as suppressions
from chalicelib.tracking import tokens
from crm_shared import clock
from crm_shared.dynamo import tenant_key
from crm_shared.errors import NotFound
from crm_shared.events.marketing_events import LinkClicked, MessageOpened, Unsubscribed
from crm_shared.unit_of_work import TransactionConflict


def _sent(kind: str, token: str) -> tuple[tokens.Ref, SendItem]:
    ref = tokens.read(kind, token)
    if ref is None:
        raise NotFound("no such message")
    send = sends.get(tenant_key(ref.tenant_id, *ref.send_pk.split("#")), ref.send_sk)
    if send is None or send.state != "sent" or send.tenant_id != ref.tenant_id:
        raise NotFound("no such message")
    return ref, send


def _first(send: SendItem, attribute: str, counter: str, event: Any) -> bool:
    """Stamp `attribute`, count and announce, only the first time."""
    uow = sends.unit_of_work()
    field = getattr(SendItem, attribute)
    uow.update(send, [field.set(clock.iso())], condition=field.does_not_exist(), label="send")
    if send.campaign_id:
        campaigns.count_message(send.tenant_id, send.campaign_id, uow, send.message_id,
                                send.channel, **{counter: 1})
    uow.emit(event, send.tenant_id, actor="public:recipient")
    try:
        retrying(uow.commit)
    except TransactionConflict:
        return False
    return True


def opened(token: str) -> None:
    _, send = _sent("o", token)
    _first(send, "opened_at", "opened", MessageOpened(
        message_id=send.message_id, contact_id=send.contact_id, campaign_id=send.campaign_id,
        email=None, occurred_at=clock.iso()))


def clicked(token: str) -> str:
    """The URL the message held at the token's link index (never any other)."""
    ref, send = _sent("c", token)
    links = list(send.links or [])
    if ref.link is None or not 0 <= ref.link < len(links):
        raise NotFound("no such link")
    url = str(links[ref.link])
    _first(send, "clicked_at", "clicked", LinkClicked(
        message_id=send.message_id, contact_id=send.contact_id, campaign_id=send.campaign_id,
        url=url, occurred_at=clock.iso()))
    return url


def check_unsubscribe(token: str) -> None:
    _sent("u", token)


def unsubscribe(token: str) -> None:
    """Suppress the address for marketing at once; contacts records the consent change on
    Unsubscribed."""
    _, send = _sent("u", token)
    if send.address:
        suppressions.add(send.tenant_id, send.channel, send.address, "unsubscribe",
                         note=f"campaign {send.campaign_id}" if send.campaign_id else None)
    _first(send, "unsubscribed_at", "unsubscribed", Unsubscribed(
        contact_id=send.contact_id, channel=send.channel, campaign_id=send.campaign_id,
        message_id=send.message_id, occurred_at=clock.iso()))
