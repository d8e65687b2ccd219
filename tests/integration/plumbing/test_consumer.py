"""run_consumer against a real broker: ordering, dead letters, retries, giving up, stopping and rebalancing."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry, generate_latest

from devtools.kafka import create_topics
from schemas import dlq, topics
from services.plumbing.consumer import ConsumerConfig, Handler, PermanentError, run_consumer
from services.plumbing.kafka import KafkaSettings, header
from tests.fixtures.kafka import TopicFactory, consume_all

WAIT_S = 60.0
"""Upper bound of every wait below: a bug makes a test fail after this long, it never hangs."""

Record = ConsumerRecord[bytes, bytes]


class Recorder:
    """A handler that keeps every record it handled and lets the test await a condition over them."""

    def __init__(
        self,
        before: Callable[[Record], Awaitable[None]] | None = None,
        *,
        changed: asyncio.Condition | None = None,
    ) -> None:
        self.handled: list[Record] = []
        self._before = before
        self._changed = changed or asyncio.Condition()  # shared, a wait can watch several consumers

    async def __call__(self, record: Record) -> None:
        if self._before is not None:
            await self._before(record)
        self.handled.append(record)
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, condition: Callable[[list[Record]], bool]) -> None:
        async with asyncio.timeout(WAIT_S), self._changed:
            await self._changed.wait_for(lambda: condition(self.handled))

    def offsets(self, partition: int = 0) -> list[int]:
        return [r.offset for r in self.handled if r.partition == partition]


@dataclass
class Running:
    task: asyncio.Task[None]
    stop: asyncio.Event
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    async def finish(self) -> None:
        self.stop.set()
        async with asyncio.timeout(WAIT_S):
            await self.task


def config_for(topic: str, group: str, **overrides: Any) -> ConsumerConfig:
    values: dict[str, Any] = {"commit_interval_s": 0.2, "retry_initial_s": 0.01, "retry_max_s": 0.05}
    values.update(overrides)
    return ConsumerConfig(group_id=group, topics=(topic,), service="plumbing_test", **values)


async def start(bootstrap: str, config: ConsumerConfig, handler: Handler, stop: asyncio.Event | None = None) -> Running:
    """Run a consumer in a task and return once it owns partitions (or fail if it dies first)."""
    stop, ready, registry = stop or asyncio.Event(), asyncio.Event(), CollectorRegistry()
    settings = KafkaSettings(kafka_bootstrap=bootstrap)
    task = asyncio.create_task(run_consumer(settings, config, handler, registry=registry, stop=stop, ready=ready))
    ready_wait = asyncio.create_task(ready.wait())
    await asyncio.wait([task, ready_wait], timeout=WAIT_S, return_when=asyncio.FIRST_COMPLETED)
    ready_wait.cancel()
    if task.done():
        task.result()
    assert ready.is_set(), f"consumer of {config.topics} got no partitions in {WAIT_S} s"
    return Running(task, stop, registry)


async def produce(bootstrap: str, topic: str, records: Iterable[tuple[int, bytes, bytes]]) -> None:
    """Send (partition, key, value) records in order and wait for every acknowledgement."""
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all") as producer:
        for partition, key, value in records:
            await producer.send(topic, value, key=key, partition=partition, headers=[("ce_id", value)])
        await producer.flush()


async def committed(bootstrap: str, group: str, topic: str, partitions: int = 1) -> list[int | None]:
    """The group's committed offset of each partition, read by a consumer that never joins the group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return [await consumer.committed(TopicPartition(topic, p)) for p in range(partitions)]
    finally:
        await consumer.stop()


