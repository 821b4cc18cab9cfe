"""moto patches the embedded AWS needs, in `make run` and in the tests alike.

Per-item rollback of a cancelled TransactWriteItems, instead of whole-table copies.

moto 5.2 deep-copies a table for EVERY item of a TransactWriteItems (its rollback backup),
so a transaction's cost grows with the table, not with the transaction: loading the
Maven demo's 8,800 deals grew `make run`'s moto by megabytes per deal. A transaction
touches at most 100 items, so the patch saves just those items (and each table's stream
length) before moto runs it, lets moto's "backup" be the live table, and on any error
puts the saved items back and drops the stream records the failed writes added. The
state after a cancelled transaction is the same as moto's own copy would restore.
"""

from __future__ import annotations

import copy
from typing import Any


class _NoTableCopy:
    """`copy` as moto's transaction sees it: the table backup is the live table."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        return value


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """(table, hash value, range value) of every item the transaction names."""
    touched = []
    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue
            key = op.get("Key") or {
                name: op.get("Item", {}).get(name)
                for name in (table.hash_key_attr, table.range_key_attr) if name}
            try:
                touched.append((table, *backend.get_keys_value(table, key)))
            except Exception:  # noqa: BLE001  (a malformed key: moto itself rejects it)
                continue
    return touched


def _restore(table: Any, hash_value: Any, range_value: Any, saved: Any) -> None:
    if range_value is not None:
        partition = table.items[hash_value]
        if saved is None:
            partition.pop(range_value, None)
        else:
            partition[range_value] = saved
    elif saved is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = saved


def rollback_transactions_per_item() -> None:
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "crm_patched", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = _touched(self, transact_items)
        saved = [copy.deepcopy(table.get_item(h, r)) if not (table.has_range_key and r is None)
                 else None for table, h, r in touched]
        streams = {id(t): (t.stream_shard, len(t.stream_shard.items))
                   for t, _, _ in touched if t.stream_shard is not None}
        models.copy = _NoTableCopy  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        except Exception:
            for (table, h, r), item in reversed(list(zip(touched, saved, strict=True))):
                _restore(table, h, r, item)
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            models.copy = copy

    transact_write_items.crm_patched = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def query_only_the_matching_partition() -> None:
    """Answer a DynamoDB Query from the items of its partition, not from the sorted table.

    moto's Query starts from `Table.all_items()`, which lists and SORTS the whole table,
    then compares every item's key: a Query costs the table, not the page, so the local
    runtime and the tests slowed down as their data grew (the Maven demo's 8,800 deals
    made every consumer's Query walk ~50,000 items). The patch hands moto only the items
    whose partition key matches (a dict lookup for the table, a plain value comparison for
    an index), past the page's start key for a table Query of string sort keys; moto then
    filters, sorts and pages them exactly as before.
    """
    from bisect import bisect_left, bisect_right

    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "crm_patched", False):
        return

    def same(value: Any, wanted: Any) -> bool:
        if value is None or value.type != wanted.type:
            return False
        return bool(value.value == wanted.value or (value.type == "N" and value == wanted))

    def unsorted(table: Any) -> list[Any]:
        if not table.range_key_attr:
            return list(table.items.values())
        return [item for partition in table.items.values() for item in partition.values()]

    def after_start(table: Any, items: list[Any], start: Any, forward: bool) -> list[Any] | None:
        """The partition's items past a page's start key, or None to leave it to moto
        (which walks the partition from its first item to the start key on every page)."""
        if not start or not table.range_key_attr or any(i.range_key.type != "S" for i in items):
            return None
        items.sort(key=lambda item: item.range_key.value)
        keys = [item.range_key.value for item in items]
        at = start[table.range_key_attr]["S"]
        return items[bisect_right(keys, at):] if forward else items[:bisect_left(keys, at)]

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        if index_name is None and hash_key is not None:
            partition = self.items.get(hash_key)
            candidates = ([] if partition is None else
                          list(partition.values()) if self.range_key_attr else [partition])
            rest = after_start(self, candidates, args[3], args[4]) if len(args) > 4 else None
            if rest is not None:
                candidates, args = rest, (*args[:3], None, *args[4:])
        elif index_name is not None and conditions:
            candidates = [item for item in unsorted(self)
                          if all(same(item.attrs.get(name), value) for name, value in conditions)]
        else:
            return original(self, hash_key, *args, **kwargs)
        self.all_items = lambda: candidates  # moto's order comes from its own sort after this
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.crm_patched = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


def parse_event_paths_once() -> None:
    """Compile each JSONPath of EventBridge's input templates once, not once per delivery.

    moto builds every target's event from a template of eight JSONPaths and compiles each
    of them, a fresh yacc parser every time, for every event and every target: a third of
    the embedded AWS's time while the demo's events flowed. A compiled path is immutable,
    so one per expression serves every event.
    """
    from functools import lru_cache

    import jsonpath_ng.ext

    if getattr(jsonpath_ng.ext.parse, "crm_patched", False):
        return
    cached = lru_cache(maxsize=256)(jsonpath_ng.ext.parse)
    cached.crm_patched = True  # type: ignore[attr-defined]
    jsonpath_ng.ext.parse = cached


def serialize_dynamodb() -> None:
    """Serve moto's DynamoDB calls one at a time, as infra/local/aws_server.py does.

    moto checks a condition and applies the write as two steps, so two threads can both
    pass a condition: a lost update real DynamoDB never allows. Concurrency tests race our
    code, not moto's, so DynamoDB is made atomic per call (and the patched `copy` above, a module
    global, is then never seen by two transactions).
    """
    import threading

    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "crm_patched", False):
        return
    lock = threading.RLock()

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    call_action.crm_patched = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def count_queue_messages_only_when_asked() -> None:
    """Read one SQS queue attribute without counting the queue's messages.

    moto's `Queue.attributes` builds every attribute, and three of them walk all the
    queue's messages; moto reads it on every SendMessage (for ContentBasedDeduplication)
    and, through the retention check, for every message a ReceiveMessage returns. With a
    backlog of thousands of events (the Maven demo leaves ~25,000) each send and receive
    walked the backlog, and the embedded AWS spent half its time counting. The patched
    property computes an attribute when it is read; asking for all of them still counts.
    """
    import json
    from collections.abc import Iterator, Mapping

    from moto.core.utils import camelcase_to_underscores
    from moto.sqs import models

    if getattr(models.Queue.attributes.fget, "crm_patched", False):  # type: ignore[attr-defined]
        return

    class QueueAttributes(Mapping[str, Any]):
        def __init__(self, queue: Any) -> None:
            self._queue = queue
            names = list(queue.BASE_ATTRIBUTES)
            names += queue.FIFO_ATTRIBUTES if queue.fifo_queue else []
            names += queue.KMS_ATTRIBUTES if queue.kms_master_key_id else []
            self._names = dict.fromkeys(names)

        def __getitem__(self, name: str) -> Any:
            if name not in self._names:
                raise KeyError(name)
            queue = self._queue
            if name == "Policy" and queue.policy:
                value = queue.policy
            elif name == "RedrivePolicy" and queue.redrive_policy:
                value = json.dumps(queue.redrive_policy)
            else:
                value = getattr(queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __iter__(self) -> Iterator[str]:
            return iter(self._names)

        def __len__(self) -> int:
            return len(self._names)

    def attributes(self: Any) -> QueueAttributes:
        return QueueAttributes(self)

    attributes.crm_patched = True  # type: ignore[attr-defined]
    models.Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    original = models.SQSBackend.get_queue_attributes

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> Any:
        found = original(self, queue_name, attribute_names)
        return dict(found)  # "All" hands out the live mapping: callers get a plain dict

    models.SQSBackend.get_queue_attributes = get_queue_attributes  # type: ignore[method-assign]


def _wire_ready(value: Any) -> bool:
    """A DynamoDB AttributeValue already in its JSON wire form, blobs aside: one type key
    whose value (and every nested value) is what moto's serializer would write unchanged."""
    if type(value) is not dict or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in ("S", "N"):
        return type(inner) is str
    if kind in ("NULL", "BOOL"):
        return type(inner) is bool
    if kind in ("SS", "NS"):
        return type(inner) is list and all(type(v) is str for v in inner)
    if kind == "M":
        return type(inner) is dict and all(
            type(k) is str and _wire_ready(v) for k, v in inner.items())
    if kind == "L":
        return type(inner) is list and all(_wire_ready(v) for v in inner)
    return False  # B and BS: moto's blob encoding decides


