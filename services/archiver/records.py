"""What the archiver keeps about tasks and tracks, as plain Structs shared by the service, DB and API."""

from datetime import datetime
from typing import Any

import msgspec

from schemas.events import StoredObject


class TrackSeen(msgspec.Struct, frozen=True, kw_only=True):
    """A track as one callback described it, with the facts derived from its text."""

    track_id: str
    task_id: str
    position: int
    meta_rank: int
    title: str | None
    tags: str | None
    prompt: str | None
    model_name: str | None
    lyrics: list[dict[str, Any]] | None
    flagged_words: list[str] | None
    created_at: datetime | None
    reported_duration: float | None
    audio_url: str | None
    source_audio_url: str | None
    stream_audio_url: str | None
    image_url: str | None
    extra: dict[str, Any] | None
    first_seen_at: datetime


class TrackStored(msgspec.Struct, frozen=True, kw_only=True):
    """What archiving a track produced: its objects and the facts measured from its audio."""

    audio: StoredObject
    cover: StoredObject | None
    source_audio: StoredObject | None
    metadata: StoredObject
    measured_duration: float | None
    audio_format: str | None
    audio_bitrate: int | None
    audio_sample_rate: int | None
    failure_reason: str | None
    """Set when an optional file (cover, source audio) could not be fetched; the track is still archived."""
    callback_event_id: str
    received_at: datetime
    archived_at: datetime


class TrackRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A track row as the database holds it."""

    track_id: str
    task_id: str
    position: int
    status: str
    """pending (no audio link yet), archived, or failed (see failure_reason)."""
    title: str | None = None
    tags: str | None = None
    prompt: str | None = None
    model_name: str | None = None
    lyrics: list[dict[str, Any]] | None = None
    flagged_words: list[str] | None = None
    created_at: datetime | None = None
    reported_duration: float | None = None
    measured_duration: float | None = None
    audio_format: str | None = None
    audio_url: str | None = None
    source_audio_url: str | None = None
    stream_audio_url: str | None = None
    image_url: str | None = None
    failure_reason: str | None = None
    audio: StoredObject | None = None
    cover: StoredObject | None = None
    source_audio: StoredObject | None = None
    metadata: StoredObject | None = None
    callback_event_id: str | None = None
    received_at: datetime | None = None
    archived_at: datetime | None = None
    archived_event_id: str | None = None
    published_at: datetime | None = None


class StageRecord(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    stage: str
    callback_type: str
    code: int
    msg: str
    origin: str
    received_at: datetime


class TaskRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A task row: how far it got (never backwards), its final status and when it was seen."""

    task_id: str
    stage: str
    status: str
    """in_progress, complete or failed."""
    callback_type: str
    code: int
    msg: str
    stage_event_id: str
    first_seen_at: datetime
    last_seen_at: datetime
    archived_at: datetime | None = None
    archived_event_id: str | None = None


class Recorded(msgspec.Struct, frozen=True, kw_only=True):
    """A task and its tracks right after a callback was recorded."""

    task: TaskRecord
    tracks: list[TrackRecord]
