"""A message ready for Kafka: what the receiver publishes, spools and drains."""

from dataclasses import dataclass

from schemas.codec import Headers, cloudevent_headers, encode, key_for
from schemas.events import CallbackQuarantined, CallbackReceived
from schemas.topics import CALLBACKS, QUARANTINE


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes
    headers: Headers
    event_id: str
    task_id: str


def callback_message(event: CallbackReceived, *, source: str, topic_prefix: str = "") -> OutgoingMessage:
    """The `vocals.callbacks` message for a callback, keyed by task id, with CloudEvents headers."""
    return _message(topic_prefix + CALLBACKS, event, source, key_for(event))


def quarantine_message(event: CallbackQuarantined, *, source: str, topic_prefix: str = "") -> OutgoingMessage:
    """The `vocals.quarantine` message for a body nobody could read; keyed by the task id if one was found."""
    return _message(topic_prefix + QUARANTINE, event, source, event.task_id.encode())


def _message(topic: str, event: CallbackReceived | CallbackQuarantined, source: str, key: bytes) -> OutgoingMessage:
    time = event.received_at.isoformat().replace("+00:00", "Z")
    return OutgoingMessage(
        topic=topic,
        key=key,
        value=encode(event),
        headers=cloudevent_headers(event, source=source, time=time),
        event_id=event.event_id,
        task_id=event.task_id,
    )
