"""Learning which tasks exist and how far they got, from `vocals.callbacks` and `vocals.submitted`."""

import msgspec
import structlog
from aiokafka import ConsumerRecord

from schemas.codec import decode_callback, decode_submitted
from services.plumbing.consumer import PermanentError
from services.reconciler.store import WatchStore

log = structlog.get_logger("reconciler")


class Tracker:
    """The consumer's handler: every event of a task moves its row forward; nothing is ever polled here."""

    def __init__(self, store: WatchStore, *, submitted_topic: str, poll_after: float) -> None:
        self._store = store
        self._submitted_topic = submitted_topic
        self._poll_after = poll_after

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            if record.topic == self._submitted_topic:
                submitted = decode_submitted(record.value)
                task_id, stage, at, source = submitted.task_id, None, submitted.submitted_at.timestamp(), "submitted"
            else:
                event = decode_callback(record.value)
                task_id, stage, at, source = event.task_id, event.stage, event.received_at.timestamp(), event.origin
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise PermanentError(f"not an event the reconciler reads on {record.topic}: {exc}") from None
        await self._store.observe(task_id, stage=stage, at=at, source=source, poll_at=at + self._poll_after)
        log.debug("task observed", task_id=task_id, stage=stage, source=source)
