"""`SqlStore`: the notifier's records in SQLite or PostgreSQL through SQLAlchemy 2 (async).

Every method is one short transaction. Upserts use each dialect's ON CONFLICT, so concurrent handlers
and redeliveries never fail on a duplicate key: recording an (event, channel) twice keeps one row.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifier.notice import Archive, ArchivedTrackLinks, Notice
from services.notifier.ports import MessageRef, TaskState
from services.notifier.tables import archived_tracks, sent, tasks


class SqlStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def sent_channels(self, event_id: str) -> set[str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(sent.c.channel).where(sent.c.event_id == event_id))
            return {row.channel for row in rows}

    async def record_sent(self, notice: Notice, channel: str) -> None:
        row = {"event_id": notice.event_id, "channel": channel, "task_id": notice.task_id, "stage": notice.stage}
        await self._upsert(sent, {**row, "sent_at": _now()}, keys=("event_id", "channel"), update=())

    async def task(self, task_id: str) -> TaskState | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(tasks).where(tasks.c.task_id == task_id))).first()
        if row is None:
            return None
        notice = msgspec.json.decode(row.notice, type=Notice) if row.notice else None
        return TaskState(row.stage_rank, row.stage_event_id, notice, archived=row.archived_at is not None)

    async def claim(self, notice: Notice, *, rank: int) -> None:
        values = {"stage_rank": rank, "stage_event_id": notice.event_id, "notice": _json(notice)}
        await self._upsert_task(notice.task_id, values)

    async def archive(self, task_id: str) -> Archive | None:
        async with self._engine.connect() as conn:
            task = (await conn.execute(select(tasks).where(tasks.c.task_id == task_id))).first()
            rows = (await conn.execute(select(archived_tracks).where(archived_tracks.c.task_id == task_id))).all()
        if not rows and (task is None or task.archived_at is None):
            return None
        links = {row.track_id: ArchivedTrackLinks(audio_url=row.audio_url, cover_url=row.cover_url) for row in rows}
        return Archive(url=task.archive_url if task else None, tracks=links)

    async def save_archived_track(self, task_id: str, track_id: str, links: ArchivedTrackLinks) -> None:
        values = {"task_id": task_id, "track_id": track_id, "audio_url": links.audio_url, "cover_url": links.cover_url}
        await self._upsert(
            archived_tracks, {**values, "updated_at": _now()}, keys=("task_id", "track_id"), update=tuple(values)
        )

    async def save_task_archived(self, task_id: str, url: str | None) -> None:
        await self._upsert_task(task_id, {"archived_at": _now(), "archive_url": url})

    async def message_ref(self, task_id: str) -> MessageRef | None:
        async with self._engine.connect() as conn:
            query = select(tasks.c.slack_channel, tasks.c.slack_ts).where(tasks.c.task_id == task_id)
            row = (await conn.execute(query)).first()
        if row is None or row.slack_ts is None:
            return None
        return MessageRef(channel=row.slack_channel, ts=row.slack_ts)

    async def save_message_ref(self, task_id: str, ref: MessageRef) -> None:
        await self._upsert_task(task_id, {"slack_channel": ref.channel, "slack_ts": ref.ts})

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _upsert_task(self, task_id: str, values: dict[str, Any]) -> None:
        values = {**values, "updated_at": _now()}
        await self._upsert(tasks, {"task_id": task_id, **values}, keys=("task_id",), update=tuple(values))

    async def _upsert(self, table: Table, row: dict[str, Any], *, keys: Sequence[str], update: Sequence[str]) -> None:
        statement = self._insert(table).values(**row)
        if update:
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        async with self._engine.begin() as conn:
            await conn.execute(statement)


def _now() -> datetime:
    return datetime.now(UTC)


def _json(notice: Notice) -> str:
    return msgspec.json.encode(notice).decode()