async def poll_until(condition: Callable[[], bool]) -> None:
    """Bounded poll for state nothing signals (a gauge refreshed every commit interval)."""
    for _ in range(int(WAIT_S / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition still false after {WAIT_S} s")


def new_group() -> str:
    return f"group-{uuid.uuid4().hex[:12]}"


def promtool_check(registry: CollectorRegistry) -> None:
    result = subprocess.run(
        ["/usr/bin/promtool", "check", "metrics"],
        input=generate_latest(registry),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


async def test_one_key_in_order_while_different_keys_overlap(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    """Three keys' first records run at once (a barrier needs all three), yet each key's records run in order."""
    topic, group = await new_topic("order", partitions=1), new_group()
    keys = [b"task-a", b"task-b", b"task-c"]
    await produce(kafka_bootstrap, topic, [(0, key, f"{key.decode()}:{n}".encode()) for n in range(4) for key in keys])
    barrier, active = asyncio.Barrier(3), set[bytes | None]()
    overlapping: list[bytes | None] = []
    same_key_at_once: list[bytes | None] = []

    async def check(record: Record) -> None:
        if record.key in active:
            same_key_at_once.append(record.key)
        active.add(record.key)
        if (record.value or b"").endswith(b":0"):
            async with asyncio.timeout(WAIT_S):
                await barrier.wait()  # passes only when all three keys' first records run together
            overlapping.append(record.key)
        active.discard(record.key)

    recorder = Recorder(check)
    running = await start(kafka_bootstrap, config_for(topic, group, max_concurrency=3), recorder)
    await recorder.wait_until(lambda handled: len(handled) == 12)
    await running.finish()

    assert sorted(overlapping) == keys  # type: ignore[type-var]
    assert same_key_at_once == []
    for key in keys:
        values = [r.value for r in recorder.handled if r.key == key]
        assert values == [f"{key.decode()}:{n}".encode() for n in range(4)]
    assert await committed(kafka_bootstrap, group, topic) == [12]


async def test_permanent_error_goes_to_the_dlq_and_is_committed_past(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    """The poison record is copied to vocals.dlq unchanged with dlq_* headers, and the group commits past it."""
    await create_topics(kafka_bootstrap, {topics.DLQ: topics.TOPIC_PARTITIONS[topics.DLQ]})
    topic, group = await new_topic("poison", partitions=1), new_group()
    await produce(kafka_bootstrap, topic, [(0, b"t-1", b"fine-0"), (0, b"t-2", b"poison"), (0, b"t-1", b"fine-2")])

    async def reject_poison(record: Record) -> None:
        if record.value == b"poison":
            raise PermanentError("body is not a callback")

    recorder = Recorder(reject_poison)
    running = await start(kafka_bootstrap, config_for(topic, group), recorder)
    await recorder.wait_until(lambda handled: len(handled) == 2)
    await running.finish()

    parked = [r for r in await consume_all(kafka_bootstrap, topics.DLQ, 1) if header(r.headers, dlq.TOPIC) == topic]
    assert len(parked) == 1
    [copy] = parked
    assert (copy.key, copy.value) == (b"t-2", b"poison")
    assert copy.headers[0] == ("ce_id", b"poison")
    assert header(copy.headers, dlq.REASON) == "body is not a callback"
    assert header(copy.headers, dlq.SERVICE) == group
    assert (header(copy.headers, dlq.PARTITION), header(copy.headers, dlq.OFFSET)) == ("0", "1")
    assert (header(copy.headers, dlq.FAILED_AT) or "").endswith("Z")
    assert await committed(kafka_bootstrap, group, topic) == [3]
    assert running.registry.get_sample_value("vocals_plumbing_test_dead_letters_total", {"topic": topic}) == 1
    promtool_check(running.registry)


async def test_transient_failure_is_retried_then_handled_once(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    """Two ConnectionErrors then success: handled once, two retries counted, committed, lag reported as 0."""
    topic, group = await new_topic("transient", partitions=1), new_group()
    await produce(kafka_bootstrap, topic, [(0, b"t-1", b"flaky")])
    calls = 0

    async def flaky(_record: Record) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise ConnectionError("storage unreachable")

    recorder = Recorder(flaky)
    running = await start(kafka_bootstrap, config_for(topic, group), recorder)
    await recorder.wait_until(lambda handled: len(handled) == 1)
    lag = {"topic": topic, "partition": "0"}
    await poll_until(lambda: running.registry.get_sample_value("vocals_plumbing_test_consumer_lag_messages", lag) == 0)
    await running.finish()

    sample = running.registry.get_sample_value
    assert calls == 3
    assert [r.value for r in recorder.handled] == [b"flaky"]
    assert sample("vocals_plumbing_test_handler_retries_total", {"topic": topic, "reason": "ConnectionError"}) == 2
    assert sample("vocals_plumbing_test_messages_total", {"topic": topic, "outcome": "ok"}) == 1
    assert sample("vocals_plumbing_test_handle_duration_seconds_count", {"topic": topic}) == 1
    assert await committed(kafka_bootstrap, group, topic) == [1]
    promtool_check(running.registry)


async def test_exhausted_retries_raise_and_leave_the_record_uncommitted(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    """After retry_attempts failures run_consumer raises, commits only before the record, and a rerun gets it."""
    topic, group = await new_topic("exhausted", partitions=1), new_group()
    await produce(kafka_bootstrap, topic, [(0, b"t-1", b"ok-0"), (0, b"t-2", b"broken"), (0, b"t-3", b"ok-2")])
    later_done = asyncio.Event()
    attempts = 0

    async def broken(record: Record) -> None:
        nonlocal attempts
        if record.value == b"ok-2":
            later_done.set()
        elif record.value == b"broken":
            attempts += 1
            async with asyncio.timeout(WAIT_S):
                await later_done.wait()  # the record after it is done first, so only the offset rule holds it
            raise ConnectionError("downstream keeps failing")

    first = Recorder(broken)
    config = config_for(topic, group, max_concurrency=2, retry_attempts=3)
    running = await start(kafka_bootstrap, config, first)
    with pytest.raises(ConnectionError, match="downstream keeps failing"):
        async with asyncio.timeout(WAIT_S):
            await running.task

    assert attempts == 3
    assert [r.value for r in first.handled] == [b"ok-0", b"ok-2"]
    assert await committed(kafka_bootstrap, group, topic) == [1]
    assert (
        running.registry.get_sample_value("vocals_plumbing_test_messages_total", {"topic": topic, "outcome": "failed"})
        == 1
    )

    second = Recorder()
    rerun = await start(kafka_bootstrap, config, second)
    await second.wait_until(lambda handled: len(handled) == 2)
    await rerun.finish()
    assert sorted(r.value or b"" for r in second.handled) == [b"broken", b"ok-2"]
    assert await committed(kafka_bootstrap, group, topic) == [3]


async def test_stop_commits_everything_handled_and_nothing_else(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    """Stopping mid-stream: per partition the committed offset equals the count of handled records, no gaps."""
    topic, group = await new_topic("stop", partitions=3), new_group()
    await produce(kafka_bootstrap, topic, [(n % 3, f"t-{n % 5}".encode(), f"v-{n}".encode()) for n in range(90)])
    stop, stop_after = asyncio.Event(), 20

    async def stop_midway(_record: Record) -> None:
        if len(recorder.handled) + 1 >= stop_after:
            stop.set()

    recorder = Recorder(stop_midway)
    config = config_for(topic, group, max_concurrency=3, commit_interval_s=60)  # commits only at stop
    running = await start(kafka_bootstrap, config, recorder, stop)
    async with asyncio.timeout(WAIT_S):
        await running.task

    handled_total = len(recorder.handled)
    assert stop_after <= handled_total < 90
    offsets = await committed(kafka_bootstrap, group, topic, partitions=3)
    for partition in range(3):
        handled = sorted(recorder.offsets(partition))
        assert handled == list(range(len(handled))), f"partition {partition} handled with a gap"
        assert (offsets[partition] or 0) == len(handled)


async def test_two_consumers_share_partitions_and_handle_each_record_once(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    """A second member takes half the partitions; when the first stops, the second takes all; no duplicates."""
    topic, group = await new_topic("rebalance", partitions=4), new_group()
    config = config_for(topic, group, max_concurrency=4, commit_interval_s=60)  # commit on revoke and stop only

    def batch(name: str) -> list[tuple[int, bytes, bytes]]:
        return [(n % 4, f"t-{n % 7}".encode(), f"{name}-{n}".encode()) for n in range(20)]

    def values(*recorders: Recorder) -> list[bytes]:
        return [r.value or b"" for recorder in recorders for r in recorder.handled]

    changed = asyncio.Condition()
    a, b = Recorder(changed=changed), Recorder(changed=changed)
    running_a = await start(kafka_bootstrap, config, a)
    await produce(kafka_bootstrap, topic, batch("one"))
    await a.wait_until(lambda handled: len(handled) == 20)

    running_b = await start(kafka_bootstrap, config, b)
    await produce(kafka_bootstrap, topic, batch("two"))
    await b.wait_until(lambda _: len(values(a, b)) >= 40)
    await running_a.finish()

    await produce(kafka_bootstrap, topic, batch("three"))
    await b.wait_until(lambda _: len(values(a, b)) >= 60)
    await running_b.finish()

    expected = sorted(v for name in ("one", "two", "three") for *_, v in batch(name))
    assert sorted(values(a, b)) == expected
    assert any(v.startswith(b"two") for v in values(a)), "the first member kept no partition"
    assert any(v.startswith(b"two") for v in values(b)), "the second member got no partition"
    assert await committed(kafka_bootstrap, group, topic, partitions=4) == [15, 15, 15, 15]
