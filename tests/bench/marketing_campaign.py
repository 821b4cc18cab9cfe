"""A campaign to 100,000 recipients, end to end on moto, for `make bench` (issue 7).

Creating 100,000 contacts through the contacts API and the bus takes hours on moto, so the
audience is written directly: a few contacts are made the real way first (contacts API,
consent, ContactCreated/ConsentChanged through the bus to marketing's read model, added to
a static list through the segments API), and the rest are written with BatchWriteItem as
the same items marketing's own code builds (audience.domain.project, the audience and
segments repositories), checked against the real ones attribute by attribute.

Then the campaign runs as Lambda would run it: launched through the API; the outbox relay
publishes CampaignLaunched; the marketing events and jobs queues plan it (the planning
time: launch to every send batch queued); the sends queue delivers the batches (SES on
moto). Sending costs ~16 ms of CPU a recipient on moto (two transactions, a raw email):
`make bench` sends all 100,000 (about 20 minutes) and the campaign must end `sent`;
`python -m tests.bench.marketing_campaign 100000 30` seeds and plans them all but sends 30
batches only (per-batch costs do not depend on the campaign's size), and
`python -m tests.bench.marketing_campaign 1000` runs a whole small campaign in a minute.
A share of the send batches is then delivered again, both as SQS redeliveries of the
same message (a function that timed out before deleting it) and as duplicate messages (a
planner chunk that died between queueing its batches and recording its progress), and the
emails moto's SES accepted are counted per address: none may have two.

Counts are exact (botocore-level, and BatchGetItem's returned and requested keys on top of
CallCounter's Query/Scan/GetItem items); times are this machine's, on moto.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import botocore.client  # noqa: E402

from tests.bench.run import CallCounter, Row  # noqa: E402

RECIPIENTS = 100_000
REDELIVERED_SHARE = 0.10  # of the send messages, delivered a second time (same message)
DUPLICATED_SHARE = 0.02  # of the send messages, queued again as a new message
SAMPLE_BATCHES: int | None = None  # all 1,000 send batches; a number sends that many only
NEWSLETTER = {"name": "Bench newsletter", "channel": "email",
              "subject": "Hi {{ contact.first_name }}",
              "html": '<p>Hello {{ contact.first_name }}, see <a href="https://brand.example/'
                      'offer">the offer</a>.</p><p><a href="{{ unsubscribe_url }}">'
                      'Unsubscribe</a></p>',
              "text": "Hello {{ contact.first_name }}"}
STAMP = "2026-01-01T00:00:00.000Z"


class Tally:
    """Sums several `CallCounter.counting()` spans (it clears itself on each entry), and adds
    what it leaves out: BatchGetItem's items, returned and requested (DynamoDB charges a
    read for every key asked, found or not)."""

    def __init__(self, counter: CallCounter) -> None:
        self.counter = counter
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self.batch_returned = 0
        self.batch_requested = 0
        self.written = 0  # items in TransactWriteItems
        self.shared_written = 0  # of them, a campaign's item or a channel's totals

    @contextmanager
    def span(self) -> Iterator[None]:
        with self.counter.counting():
            spy = botocore.client.BaseClient._make_api_call
            tally = self

            def batch_spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
                result = spy(client, operation, params)
                if operation == "BatchGetItem":
                    tally.batch_requested += sum(len(t["Keys"])
                                                 for t in params["RequestItems"].values())
                    tally.batch_returned += sum(len(v) for v in result["Responses"].values())
                elif operation == "TransactWriteItems":
                    keys = [next(iter(item.values())).get("Key") or next(
                        iter(item.values()))["Item"] for item in params["TransactItems"]]
                    tally.written += len(keys)
                    tally.shared_written += sum(
                        1 for key in keys if key["SK"]["S"] == "CAMPAIGN"
                        or key["SK"]["S"].startswith("CHANNEL#"))
                return result

            botocore.client.BaseClient._make_api_call = batch_spy  # type: ignore[method-assign]
            try:
                yield
            finally:
                botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
                self.calls.update(self.counter.calls)
                self.items_read += self.counter.items_read

    def count(self, prefix: str) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith(prefix))

    @property
    def items(self) -> int:
        return self.items_read + self.batch_returned

    @property
    def keys(self) -> int:
        return self.items_read + self.batch_requested

    def summary(self, per: int) -> str:
        return ", ".join(f"{k} {n / per:.4g}" for k, n in sorted(self.calls.items()))


def progress(started: float, what: str) -> None:
    """A phase reached, on stderr (the rows go to stdout): the run takes minutes."""
    print(f"[campaign bench {time.perf_counter() - started:6.0f} s] {what}", file=sys.stderr,
          flush=True)


# -- the audience ---------------------------------------------------------------------------

def contact_id(n: int) -> str:
    return f"con_BENCH{n:021d}"


def seeded_person(tenant_id: str, n: int) -> Any:
    """The read model's person for generated contact n, as the audience handlers write it
    after ContactCreated and ConsentChanged (email granted)."""
    from chalicelib.audience import domain, repository

    record = {"contact_id": contact_id(n), "first_name": f"Reader{n}", "last_name": "Bench",
              "emails": [{"address": f"reader{n}@bench.example", "primary": True}],
              "lifecycle_stage": "subscriber", "created_at": STAMP, "updated_at": STAMP}
    person = repository.new_person(tenant_id, contact_id(n))
    person.doc, person.email, person.phone = domain.project(record)
    person.contact_updated_at = STAMP
    person.consent_email, person.consent_email_at = "granted", STAMP
    person.version = 1
    repository.index_person(person)
    return person


def check_shape(real: Any, seeded: Any, what: str) -> None:
    """The seeded item has the attributes the event-made one has, with values of one type."""
    mine, theirs = seeded.serialize(), real.serialize()
    assert set(mine) == set(theirs), (what, sorted(set(mine) ^ set(theirs)))
    for name, value in theirs.items():
        assert set(value) == set(mine[name]), (what, name, value, mine[name])


def seed(tenant_id: str, segment_id: str, start: int, count: int) -> None:
    """Write `count` consenting people and their list memberships with BatchWriteItem.

    moto's table stream is off meanwhile: these are contacts that arrived long ago, whose
    records the outbox relay has long passed (it skips non-outbox items anyway); 200,000
    stream records would only make the relay's first poll after the launch read them all.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.audience.models import PersonItem
    from chalicelib.segments import repository as segments
    from chalicelib.segments.models import MemberItem, SegmentItem

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[PersonItem.Meta.table_name]
    shard, table.stream_shard = table.stream_shard, None
    try:
        with PersonItem.batch_write() as people:
            for n in range(start, start + count):
                people.save(seeded_person(tenant_id, n))
        with MemberItem.batch_write() as members:
            for n in range(start, start + count):
                members.save(segments.new_member(tenant_id, segment_id, contact_id(n), STAMP))
    finally:
        table.stream_shard = shard
    segments.key(tenant_id, segment_id).update(actions=[SegmentItem.member_count.add(count)])


