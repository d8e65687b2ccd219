"""Hand-written fakes of the archiver's ports, for unit tests without I/O."""

from __future__ import annotations

import io
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import BinaryIO

import msgspec

from schemas.events import CallbackReceived, Stage, TaskArchived, TrackArchived
from services.archiver.fetch import Fetched, KeyFor, PermanentDownloadError, TransientDownloadError
from services.archiver.keys import Kind
from services.archiver.reads import TaskQuery
from services.archiver.records import Recorded, StageRecord, TaskRecord, TrackRecord, TrackSeen, TrackStored

_STATUS = {Stage.COMPLETE: "complete", Stage.FAILED: "failed"}


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> None:
        self.objects[key] = b"".join([chunk async for chunk in chunks])

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        self.objects[key] = data

    async def size(self, key: str) -> int | None:
        return len(self.objects[key]) if key in self.objects else None

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        yield self.objects[key][start:end]

    def reader(self, key: str, size: int) -> BinaryIO:
        return io.BytesIO(self.objects[key])


class ScriptedDownloader:
    """Serves bytes per URL from a dict; a URL mapped to an exception raises it."""

    def __init__(self, store: MemoryStore, files: dict[str, bytes | Exception]) -> None:
        self.store, self.files = store, files
        self.calls: list[str] = []

    async def download(self, url: str, kind: Kind, key_for: KeyFor) -> Fetched:
        self.calls.append(url)
        found = self.files[url]
        if isinstance(found, Exception):
            raise found
        extension, content_type = ("mp3", "audio/mpeg") if kind is not Kind.COVER else ("jpeg", "image/jpeg")
        key = key_for(extension)
        self.store.objects[key] = found
        return Fetched(key=key, sha256=f"sha-of-{url}", bytes=len(found), content_type=content_type)


class ListPublisher:
    def __init__(self) -> None:
        self.published: list[TrackArchived | TaskArchived] = []

    async def publish(self, events: Sequence[TrackArchived | TaskArchived]) -> None:
        self.published.extend(events)


class MemoryRepository:
    """Last write wins, except that a task's stage never goes down: enough for the service's logic."""

    def __init__(self) -> None:
        self.tasks: dict[str, TaskRecord] = {}
        self.tracks: dict[str, TrackRecord] = {}
        self.history: dict[str, list[StageRecord]] = {}

    async def record_callback(self, event: CallbackReceived, seen: Sequence[TrackSeen]) -> Recorded:
        current = self.tasks.get(event.task_id)
        if current is None or _rank(Stage(current.stage)) < _rank(event.stage):
            self.tasks[event.task_id] = TaskRecord(
                task_id=event.task_id,
                stage=event.stage,
                status=_STATUS.get(event.stage, "in_progress"),
                callback_type=event.callback_type,
                code=event.code,
                msg=event.msg,
                stage_event_id=event.event_id,
                first_seen_at=event.received_at,
                last_seen_at=event.received_at,
                archived_at=current.archived_at if current else None,
            )
        history = self.history.setdefault(event.task_id, [])
        if event.event_id not in {h.event_id for h in history}:
            history.append(
                StageRecord(
                    event_id=event.event_id,
                    stage=event.stage,
                    callback_type=event.callback_type,
                    code=event.code,
                    msg=event.msg,
                    origin=event.origin,
                    received_at=event.received_at,
                )
            )
        for track in seen:
            old = self.tracks.get(track.track_id)
            self.tracks[track.track_id] = (
                msgspec.structs.replace(old, audio_url=track.audio_url or old.audio_url)
                if old
                else TrackRecord(
                    track_id=track.track_id,
                    task_id=track.task_id,
                    position=track.position,
                    status="pending",
                    title=track.title,
                    audio_url=track.audio_url,
                    reported_duration=track.reported_duration,
                )
            )
        return Recorded(task=self.tasks[event.task_id], tracks=await self.tracks_of(event.task_id))

    async def track(self, track_id: str) -> TrackRecord | None:
        return self.tracks.get(track_id)

    async def tracks_of(self, task_id: str) -> list[TrackRecord]:
        return sorted((t for t in self.tracks.values() if t.task_id == task_id), key=lambda t: t.position)

    async def mark_archived(self, track_id: str, stored: TrackStored) -> TrackRecord:
        old = self.tracks[track_id]
        self.tracks[track_id] = msgspec.structs.replace(
            old,
            status="archived",
            audio=stored.audio,
            cover=stored.cover,
            metadata=stored.metadata,
            measured_duration=stored.measured_duration,
            failure_reason=stored.failure_reason,
            callback_event_id=old.callback_event_id or stored.callback_event_id,
            received_at=old.received_at or stored.received_at,
            archived_at=old.archived_at or stored.archived_at,
        )
        return self.tracks[track_id]

    async def mark_failed(self, track_id: str, reason: str) -> None:
        old = self.tracks[track_id]
        status = old.status if old.status == "archived" else "failed"
        self.tracks[track_id] = msgspec.structs.replace(old, status=status, failure_reason=reason)

    async def mark_announced(
        self, task_id: str, track_events: Mapping[str, str], task_event: str | None, at: datetime
    ) -> None:
        for track_id, event_id in track_events.items():
            self.tracks[track_id] = msgspec.structs.replace(
                self.tracks[track_id], archived_event_id=event_id, published_at=at
            )
        if task_event is not None:
            self.tasks[task_id] = msgspec.structs.replace(
                self.tasks[task_id], archived_at=at, archived_event_id=task_event
            )

    async def task(self, task_id: str) -> TaskRecord | None:
        return self.tasks.get(task_id)

    async def history_of(self, task_id: str) -> list[StageRecord]:
        return self.history.get(task_id, [])

    async def list_tasks(self, query: TaskQuery) -> list[TaskRecord]:
        return list(self.tasks.values())[: query.limit]

    async def ping(self) -> None:
        return None


def _rank(stage: Stage) -> int:
    return {Stage.UNKNOWN: 0, Stage.TEXT: 1, Stage.FIRST: 2, Stage.COMPLETE: 3, Stage.FAILED: 3}[stage]


def gone(url: str) -> PermanentDownloadError:
    return PermanentDownloadError(f"link expired or gone (HTTP 404) for {url}", label="gone")


def flaky() -> TransientDownloadError:
    return TransientDownloadError("HTTP 503", label="http_5xx")
