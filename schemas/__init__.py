"""The vocals contract: topic names, event Structs and their codec.

Every producer and consumer of the vocals topics imports from here and from nowhere else.
"""

from schemas.events import (
    SCHEMA_VERSION,
    ArchivedEvent,
    CallbackQuarantined,
    CallbackReceived,
    Origin,
    Stage,
    StoredObject,
    TaskArchived,
    Track,
    TrackArchived,
)
from schemas.topics import ARCHIVED, CALLBACKS, DLQ, QUARANTINE, TOPIC_PARTITIONS

__all__ = [
    "ARCHIVED",
    "CALLBACKS",
    "DLQ",
    "QUARANTINE",
    "SCHEMA_VERSION",
    "TOPIC_PARTITIONS",
    "ArchivedEvent",
    "CallbackQuarantined",
    "CallbackReceived",
    "Origin",
    "Stage",
    "StoredObject",
    "TaskArchived",
    "Track",
    "TrackArchived",
]
