"""Telling the reconciler about a submitted task: one `TaskSubmitted` on `vocals.submitted`."""

import asyncio
import hashlib
from datetime import UTC, datetime

from schemas.codec import cloudevent_headers, encode, key_for
from schemas.events import TaskSubmitted
from schemas.topics import SUBMITTED
from services.cli.settings import CliSettings
from services.plumbing.kafka import make_producer

CE_SOURCE = "/vocals/cli"


def submitted_event(task_id: str, *, title: str, model: str, now: datetime | None = None) -> TaskSubmitted:
    """The event for a task; its id depends on the task only, so announcing twice is one fact."""
    return TaskSubmitted(
        event_id=hashlib.sha256(f"submitted:{task_id}".encode()).hexdigest()[:32],
        task_id=task_id,
        submitted_at=now or datetime.now(UTC),
        title=title,
        model=model,
    )


async def announce(settings: CliSettings, event: TaskSubmitted, *, within_seconds: float = 10.0) -> None:
    """Publish the event and wait for Kafka's acknowledgement; raises on failure or after `within_seconds`."""
    producer = make_producer(settings, client_id=f"{settings.kafka_client_id}-cli")
    time = event.submitted_at.isoformat().replace("+00:00", "Z")
    try:
        async with asyncio.timeout(within_seconds):
            await producer.start()
            await producer.send_and_wait(
                settings.topic(SUBMITTED),
                encode(event),
                key=key_for(event),
                headers=cloudevent_headers(event, source=CE_SOURCE, time=time),
            )
    finally:
        await producer.stop()
