"""The broker the test harness starts is a real Kafka: what aiokafka writes, an independent client reads."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError

from devtools.kafka import LocalBroker
from tests.fixtures.kafka import TopicFactory, consume_all, kcat_consume


def idempotent_producer(bootstrap: str, **config: int) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **config)


async def partition_counts(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {topic["topic"]: len(topic["partitions"]) for topic in await admin.describe_topics()}
    finally:
        await admin.close()


async def test_kcat_reads_back_exactly_what_aiokafka_wrote(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    """A record sent with acks=all and idempotence is on the topic with its exact key, headers and value."""
    topic = await new_topic("roundtrip")
    value = json.dumps({"task_id": "t-1", "status": "complete", "title": "Café ☕"}).encode()
    async with idempotent_producer(kafka_bootstrap) as producer:
        sent = await producer.send_and_wait(
            topic, value, key=b"t-1", headers=[("event-type", b"CallbackReceived"), ("schema", b"1")]
        )

    [record] = kcat_consume(kafka_bootstrap, topic, 1)

    assert record["key"] == "t-1"
    assert record["payload"].encode() == value
    assert record["headers"] == [("event-type", "CallbackReceived"), ("schema", "1")]
    assert (record["partition"], record["offset"]) == (sent.partition, sent.offset)


async def test_one_key_stays_on_one_partition_in_send_order(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    """Records sharing a key land on a single partition in the order sent, and consume_all returns all."""
    topic = await new_topic("ordering")
    values = [f"event-{n}".encode() for n in range(20)]
    async with idempotent_producer(kafka_bootstrap) as producer:
        for value in values:
            await producer.send(topic, value, key=b"task-42")
        await producer.flush()

    records = await consume_all(kafka_bootstrap, topic, len(values))

    assert [record.value for record in records] == values
    assert {record.partition for record in records} == {records[0].partition}
    assert [record.offset for record in records] == list(range(len(values)))


async def test_new_topic_has_a_unique_name_and_the_requested_partitions(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    """Two topics from one prefix get different names, and each has the partition count asked for."""
    first, second = await new_topic("shape"), await new_topic("shape", partitions=1)

    partitions = await partition_counts(kafka_bootstrap)

    assert first != second
    assert first.startswith("shape-")
    assert (partitions[first], partitions[second]) == (3, 1)


async def test_unknown_topic_is_not_auto_created(kafka_bootstrap: str) -> None:
    """Producing to a topic nobody created fails instead of silently creating it, as in production."""
    async with idempotent_producer(kafka_bootstrap, request_timeout_ms=1500) as producer:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait("never-created", b"lost")

    assert "never-created" not in await partition_counts(kafka_bootstrap)


async def test_restart_keeps_records_and_address(kafka_broker: LocalBroker, new_topic: TopicFactory) -> None:
    """After restart() the broker is back on the same address with the records written before it."""
    topic = await new_topic("restart", partitions=1)
    bootstrap = kafka_broker.bootstrap
    async with idempotent_producer(bootstrap) as producer:
        before = await producer.send_and_wait(topic, b"before", key=b"k")
        await asyncio.to_thread(kafka_broker.restart)
        after = await producer.send_and_wait(topic, b"after", key=b"k")

    records = kcat_consume(bootstrap, topic, 2)

    assert kafka_broker.bootstrap == bootstrap
    assert [(r["payload"], r["offset"]) for r in records] == [
        ("before", before.offset),
        ("after", after.offset),
    ]


async def test_acknowledged_record_survives_a_broker_crash(kafka_broker: LocalBroker, new_topic: TopicFactory) -> None:
    """A record acknowledged with acks=all is still there after the broker is SIGKILLed and started again."""
    topic = await new_topic("crash", partitions=1)
    async with idempotent_producer(kafka_broker.bootstrap) as producer:
        sent = await producer.send_and_wait(topic, b"acknowledged", key=b"k")

    await asyncio.to_thread(kafka_broker.kill)
    assert not kafka_broker.is_running()
    await asyncio.to_thread(kafka_broker.start)

    [record] = kcat_consume(kafka_broker.bootstrap, topic, 1)
    assert (record["payload"], record["offset"]) == ("acknowledged", sent.offset)
