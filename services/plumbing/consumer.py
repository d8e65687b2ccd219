"""The consume / commit / dead-letter loop every consuming service runs on.

`run_consumer` reads `config.topics` as `config.group_id` with at-least-once delivery: a record's offset
is committed only once it and every earlier record of its partition reached a final outcome, handled or
dead-lettered. Records sharing a key (the task id) are handled strictly in order; different keys run
concurrently up to `config.max_concurrency`.
"""

import asyncio

from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry

from schemas.topics import DLQ
from services.plumbing.consume_loop import ConsumerLoop
from services.plumbing.consumer_metrics import ConsumerMetrics
from services.plumbing.dlq import KafkaDeadLetters
from services.plumbing.handling import ConsumerConfig, Handler, PermanentError, RecordRunner
from services.plumbing.kafka import KafkaSettings, make_producer

__all__ = ["ConsumerConfig", "Handler", "PermanentError", "run_consumer"]


async def run_consumer(
    settings: KafkaSettings,
    config: ConsumerConfig,
    handler: Handler,
    *,
    registry: CollectorRegistry,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Consume until `stop` is set, then finish in-flight records, commit, close and return.

    `handler` raising `PermanentError` sends the record to vocals.dlq and commits past it; any other
    exception is retried with capped, jittered backoff, and after `config.retry_attempts` calls the
    loop commits only what is done before that record and re-raises, so the process exits and the
    record is redelivered. `ready` is set once partitions are assigned.
    """
    metrics = ConsumerMetrics.on(registry, config.service)
    producer = make_producer(settings, client_id=f"{settings.kafka_client_id}-{config.service}-dlq")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=settings.kafka_client_id,
        group_id=config.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    runner = RecordRunner(
        config, handler, metrics, KafkaDeadLetters(producer, service=config.group_id, topic=settings.topic(DLQ))
    )
    loop = ConsumerLoop(consumer, config, runner, metrics, stop=stop or asyncio.Event(), ready=ready)
    consumer.subscribe(topics=list(config.topics), listener=loop.listener)
    await producer.start()
    try:
        await consumer.start()
        try:
            await loop.run()
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
