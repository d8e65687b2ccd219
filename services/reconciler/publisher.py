"""The port the reconciler publishes polled facts through, and its Kafka adapter."""

from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.codec import cloudevent_headers, encode, key_for
from schemas.events import CallbackReceived


class PublishError(Exception):
    """Kafka did not acknowledge the event; the poll is repeated at the next scan."""


class Publisher(Protocol):
    async def publish(self, event: CallbackReceived) -> None:
        """Return once the event is durable on `vocals.callbacks`; raise PublishError if it is not."""


class KafkaPublisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str, *, source: str) -> None:
        self._producer = producer
        self._topic = topic
        self._source = source

    async def publish(self, event: CallbackReceived) -> None:
        time = event.received_at.isoformat().replace("+00:00", "Z")
        headers = cloudevent_headers(event, source=self._source, time=time)
        try:
            await self._producer.send_and_wait(self._topic, encode(event), key=key_for(event), headers=headers)
        except KafkaError as exc:
            raise PublishError(f"Kafka did not take the polled event for {event.task_id}: {exc!r}") from exc
