"""The `Publisher` port and its Kafka adapter: archived events onto `vocals.archived`, keyed by task_id."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aiokafka import AIOKafkaProducer

from schemas.codec import cloudevent_headers, encode, key_for
from schemas.events import TaskArchived, TrackArchived

SOURCE = "/vocals/archiver"
ArchivedEvent = TrackArchived | TaskArchived


class Publisher(Protocol):
    """Returns once every event is durably on the topic (acks=all), in the order given."""

    async def publish(self, events: Sequence[ArchivedEvent]) -> None: ...


class KafkaPublisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, events: Sequence[ArchivedEvent]) -> None:
        sent = [
            await self._producer.send(
                self._topic,
                value=encode(event),
                key=key_for(event),
                headers=cloudevent_headers(event, source=SOURCE, time=_rfc3339(event.archived_at)),
            )
            for event in events
        ]
        for delivery in sent:
            await delivery


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
