"""What a message announces, independent of any channel: built from events, rendered per channel.

A notice carries everything every channel needs (title, stage, task, tracks with their links), so
rendering is a pure function and the last notice of a task can be stored and re-rendered later,
when the archiver's durable links arrive.
"""

from datetime import datetime
from typing import Any

import msgspec

from schemas.events import CallbackReceived, Stage, Track
from services.notifier.settings import NoticeStage

SENSITIVE_WORD_ERROR = "SENSITIVE_WORD_ERROR"


class NoticeTrack(msgspec.Struct, frozen=True, kw_only=True):
    """One track as a message shows it: every link is None when unknown."""

    id: str
    title: str | None = None
    duration: float | None = None
    tags: str | None = None
    stream_url: str | None = None
    audio_url: str | None = None
    archived_audio_url: str | None = None
    cover_url: str | None = None
    archived_cover_url: str | None = None


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """One announcement about one task; `event_id` is the event it announces (the exactly-once key)."""

    event_id: str
    task_id: str
    stage: NoticeStage
    title: str
    code: int = 200
    message: str = ""
    """The provider's own words (`msg`)."""
    callback_type: str = ""
    content_blocked: bool = False
    """The provider's word filter refused the content (`SENSITIVE_WORD_ERROR`)."""
    tracks: tuple[NoticeTrack, ...] = ()
    archive_url: str | None = None
    received_at: datetime | None = None


class ArchivedTrackLinks(msgspec.Struct, frozen=True, kw_only=True):
    audio_url: str | None = None
    cover_url: str | None = None


class Archive(msgspec.Struct, frozen=True, kw_only=True):
    """What the archiver told us about a task: its page and each track's stored copies."""

    url: str | None = None
    tracks: dict[str, ArchivedTrackLinks] = {}


def notice_stage(stage: Stage) -> NoticeStage | None:
    """The notice stage a callback stage announces; None for a stage this notifier does not announce."""
    return _NOTICE_STAGE.get(stage)


def notice_for_callback(event: CallbackReceived, *, archive: Archive | None, known_title: str | None) -> Notice:
    """The notice announcing a callback's (announceable) stage, with archive links when already known."""
    archive = archive or Archive()
    tracks = tuple(_track(track, archive.tracks.get(track.id)) for track in event.tracks)
    return Notice(
        event_id=event.event_id,
        task_id=event.task_id,
        stage=_NOTICE_STAGE[event.stage],
        title=_title(tracks) or known_title or f"task {event.task_id}",
        code=event.code,
        message=event.msg,
        callback_type=event.callback_type,
        content_blocked=is_content_blocked(event),
        tracks=tracks,
        archive_url=archive.url,
        received_at=event.received_at,
    )


def archived_notice(announced: Notice, *, event_id: str, archive: Archive) -> Notice:
    """The follow-up to an announced `complete`: the same tracks, now with the archive's durable links."""
    tracks = tuple(_with_archived(track, archive.tracks.get(track.id)) for track in announced.tracks)
    return msgspec.structs.replace(
        announced, event_id=event_id, stage="archived", tracks=tracks, archive_url=archive.url
    )


def is_content_blocked(event: CallbackReceived) -> bool:
    """True when any word the provider sent (type, message, unknown fields) is SENSITIVE_WORD_ERROR."""
    words = [event.callback_type, event.msg, *_strings(event.extra), *_strings(event.data_extra)]
    return any(SENSITIVE_WORD_ERROR in word.upper() for word in words)


_NOTICE_STAGE: dict[Stage, NoticeStage] = {
    Stage.TEXT: "text",
    Stage.FIRST: "first",
    Stage.COMPLETE: "complete",
    Stage.FAILED: "failed",
}


def _track(track: Track, archived: ArchivedTrackLinks | None) -> NoticeTrack:
    plain = NoticeTrack(
        id=track.id,
        title=track.title,
        duration=track.duration,
        tags=track.tags,
        stream_url=track.stream_audio_url,
        audio_url=track.audio_url,
        cover_url=track.image_url,
    )
    return _with_archived(plain, archived)


def _with_archived(track: NoticeTrack, archived: ArchivedTrackLinks | None) -> NoticeTrack:
    if archived is None:
        return track
    return msgspec.structs.replace(track, archived_audio_url=archived.audio_url, archived_cover_url=archived.cover_url)


def _title(tracks: tuple[NoticeTrack, ...]) -> str | None:
    return next((track.title for track in tracks if track.title), None)


def _strings(values: dict[str, Any]) -> list[str]:
    return [value for value in values.values() if isinstance(value, str)]