def write_attribute_values_as_they_are() -> None:
    """Write a DynamoDB item's attribute values into a response as they already are.

    moto serializes every response through the service model, and for each of an
    AttributeValue's ten possible members it tries several spellings of the name: a stream
    page of 100 thirty-field items took 220 ms, nearly all of it there, and GetRecords,
    Query and GetItem were most of the embedded AWS's time while the demo's events drained.
    An AttributeValue moto holds is already its wire form; one that is not (a blob, a
    missing value) still goes through moto's serializer.
    """
    from moto.core.serialize import JSONSerializer

    original = JSONSerializer._serialize_type_structure
    if getattr(original, "crm_patched", False):
        return

    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any,
                                  key: str) -> None:
        if shape.name == "AttributeValue" and _wire_ready(value):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    _serialize_type_structure.crm_patched = True  # type: ignore[attr-defined]
    _serialize_type_structure.crm_original = original  # type: ignore[attr-defined]
    JSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]


def skip_rules_of_other_sources() -> None:
    """Refuse an event at once when a rule names other sources or detail types.

    moto offers every event to every rule of the bus, and for each it re-encodes the whole
    event as JSON and flattens it before comparing: with about a hundred rules on the CRM's
    bus, a PutEvents of ten entries cost over 100 ms while the demo's events drained. Nearly
    every rule lists the sources and detail types it wants as plain strings; an event whose
    own is not among them cannot match (every key of a pattern must match), so it is
    refused before moto flattens it. Every other case is moto's own matching.
    """
    from moto.events.models import EventPattern

    original = EventPattern.matches_event
    if getattr(original, "crm_patched", False):
        return

    def matches_event(self: Any, event: Any) -> bool:
        pattern = self._pattern
        if isinstance(pattern, dict):
            for name in ("source", "detail-type"):
                wanted = pattern.get(name)
                value = event.get(name) if isinstance(event, dict) else None
                if (isinstance(wanted, list) and wanted and isinstance(value, str)
                        and all(type(f) is str for f in wanted) and value not in wanted):
                    return False
        return bool(original(self, event))

    matches_event.crm_patched = True  # type: ignore[attr-defined]
    matches_event.crm_original = original  # type: ignore[attr-defined]
    EventPattern.matches_event = matches_event  # type: ignore[method-assign]


def apply_all() -> None:
    """Every patch for moto's costs that grow with the data, in the tests and `make run`."""
    rollback_transactions_per_item()
    count_queue_messages_only_when_asked()
    query_only_the_matching_partition()
    parse_event_paths_once()
    write_attribute_values_as_they_are()
    skip_rules_of_other_sources()
