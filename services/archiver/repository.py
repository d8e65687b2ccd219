"""The `Repository` port and its SQLAlchemy adapter: idempotent writes through unique keys and upserts."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.events import STAGE_RANK, CallbackReceived, Stage, StoredObject
from services.archiver.reads import Reads, SqlReads, rows_of, task_query, track_record, tracks_query
from services.archiver.records import Recorded, TaskRecord, TrackRecord, TrackSeen, TrackStored
from services.archiver.tables import tasks, tracks
from services.archiver.upserts import TRACK_FACTS, upserts_for

_STATUS = {Stage.COMPLETE: "complete", Stage.FAILED: "failed"}


class Repository(Reads, Protocol):
    """What the archiving service records and reads back; every write may be repeated with the same result."""

    async def record_callback(self, event: CallbackReceived, seen: Sequence[TrackSeen]) -> Recorded:
        """Record the callback; returns the task and all its tracks as they stand afterwards."""
        ...

    async def mark_archived(self, track_id: str, stored: TrackStored) -> TrackRecord: ...

    async def mark_failed(self, track_id: str, reason: str) -> None: ...

    async def mark_announced(
        self, task_id: str, track_events: Mapping[str, str], task_event: str | None, at: datetime
    ) -> None:
        """Record the archived events published: track id -> event id, and the task's own if any."""
        ...


class SqlRepository(SqlReads):
    """`Repository` (and the read API's queries) on one async engine: SQLite or PostgreSQL alike."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._upserts = upserts_for(engine.dialect.name)
        self._one_writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. SQLite has one writer at a time: queueing here beats its sleeping busy-wait."""
        async with contextlib.AsyncExitStack() as stack:
            if self._one_writer is not None:
                await stack.enter_async_context(self._one_writer)
            yield await stack.enter_async_context(self._engine.begin())

    async def record_callback(self, event: CallbackReceived, seen: Sequence[TrackSeen]) -> Recorded:
        """Task (never moving backwards), history row (once per event id) and tracks, in one transaction."""
        async with self._writing() as connection:
            await connection.execute(self._upserts.task, _task_values(event))
            await connection.execute(self._upserts.history, _history_values(event))
            if seen:
                await connection.execute(self._upserts.track, [_track_values(track) for track in seen])
            [task] = await rows_of(connection, task_query(event.task_id))
            rows = await rows_of(connection, tracks_query(event.task_id))
        return Recorded(task=msgspec.convert(task, TaskRecord), tracks=[track_record(row) for row in rows])

    async def mark_archived(self, track_id: str, stored: TrackStored) -> TrackRecord:
        """The track's files and measured facts; the first archive time and callback are kept."""
        values: dict[str, Any] = {
            "status": "archived",
            "failure_reason": stored.failure_reason,
            "measured_duration": stored.measured_duration,
            "audio_format": stored.audio_format,
            "audio_bitrate": stored.audio_bitrate,
            "audio_sample_rate": stored.audio_sample_rate,
            "callback_event_id": sa.func.coalesce(tracks.c.callback_event_id, stored.callback_event_id),
            "received_at": sa.func.coalesce(tracks.c.received_at, stored.received_at),
            "archived_at": sa.func.coalesce(tracks.c.archived_at, stored.archived_at),
        }
        objects = {"audio": stored.audio, "cover": stored.cover, "source": stored.source_audio}
        for prefix, stored_object in (objects | {"metadata": stored.metadata}).items():
            values.update(_object_values(prefix, stored_object))
        async with self._writing() as connection:
            await connection.execute(tracks.update().where(tracks.c.track_id == track_id).values(values))
            [row] = await rows_of(connection, sa.select(tracks).where(tracks.c.track_id == track_id))
        return track_record(row)

    async def mark_failed(self, track_id: str, reason: str) -> None:
        """Record why; a track already archived keeps its status (its files are safe)."""
        kept = sa.case((tracks.c.status == "archived", tracks.c.status), else_=sa.literal("failed"))
        async with self._writing() as connection:
            await connection.execute(
                tracks.update().where(tracks.c.track_id == track_id).values(failure_reason=reason, status=kept)
            )

    async def mark_announced(
        self, task_id: str, track_events: Mapping[str, str], task_event: str | None, at: datetime
    ) -> None:
        async with self._writing() as connection:
            for track_id, event_id in track_events.items():
                await connection.execute(
                    tracks.update()
                    .where(tracks.c.track_id == track_id)
                    .values(archived_event_id=event_id, published_at=at)
                )
            if task_event is not None:
                await connection.execute(
                    tasks.update()
                    .where(tasks.c.task_id == task_id, tasks.c.archived_at.is_(None))
                    .values(archived_at=at, archived_event_id=task_event)
                )


def _task_values(event: CallbackReceived) -> dict[str, Any]:
    return {
        "task_id": event.task_id,
        "stage": event.stage,
        "stage_rank": STAGE_RANK[event.stage],
        "status": _STATUS.get(event.stage, "in_progress"),
        "callback_type": event.callback_type,
        "code": event.code,
        "msg": event.msg,
        "stage_event_id": event.event_id,
        "first_seen_at": event.received_at,
        "last_seen_at": event.received_at,
    }


def _history_values(event: CallbackReceived) -> dict[str, Any]:
    return {
        "task_id": event.task_id,
        "event_id": event.event_id,
        "stage": event.stage,
        "callback_type": event.callback_type,
        "code": event.code,
        "msg": event.msg,
        "origin": event.origin,
        "received_at": event.received_at,
    }


def _track_values(track: TrackSeen) -> dict[str, Any]:
    values = {name: getattr(track, name) for name in TRACK_FACTS}
    return values | {
        "track_id": track.track_id,
        "task_id": track.task_id,
        "position": track.position,
        "meta_rank": track.meta_rank,
        "first_seen_at": track.first_seen_at,
        "status": "pending",
    }


def _object_values(prefix: str, stored: StoredObject | None) -> dict[str, Any]:
    if stored is None:
        return {f"{prefix}_{name}": None for name in ("key", "sha256", "bytes", "content_type")}
    return {
        f"{prefix}_key": stored.key,
        f"{prefix}_sha256": stored.sha256,
        f"{prefix}_bytes": stored.bytes,
        f"{prefix}_content_type": stored.content_type,
    }
