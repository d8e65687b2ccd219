"""The README's example subscriber works as it says, against a real broker."""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from pathlib import Path
from types import ModuleType

import msgspec
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from devtools.kafka import create_topics
from schemas import ARCHIVED, CALLBACKS
from schemas.codec import cloudevent_headers, encode, key_for
from schemas.events import CallbackReceived, Event, TrackArchived
from services.plumbing.kafka import KafkaSettings, make_producer

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
PARTITIONS = 3


def load_example() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "examples" / "subscriber.py"
    spec = importlib.util.spec_from_file_location("subscriber_example", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def publish(bootstrap: str, prefix: str, events: list[tuple[str, Event]], unknown: bytes) -> None:
    producer = make_producer(KafkaSettings(kafka_bootstrap=bootstrap))
    await producer.start()
    try:
        for topic, event in events:
            headers = cloudevent_headers(event, source="/test", time="2025-09-16T17:45:00Z")
            await producer.send_and_wait(f"{prefix}{topic}", encode(event), key=key_for(event), headers=headers)
        future_event = [("ce_type", b"org.vocals.something.new.v1")]
        await producer.send_and_wait(f"{prefix}{ARCHIVED}", unknown, key=b"t", headers=future_event)
    finally:
        await producer.stop()


async def all_committed(bootstrap: str, group: str, topics: list[str]) -> bool:
    """The group's committed offsets reached the end of every partition of `topics`."""
    partitions = [TopicPartition(topic, partition) for topic in topics for partition in range(PARTITIONS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        try:
            committed = await admin.list_consumer_group_offsets(group)
        except KafkaError:  # the group's coordinator is still being elected: not committed yet
            return False
        ends = await consumer.end_offsets(partitions)
        done = {tp: committed[tp].offset if tp in committed else 0 for tp in partitions}
        return all(done[tp] == ends[tp] for tp in partitions)  # an empty partition needs no commit
    finally:
        await consumer.stop()
        await admin.close()


async def consume_everything(subscriber: ModuleType, bootstrap: str, group: str, prefix: str) -> None:
    """Run the example until its group has committed every record on both topics (bounded poll), then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(subscriber.subscribe(bootstrap, group, prefix, stop))
    topics = [f"{prefix}{CALLBACKS}", f"{prefix}{ARCHIVED}"]
    try:
        for _ in range(150):
            if task.done() or await all_committed(bootstrap, group, topics):
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"group {group} did not commit every record within 30 s")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_the_example_prints_each_event_once_skips_unknown_types_and_commits(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Known events print once (a redelivered copy is skipped), a newer type is ignored, every offset is committed."""
    prefix = f"sub-{uuid.uuid4().hex[:8]}-"
    await create_topics(kafka_bootstrap, {f"{prefix}{CALLBACKS}": PARTITIONS, f"{prefix}{ARCHIVED}": PARTITIONS})
    callback = msgspec.json.decode((EXAMPLES / CALLBACKS / "complete.json").read_bytes(), type=CallbackReceived)
    track = msgspec.json.decode((EXAMPLES / ARCHIVED / "track-archived.json").read_bytes(), type=TrackArchived)
    await publish(kafka_bootstrap, prefix, [(CALLBACKS, callback), (CALLBACKS, callback), (ARCHIVED, track)], b"{}")
    subscriber, group = load_example(), f"{prefix}team"

    await consume_everything(subscriber, kafka_bootstrap, group, prefix)
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(
        [
            f"task {callback.task_id}: complete (code 200, 2 tracks)",
            f"task {track.task_id}: track {track.track_id} stored, {track.audio.url}",
        ]
    )