# -- driving the queues as Lambda does --------------------------------------------------------

def sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": message.get("Attributes", {}),
            "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1"}


class SendsPoller:
    """HandleSends' event source (batch size 1): receive, invoke, delete what succeeded.

    `keep(message)` True leaves a handled message undeleted and invisible for an hour, as a
    function that timed out after its work and before its poller deleted the message does;
    `release_kept()` makes those visible again, for their redelivery."""

    def __init__(self, app_module: Any, sqs: Any, url: str, arn: str) -> None:
        self.module, self.sqs, self.url, self.arn = app_module, sqs, url, arn
        self.kept: list[dict[str, Any]] = []
        self.failed = 0
        self.recipients = 0

    def drain(self, keep: Callable[[dict[str, Any]], bool] = lambda m: False,
              limit: int | None = None, only: set[str] | None = None) -> int:
        """Handle messages until the queue is empty or `limit` were handled; with `only`,
        just those message ids (the others are hidden meanwhile, then put back unhandled)."""
        from infra.local.lambda_runtime import LambdaContext

        handled, hidden = 0, []
        while limit is None or handled < limit:
            wanted = 10 if limit is None else min(10, limit - handled)
            messages = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=wanted, AttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            done = []
            for message in messages:
                if only is not None and message["MessageId"] not in only:
                    hidden.append(message)
                    self.sqs.change_message_visibility(QueueUrl=self.url,
                                                       ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=3600)
                    continue
                result = self.module.handle_sends({"Records": [sqs_record(message, self.arn)]},
                                                  LambdaContext("handle_sends")) or {}
                handled += 1
                self.recipients += len(json.loads(message["Body"])["contact_ids"])
                if result.get("batchItemFailures"):
                    self.failed += 1  # stays invisible for its visibility timeout
                elif keep(message):
                    self.kept.append(message)
                    self.sqs.change_message_visibility(QueueUrl=self.url,
                                                       ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=3600)
                else:
                    done.append(message)
            for first in range(0, len(done), 10):
                self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[first:first + 10])])
        self.kept, kept = hidden, self.kept
        self.release_kept()
        self.kept = kept
        return handled

    def release_kept(self) -> set[str]:
        kept, self.kept = self.kept, []
        for message in kept:
            self.sqs.change_message_visibility(QueueUrl=self.url,
                                               ReceiptHandle=message["ReceiptHandle"],
                                               VisibilityTimeout=0)
        return {m["MessageId"] for m in kept}


