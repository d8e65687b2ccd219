"""JSON bodies and CloudEvents headers (Kafka protocol binding, binary content mode)."""

from typing import TypeVar, cast

import msgspec

from schemas.events import ArchivedEvent, CallbackQuarantined, CallbackReceived, Event, TaskSubmitted

E = TypeVar("E", bound=Event)
Headers = list[tuple[str, bytes]]

CONTENT_TYPE = "application/json"
_encoder = msgspec.json.Encoder()
_callback_decoder = msgspec.json.Decoder(CallbackReceived)
_archived_decoder = msgspec.json.Decoder(ArchivedEvent)
_quarantine_decoder = msgspec.json.Decoder(CallbackQuarantined)
_submitted_decoder = msgspec.json.Decoder(TaskSubmitted)


def encode(event: Event) -> bytes:
    """The event's JSON body: the bytes that go on the topic."""
    return _encoder.encode(event)


def decode_callback(value: bytes) -> CallbackReceived:
    """Decode a `vocals.callbacks` message; raises msgspec.DecodeError (or ValidationError) if it is not one."""
    return _callback_decoder.decode(value)


def decode_archived(value: bytes) -> ArchivedEvent:
    """Decode a `vocals.archived` message into `TrackArchived` or `TaskArchived` by its `event_type`."""
    return cast(ArchivedEvent, _archived_decoder.decode(value))


def decode_quarantined(value: bytes) -> CallbackQuarantined:
    """Decode a `vocals.quarantine` message."""
    return _quarantine_decoder.decode(value)


def decode_submitted(value: bytes) -> TaskSubmitted:
    """Decode a `vocals.submitted` message."""
    return _submitted_decoder.decode(value)


def decode(value: bytes, event_type: type[E]) -> E:
    """Decode a body into one named event Struct."""
    return msgspec.json.decode(value, type=event_type)


def cloudevent_headers(event: Event, *, source: str, time: str) -> Headers:
    """The CloudEvents 1.0 attributes as Kafka headers; `time` is the fact's RFC 3339 time."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", event.event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", event.ce_type.encode()),
        ("ce_time", time.encode()),
        ("ce_subject", event.task_id.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]


def key_for(event: Event) -> bytes:
    """The Kafka key: the task id, so one task's events share a partition and stay in order."""
    return event.task_id.encode()
