"""The port the receiver publishes through, and its Kafka adapter."""

import asyncio
import random
from typing import Protocol

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.plumbing.kafka import KafkaSettings, make_producer
from services.receiver.outgoing import OutgoingMessage

log = structlog.get_logger("receiver.publisher")


class PublishError(Exception):
    """Kafka did not acknowledge the message; it may or may not have been written."""


class Publisher(Protocol):
    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: OutgoingMessage) -> asyncio.Future[None]:
        """Hand the message over; the future resolves once the broker acknowledged it durably.

        The future fails with PublishError when the broker refused it. It may stay pending for long: an
        idempotent producer retries until the broker is back, so a pending send is not a failed one.
        """
        ...


class KafkaPublisher:
    """aiokafka with acks=all and idempotence; connects in the background so start-up never waits for Kafka.

    Concurrent sends are bounded (aiokafka slows badly when thousands of coroutines call send() at once);
    the rest wait their turn while the producer batches what is in flight.
    """

    def __init__(self, settings: KafkaSettings, *, max_in_flight: int = 512) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._slots = asyncio.Semaphore(max_in_flight)
        self._connecting: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect(), name="kafka-connect")

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, message: OutgoingMessage) -> asyncio.Future[None]:
        producer = self._producer
        if producer is None:
            raise PublishError(f"not connected to Kafka at {self._settings.kafka_bootstrap}")
        try:
            async with self._slots:
                delivery = await producer.send(message.topic, message.value, key=message.key, headers=message.headers)
        except KafkaError as exc:
            raise PublishError(f"Kafka did not take {message.topic}: {exc!r}") from exc
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivery.add_done_callback(lambda sent: _settle(acknowledged, sent, message.topic))
        return acknowledged

    async def _connect(self) -> None:
        delay = 0.2
        while True:
            producer = make_producer(self._settings, client_id=f"{self._settings.kafka_client_id}-receiver")
            try:
                await producer.start()
            except KafkaError as exc:
                await producer.stop()
                log.warning("kafka_unreachable", bootstrap=self._settings.kafka_bootstrap, error=repr(exc))
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 10.0)
                continue
            self._producer = producer
            log.info("kafka_connected", bootstrap=self._settings.kafka_bootstrap)
            return


def _settle(acknowledged: "asyncio.Future[None]", sent: "asyncio.Future[object]", topic: str) -> None:
    """Resolve our future from aiokafka's, translating its errors (cheaper than a task per message)."""
    if acknowledged.done():
        return
    if sent.cancelled():
        acknowledged.set_exception(PublishError(f"send to {topic} was cancelled"))
    elif (error := sent.exception()) is not None:
        acknowledged.set_exception(PublishError(f"Kafka did not acknowledge {topic}: {error!r}"))
    else:
        acknowledged.set_result(None)
