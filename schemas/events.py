"""Events on the vocals topics: past-tense facts, frozen and keyword-only.

Evolution rules: add fields only with defaults; never rename or retype a field; decoders skip unknown
fields, so old consumers keep working. A breaking change is a new event type or a new topic.
Every event is keyed on Kafka by `task_id`, so one task's events stay in order on one partition.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import msgspec

SCHEMA_VERSION = 1

SafeId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Letters, digits, '_' and '-' only: safe as a Kafka key and in a file name.",
    ),
]


class Stage(StrEnum):
    """How far a task got, normalised from the provider's `callbackType` and `code`."""

    TEXT = "text"
    FIRST = "first"
    COMPLETE = "complete"
    FAILED = "failed"
    UNKNOWN = "unknown"
    """A success code with a `callbackType` this contract does not know yet: kept, counted, not acted on."""


STAGE_RANK: dict[Stage, int] = {
    Stage.UNKNOWN: 0,
    Stage.TEXT: 1,
    Stage.FIRST: 2,
    Stage.COMPLETE: 3,
    Stage.FAILED: 3,
}
"""Order of progress: a consumer never moves a task to a stage of lower rank."""


class Origin(StrEnum):
    """Where the receiver learnt the fact."""

    CALLBACK = "callback"
    POLL = "poll"


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="event_type", omit_defaults=False):
    """Base of every event; `event_type` (the tag) names the Struct in the JSON body."""

    ce_type: ClassVar[str]

    schema_version: int = SCHEMA_VERSION
    event_id: str
    task_id: SafeId


class Track(msgspec.Struct, frozen=True, kw_only=True):
    """One generated track, normalised: UTC time, None for every absent or empty link."""

    id: SafeId
    audio_url: str | None = None
    source_audio_url: str | None = None
    stream_audio_url: str | None = None
    image_url: str | None = None
    prompt: str | None = None
    model_name: str | None = None
    title: str | None = None
    tags: str | None = None
    created_at: datetime | None = None
    duration: float | None = None
    extra: dict[str, Any] = {}
    """Fields the provider sent that this contract does not name, exactly as sent."""


class CallbackReceived(Event, frozen=True, kw_only=True, tag="callback.received"):
    """The provider told us (by callback, or we learnt by polling) how a task is going."""

    ce_type: ClassVar[str] = "org.vocals.callback.received.v1"

    stage: Stage
    callback_type: str
    """The provider's own word, unchanged: text, first, complete, failed, error or anything newer."""
    code: int
    msg: str
    tracks: tuple[Track, ...] = ()
    received_at: datetime
    origin: Origin = Origin.CALLBACK
    extra: dict[str, Any] = {}
    """Unknown fields of the envelope, exactly as sent."""
    data_extra: dict[str, Any] = {}
    """Unknown fields of the envelope's `data` object, exactly as sent."""


class CallbackQuarantined(Event, frozen=True, kw_only=True, tag="callback.quarantined"):
    """An authenticated callback whose body could not be understood, kept byte for byte."""

    ce_type: ClassVar[str] = "org.vocals.callback.quarantined.v1"

    task_id: str = ""  # may be unknown or unsafe: never used as a key as-is
    body: bytes
    content_type: str
    error: str
    received_at: datetime


class StoredObject(msgspec.Struct, frozen=True, kw_only=True):
    """A file the archiver stored: where, how big, and its checksum."""

    key: str
    sha256: str
    bytes: int
    content_type: str
    url: str | None = None
    """Where the read API serves it, when the archiver knows its public URL."""


class TrackArchived(Event, frozen=True, kw_only=True, tag="track.archived"):
    """A track's audio (and cover, if any) is stored and no longer depends on the provider's links."""

    ce_type: ClassVar[str] = "org.vocals.track.archived.v1"

    track_id: SafeId
    stage: Stage
    title: str | None = None
    audio: StoredObject
    cover: StoredObject | None = None
    source_audio: StoredObject | None = None
    metadata: StoredObject | None = None
    reported_duration: float | None = None
    measured_duration: float | None = None
    callback_event_id: str
    received_at: datetime
    archived_at: datetime


class TaskArchived(Event, frozen=True, kw_only=True, tag="task.archived"):
    """Every track of a completed task is archived."""

    ce_type: ClassVar[str] = "org.vocals.task.archived.v1"

    track_ids: tuple[SafeId, ...]
    callback_event_id: str
    archived_at: datetime
    url: str | None = None
    """The read API's page for the task, when the archiver knows its public URL."""


class TaskSubmitted(Event, frozen=True, kw_only=True, tag="task.submitted"):
    """Our own tool submitted a task to the provider: it is watched until final, even if no callback comes."""

    ce_type: ClassVar[str] = "org.vocals.task.submitted.v1"

    submitted_at: datetime
    endpoint: str = "add-vocals"
    """The provider endpoint the task was submitted to."""
    title: str | None = None
    model: str | None = None


ArchivedEvent = TrackArchived | TaskArchived
"""What `vocals.archived` carries; decode with `schemas.codec.decode_archived`."""
