"""Queries the read API and the service share: tasks, tracks, stage history, paginated task lists."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.events import StoredObject
from services.archiver.records import StageRecord, TaskRecord, TrackRecord
from services.archiver.tables import stage_history, tasks, tracks

_TRACK_FIELDS = frozenset(f.name for f in msgspec.structs.fields(TrackRecord))
_OBJECTS = {"audio": "audio", "cover": "cover", "source_audio": "source", "metadata": "metadata"}


class TaskQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A page of tasks, newest first: optional status and first-seen window, keyset cursor."""

    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: tuple[datetime, str] | None = None
    """(first_seen_at, task_id) of the last task of the previous page."""


class Reads(Protocol):
    """The queries the read API needs."""

    async def ping(self) -> None: ...

    async def task(self, task_id: str) -> TaskRecord | None: ...

    async def track(self, track_id: str) -> TrackRecord | None: ...

    async def tracks_of(self, task_id: str) -> list[TrackRecord]: ...

    async def history_of(self, task_id: str) -> list[StageRecord]: ...

    async def list_tasks(self, query: TaskQuery) -> list[TaskRecord]: ...


class SqlReads:
    """`Reads` on an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ping(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    async def task(self, task_id: str) -> TaskRecord | None:
        rows = await self._all(task_query(task_id))
        return msgspec.convert(rows[0], TaskRecord) if rows else None

    async def track(self, track_id: str) -> TrackRecord | None:
        rows = await self._all(sa.select(tracks).where(tracks.c.track_id == track_id))
        return track_record(rows[0]) if rows else None

    async def tracks_of(self, task_id: str) -> list[TrackRecord]:
        return [track_record(row) for row in await self._all(tracks_query(task_id))]

    async def history_of(self, task_id: str) -> list[StageRecord]:
        query = (
            sa.select(stage_history)
            .where(stage_history.c.task_id == task_id)
            .order_by(stage_history.c.received_at, stage_history.c.id)
        )
        return [msgspec.convert(row, StageRecord) for row in await self._all(query)]

    async def list_tasks(self, query: TaskQuery) -> list[TaskRecord]:
        statement = sa.select(tasks).order_by(tasks.c.first_seen_at.desc(), tasks.c.task_id.desc())
        if query.status:
            statement = statement.where(tasks.c.status == query.status)
        if query.since:
            statement = statement.where(tasks.c.first_seen_at >= query.since)
        if query.until:
            statement = statement.where(tasks.c.first_seen_at < query.until)
        if query.after:
            at, task_id = query.after
            earlier = tasks.c.first_seen_at < at
            statement = statement.where(
                sa.or_(earlier, sa.and_(tasks.c.first_seen_at == at, tasks.c.task_id < task_id))
            )
        rows = await self._all(statement.limit(query.limit))
        return [msgspec.convert(row, TaskRecord) for row in rows]

    async def _all(self, statement: sa.Select[Any]) -> list[dict[str, Any]]:
        async with self._engine.connect() as connection:
            return await rows_of(connection, statement)


def task_query(task_id: str) -> sa.Select[Any]:
    return sa.select(tasks).where(tasks.c.task_id == task_id)


def tracks_query(task_id: str) -> sa.Select[Any]:
    return sa.select(tracks).where(tracks.c.task_id == task_id).order_by(tracks.c.position, tracks.c.track_id)


async def rows_of(connection: AsyncConnection, statement: sa.Select[Any]) -> list[dict[str, Any]]:
    result = await connection.execute(statement)
    # column names come back as SQLAlchemy's str subclass, which msgspec does not take as a key
    return [{str(name): value for name, value in row._mapping.items()} for row in result]


def track_record(row: Mapping[str, Any]) -> TrackRecord:
    values = {name: value for name, value in row.items() if name in _TRACK_FIELDS}
    for field, prefix in _OBJECTS.items():
        if row[f"{prefix}_key"] is not None:
            values[field] = StoredObject(
                key=row[f"{prefix}_key"],
                sha256=row[f"{prefix}_sha256"],
                bytes=row[f"{prefix}_bytes"],
                content_type=row[f"{prefix}_content_type"],
            )
    return TrackRecord(**values)
