"""Records to events, chosen by topic; a record that cannot be decoded can never succeed."""

import msgspec
from aiokafka import ConsumerRecord

from schemas.codec import decode_archived, decode_callback
from schemas.events import CallbackReceived, TaskArchived, TrackArchived
from services.notifier.ports import PermanentError

NotifierEvent = CallbackReceived | TrackArchived | TaskArchived


class Decoder:
    def __init__(self, *, callbacks_topic: str, archived_topic: str) -> None:
        self._callbacks_topic = callbacks_topic
        self._archived_topic = archived_topic

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> NotifierEvent:
        """The record's event; raises PermanentError (-> vocals.dlq) if it is not one."""
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        try:
            if record.topic == self._callbacks_topic:
                return decode_callback(record.value)
            if record.topic == self._archived_topic:
                return decode_archived(record.value)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise PermanentError(f"undecodable message at {where}: {exc}; fix the producer") from None
        raise PermanentError(f"message at {where} is from a topic the notifier does not read")
