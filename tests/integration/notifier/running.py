"""Helpers for notifier tests against the real broker: settings, publishing, a notifier in the loop."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from devtools.kafka import create_topics
from schemas import topics
from schemas.codec import cloudevent_headers, encode, key_for
from schemas.events import Event
from services.notifier.app import NotifierService, build, run
from services.notifier.settings import NotifierSettings
from services.plumbing.settings import load
from tests.fixtures.slack import FakeSlack
from tests.fixtures.smtp import SmtpServer

WAIT_S = 30.0
PARTITIONS = 3


async def new_topics(bootstrap: str) -> tuple[str, str, str]:
    """A fresh topic prefix with its callbacks and archived topics created: (prefix, callbacks, archived)."""
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    callbacks, archived = prefix + topics.CALLBACKS, prefix + topics.ARCHIVED
    await create_topics(bootstrap, {callbacks: PARTITIONS, archived: PARTITIONS})
    return prefix, callbacks, archived


def notifier_environ(
    *, bootstrap: str, prefix: str, database_url: str, slack: FakeSlack | None = None,
    smtp: SmtpServer | None = None, **overrides: object,
) -> dict[str, str]:  # fmt: skip
    """VOCALS_* variables for a notifier reading the `prefix`ed topics with its own group and database."""
    environ = {
        "VOCALS_KAFKA_BOOTSTRAP": bootstrap,
        "VOCALS_KAFKA_TOPIC_PREFIX": prefix,
        "VOCALS_CONSUMER_GROUP": f"notifier-{uuid.uuid4().hex[:12]}",
        "VOCALS_DATABASE_URL": database_url,
        "VOCALS_HTTP_PORT": "0",
        "VOCALS_SLACK_MIN_INTERVAL_SECONDS": "0",
        "VOCALS_SLACK_DIGEST_THRESHOLD": "1000",
        "VOCALS_COMMIT_INTERVAL_SECONDS": "0.2",
        "VOCALS_RETRY_INITIAL_SECONDS": "0.05",
        "VOCALS_RETRY_MAX_SECONDS": "0.2",
    }
    if slack is not None:
        environ["VOCALS_SLACK_WEBHOOK_URL"] = slack.webhook_url
    if smtp is not None:
        environ |= {
            "VOCALS_SMTP_HOST": smtp.host,
            "VOCALS_SMTP_PORT": str(smtp.port),
            "VOCALS_SMTP_TO": "team@example.org",
        }
        environ["VOCALS_SMTP_STARTTLS"] = "off"
    return environ | {f"VOCALS_{key.upper()}": str(value) for key, value in overrides.items()}


@asynccontextmanager
async def running_notifier(environ: dict[str, str]) -> AsyncIterator[NotifierService]:
    """`run()` in this event loop until the block ends; yields once its partitions are assigned."""
    settings = load(NotifierSettings, environ)
    service = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, service=service, stop=stop))
    ready = asyncio.create_task(service.ready.wait())
    await asyncio.wait([task, ready], timeout=WAIT_S, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        stop.set()
        await task  # raises what stopped it
        raise AssertionError(f"the notifier was not assigned partitions within {WAIT_S} s")
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)


async def publish(bootstrap: str, topic: str, events: Iterable[Event]) -> None:
    """Publish events keyed by task id, with CloudEvents headers, and wait for every acknowledgement."""
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True) as producer:
        for event in events:
            headers = cloudevent_headers(event, source="/tests", time="2025-09-16T17:45:00Z")
            await producer.send(topic, encode(event), key=key_for(event), headers=headers)
        await producer.flush()


async def committed_and_end(bootstrap: str, group: str, topics: Iterable[str]) -> tuple[int, int]:
    """Sums over the topics' partitions (3 each, as `new_topic` makes them) of committed and end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(PARTITIONS)]
        committed = [await consumer.committed(tp) or 0 for tp in partitions]
        ends = await consumer.end_offsets(partitions)
        return sum(committed), sum(ends.values())
    finally:
        await consumer.stop()


async def wait_until_all_committed(bootstrap: str, group: str, topics: Iterable[str]) -> None:
    """Bounded poll until the group committed every record of the topics."""
    topics = list(topics)
    deadline = time.monotonic() + WAIT_S
    while (progress := await committed_and_end(bootstrap, group, topics))[0] < progress[1]:
        if time.monotonic() > deadline:
            raise AssertionError(f"group {group} committed {progress[0]} of {progress[1]} records in {WAIT_S} s")
        await asyncio.sleep(0.1)
