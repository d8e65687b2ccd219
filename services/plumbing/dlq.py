"""Park a record that can never succeed on the dead-letter topic: unchanged, with the reason in headers."""

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord

from schemas import dlq, topics
from schemas.codec import Headers


def dead_letter_headers(
    record: ConsumerRecord[bytes, bytes], *, reason: str, service: str, failed_at: datetime
) -> Headers:
    """The record's own headers followed by the `dlq_*` headers describing where it came from and why."""
    return [
        *record.headers,
        (dlq.REASON, reason.encode()),
        (dlq.SERVICE, service.encode()),
        (dlq.TOPIC, record.topic.encode()),
        (dlq.PARTITION, str(record.partition).encode()),
        (dlq.OFFSET, str(record.offset).encode()),
        (dlq.FAILED_AT, rfc3339(failed_at).encode()),
    ]


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond precision, `Z` suffix: 2024-05-01T12:00:00.123Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class KafkaDeadLetters:
    """Copies records to `vocals.dlq` with an acks=all producer and waits for the broker's acknowledgement."""

    def __init__(self, producer: AIOKafkaProducer, *, service: str, topic: str = topics.DLQ) -> None:
        self._producer = producer
        self._service = service
        self._topic = topic

    async def park(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        """Returns once the copy is durably on the topic; raises (and the caller must not commit) if not."""
        headers = dead_letter_headers(record, reason=reason, service=self._service, failed_at=datetime.now(UTC))
        await self._producer.send_and_wait(self._topic, record.value, key=record.key, headers=headers)