def pump_until(runtime: Any, names: set[str], done: Callable[[], bool],
               limit: int = 100_000) -> int:
    """Pump only the named queues of `runtime` (and its stream) until `done()`."""
    import copy

    only = copy.copy(runtime)
    only.queues = [q for q in runtime.queues if q.name in names]
    moved = 0
    for _ in range(limit):
        moved += only.pump_stream() + only.pump_queue()
        if done():
            return moved
    raise AssertionError("the queues never reached the expected state")


# -- the measurement ---------------------------------------------------------------------------

def ses_messages() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def emails_per_address() -> Counter[str]:
    """Emails moto's SES accepted, by recipient (moto lists the To header's address again
    in each message's destinations: one message counts once per distinct address)."""
    per: Counter[str] = Counter()
    for message in ses_messages():
        per.update({d.rsplit("<", 1)[-1].rstrip(">").lower() for d in message.destinations})
    return per


def campaign_rows(counter: CallCounter, recipients: int = RECIPIENTS,
                  sample_batches: int | None = SAMPLE_BATCHES,
                  redelivered: float = REDELIVERED_SHARE,
                  duplicated: float = DUPLICATED_SHARE) -> list[Row]:
    """The campaign budgets, in a moto of their own (see the module's docstring).

    Every recipient is seeded and planned; `sample_batches` of the send batches are
    delivered (None: all of them, and the campaign must end `sent`)."""
    from tests.api.marketing.helpers import consent, contact
    from tests.bench.aws import fresh_aws
    from tests.support.events import queue_depth, settle
    from tests.support.services import load_app, service_names

    started, cpu_started = time.perf_counter(), time.process_time()
    with fresh_aws() as aws:
        session, runtimes, tenants = aws.session, aws.runtimes, aws.tenants
        contacts, marketing = aws.clients["contacts"], aws.clients["marketing"]
        tenant = tenants.create("Bench Campaigns")
        settle(runtimes)
        token, tenant_id = tenant.admin_token, tenant.tenant_id

        # a few contacts the real way: contacts API, consent, the bus, the segments API
        real = [contact(contacts, tenant) for _ in range(3)]
        for person in real:
            consent(contacts, tenant, person["contact_id"])
        settle(runtimes)
        made = marketing.post("/segments", {"name": "Bench subscribers", "kind": "static"},
                              token=token)
        assert made.status == 201, made.json
        segment_id = made.json["segment_id"]
        added = marketing.post(f"/segments/{segment_id}/members",
                               {"contact_ids": [p["contact_id"] for p in real]}, token=token)
        assert added.status == 200, added.json

        app = load_app("marketing")
        from chalicelib.audience import repository as people
        from chalicelib.campaigns import repository as campaigns
        from chalicelib.segments import repository as segments

        check_shape(people.get_person(tenant_id, real[0]["contact_id"]),
                    seeded_person(tenant_id, 0), "person")
        check_shape(segments.members_page(tenant_id, segment_id, 1, None)[0][0],
                    segments.new_member(tenant_id, segment_id, contact_id(0), STAMP), "member")
        progress(started, f"seeding {recipients - len(real):,} people and memberships")
        seeding = time.perf_counter()
        seed(tenant_id, segment_id, 0, recipients - len(real))
        seeded_in = time.perf_counter() - seeding
        listed = marketing.get(f"/segments/{segment_id}", token=token).json
        assert listed["member_count"] == recipients, listed

        identity = marketing.post("/sender-identities", {"email": "news@brand.example",
                                                         "name": "Brand News"}, token=token)
        assert identity.status == 201, identity.json
        template = marketing.post("/templates", NEWSLETTER, token=token)
        assert template.status == 201, template.json
        campaign = marketing.post("/campaigns", {
            "name": "Bench campaign", "channel": "email", "segment_ids": [segment_id],
            "template_id": template.json["template_id"]}, token=token)
        assert campaign.status == 201, campaign.json
        campaign_id = campaign.json["campaign_id"]
        settle(runtimes)  # nothing of the set-up left in flight

        def stored() -> Any:
            load_app("marketing")
            item = campaigns.get(tenant_id, campaign_id)
            assert item is not None
            return item

        sqs = session.client("sqs")
        url = sqs.get_queue_url(QueueName="crm-test-marketing-sends")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        poller = SendsPoller(app, sqs, url, arn)
        ses_before = len(ses_messages())

        progress(started, "launching; planning")
        # launch -> every send batch queued (outbox relay, events queue, planner chunks)
        planner = Tally(counter)
        with planner.span():
            launch_at = time.perf_counter()
            launched = marketing.post(f"/campaigns/{campaign_id}/launch", token=token)
            assert launched.status == 202, launched.json
            pump_until(runtimes["marketing"], {"handle_events", "handle_jobs"},
                       lambda: bool(stored().planning_done))
            planning = time.perf_counter() - launch_at
        plan = stored()
        assert int(plan.planned) == recipients, (plan.planned, recipients)
        batches, chunks = int(plan.planned_batches), int(plan.plan_chunk)

        # the send batches (all, or a sample); every tenth kept for a redelivery
        whole = sample_batches is None or sample_batches >= batches
        every = max(1, round(1 / redelivered))
        seen = iter(range(10 * batches))
        kept_bodies: list[str] = []

        def keep(message: dict[str, Any]) -> bool:
            if next(seen) % every == every - 1:
                kept_bodies.append(message["Body"])
                return True
            return False

        progress(started, f"planned in {planning:.0f} s; sending")
        sender = Tally(counter)
        with sender.span():
            sending_at, cpu_at = time.perf_counter(), time.process_time()
            handled = poller.drain(keep, None if whole else sample_batches)
            sending, sending_cpu = time.perf_counter() - sending_at, time.process_time() - cpu_at
        elapsed = time.perf_counter() - launch_at
        first = stored()
        reached = poller.recipients
        sent_first = len(ses_messages()) - ses_before

        # again: the kept messages (same message id) and duplicates of some (new ids)
        copies = kept_bodies[:max(1, round(handled * duplicated))]
        expected: set[str] = set()
        for at in range(0, len(copies), 10):
            expected |= {m["MessageId"] for m in sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(copies[at:at + 10])])["Successful"]}
        progress(started, f"sent {poller.recipients:,} in {sending:.0f} s; delivering again")
        again = Tally(counter)
        with again.span():
            kept_ids = poller.release_kept()
            released = len(kept_ids)
            handled_again = poller.drain(limit=released + len(copies), only=kept_ids | expected)
        after = stored()

        # the outbox relay of what the sends emitted (MessageSent, one per email), and where
        # the bus delivers it: every events queue's depth before and after
        progress(started, "relaying the sends' events")
        queues = [sqs.get_queue_url(QueueName=f"crm-test-{name}-events")["QueueUrl"]
                  for name in service_names()]
        depth = sum(queue_depth(session, q) for q in queues)
        relay = Tally(counter)
        with relay.span():
            while runtimes["marketing"].pump_stream():
                pass
        delivered = sum(queue_depth(session, q) for q in queues) - depth
        twice = sum(1 for n in emails_per_address().values() if n > 1)
        sent_total = len(ses_messages()) - ses_before

    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert poller.failed == 0 and handled_again == released + len(copies), (
        poller.failed, handled_again, released, len(copies))
    assert sent_first == reached == int(first.sent), (sent_first, reached, first.sent)
    assert sent_total == sent_first and int(after.sent) == reached, (sent_total, after.sent)
    assert twice == 0, twice
    if whole:
        assert handled == batches and first.status == "sent", (handled, first.status)

    n, s = recipients, reached
    size, sample = f"{n:,} recipients", (f"all {s:,}" if whole else
                                         f"{handled:,} of {batches:,} batches, {s:,} recipients")
    sqs_messages = batches + chunks + 1
    plan_dynamo, send_dynamo = planner.count("dynamodb:"), sender.count("dynamodb:")
    rate = s / sending
    end_to_end = (f"{n / elapsed:.0f} recipients/s launch to sent ({elapsed:.0f} s)" if whole
                  else f"projected {n / (planning + n / rate):.0f} recipients/s launch to "
                       f"sent ({planning:.0f} s planning + {n:,} at the sending rate)")
    return [
        (f"campaign planning, {size}: launch -> {batches:,} send batches queued",
         str(plan_dynamo), str(planner.items),
         f"{planning:.1f} s; {chunks} planner chunks; {planner.summary(1)}"),
        (f"campaign, {size}: SQS messages per recipient (budget 0.02)", "", "",
         f"{sqs_messages / n:.4f}: {batches:,} send batches of {n / batches:.0f} recipients, "
         f"{chunks} planner chunks, 1 CampaignLaunched"),
        (f"campaign sending ({sample}): per recipient",
         f"{send_dynamo / s:.3f} + planning {plan_dynamo / n:.4f}",
         f"{sender.items / s:.3f} + planning {planner.items / n:.3f} "
         f"({sender.keys / s:.2f} keys asked)",
         f"SES {sender.count('ses:') / s:.3f} calls/recipient; {sender.summary(s)}; "
         f"{sender.written / s:.3f} items written in transactions, "
         f"{sender.shared_written / s:.3f} to the campaign's item or the channel's totals"),
        (f"campaign sending ({sample}): throughput", "", "",
         f"{rate:.1f} recipients/s sending ({s / sending_cpu:.1f} per CPU second); "
         f"{end_to_end}; moto in-process on this shared 2-core machine"),
        (f"campaign, redelivery: {released:,} send batches again (same message) "
         f"+ {len(copies):,} duplicate messages",
         f"{again.count('dynamodb:') / max(1, handled_again):.1f} calls/batch",
         f"{again.items / max(1, handled_again):.0f} items/batch",
         f"recipients emailed twice: {twice} (moto SES: {sent_total:,} emails to {s:,} "
         f"recipients; {again.count('ses:')} SES calls on redelivery)"),
        (f"campaign, outbox relay of the sent {s:,} emails' events",
         f"{relay.count('events:PutEvents') / s:.3f} PutEvents/recipient", "",
         f"{delivered / s:.3f} consumer-queue messages/recipient (MessageSent, one per "
         f"email; every crm.marketing event reaches platform's queue); {relay.summary(s)}"),
        (f"campaign bench, {size}", "", "",
         f"{total:.0f} s wall, {cpu:.0f} s CPU; seeding {n - len(real):,} people + "
         f"memberships by BatchWriteItem {seeded_in:.0f} s"),
    ]


def main() -> int:
    import os

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    size = int(sys.argv[1]) if len(sys.argv) > 1 else RECIPIENTS
    sample = int(sys.argv[2]) if len(sys.argv) > 2 else SAMPLE_BATCHES  # 0: all
    for row in campaign_rows(CallCounter(), size, sample or None):
        print(" | ".join(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
