"""The metadata database on SQLite and on a real PostgreSQL: migrations, upserts, stage order, queries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import msgspec
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from schemas.events import CallbackReceived, Stage, StoredObject
from services.archiver.database import open_repository
from services.archiver.migrate import VERSION_TABLE, migrate
from services.archiver.reads import TaskQuery
from services.archiver.records import TrackSeen, TrackStored
from services.archiver.repository import SqlRepository
from services.archiver.tables import metadata
from tests.integration.archiver.support import RECEIVED, payload


@pytest.fixture
async def repository(database_url: str) -> AsyncIterator[SqlRepository]:
    async with open_repository(database_url) as opened:
        yield opened


def seen(event: CallbackReceived) -> list[TrackSeen]:
    """The tracks as the service would describe them (without lyrics or flags)."""
    rank = {Stage.TEXT: 1, Stage.FIRST: 2, Stage.COMPLETE: 3}.get(event.stage, 0)
    return [
        TrackSeen(
            track_id=t.id,
            task_id=event.task_id,
            position=n,
            meta_rank=rank,
            title=t.title,
            tags=t.tags,
            prompt=t.prompt,
            model_name=t.model_name,
            lyrics=None,
            flagged_words=None,
            created_at=t.created_at,
            reported_duration=t.duration,
            audio_url=t.audio_url,
            source_audio_url=t.source_audio_url,
            stream_audio_url=t.stream_audio_url,
            image_url=t.image_url,
            extra=t.extra or None,
            first_seen_at=event.received_at,
        )
        for n, t in enumerate(event.tracks)
    ]


async def record(repository: SqlRepository, name: str) -> None:
    event = payload(name)
    await repository.record_callback(event, seen(event))


async def test_migrations_create_exactly_the_declared_tables(database_url: str) -> None:
    """After `migrate`, twice, the schema matches tables.py and the version table is the archiver's own."""
    async with open_repository(database_url) as repository:
        engine = repository._engine
        await migrate(engine)
        async with engine.connect() as connection:

            def differences(sync: sa.Connection) -> list[object]:
                context = MigrationContext.configure(sync, opts={"version_table": VERSION_TABLE})
                return list(compare_metadata(context, metadata))

            assert await connection.run_sync(differences) == []
            version_table = sa.table(VERSION_TABLE, sa.column("version_num"))
            versions = await connection.execute(sa.select(version_table.c.version_num))
            assert versions.scalars().all() == ["0001"]


async def test_a_task_never_moves_backwards(repository: SqlRepository) -> None:
    """complete, then a late first and a late text: the task stays complete, with all three in its history."""
    for name in ("complete", "first", "text"):
        await record(repository, name)
    task = await repository.task("3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b")
    assert task is not None
    assert (task.stage, task.status, task.msg) == ("complete", "complete", "All generated successfully.")
    assert task.first_seen_at == RECEIVED
    assert task.last_seen_at == RECEIVED + timedelta(seconds=60)
    history = await repository.history_of(task.task_id)
    assert [entry.stage for entry in history] == ["text", "first", "complete"]


async def test_a_duplicate_callback_adds_nothing(repository: SqlRepository) -> None:
    """The same event recorded three times leaves one history row and the same task and tracks."""
    for _ in range(3):
        await record(repository, "first")
    task_id = "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b"
    assert len(await repository.history_of(task_id)) == 1
    assert [t.track_id for t in await repository.tracks_of(task_id)] == [
        "9b2f6c1e-4a7d-4e2b-8c3f-1a2b3c4d5e6f",
        "0d4e8f2a-6b1c-4f3d-9e5a-7b8c9d0e1f2a",
    ]


async def test_track_facts_from_a_later_stage_win_and_an_earlier_one_only_fills_gaps(
    repository: SqlRepository,
) -> None:
    """A late `first` (no audio link, no duration for track 2) does not erase what `complete` said."""
    await record(repository, "complete")
    await record(repository, "first")
    track = await repository.track("0d4e8f2a-6b1c-4f3d-9e5a-7b8c9d0e1f2a")
    assert track is not None
    assert track.audio_url == "https://files.example.org/0d4e8f2a.mp3"
    assert track.reported_duration == 191.4
    assert track.status == "pending"


async def test_concurrent_records_of_one_event_do_not_conflict(repository: SqlRepository) -> None:
    """Ten simultaneous writes of the same callback (a rebalance overlap) end in one consistent state."""
    event = payload("complete")
    await asyncio.gather(*(repository.record_callback(event, seen(event)) for _ in range(10)))
    assert len(await repository.history_of(event.task_id)) == 1
    assert len(await repository.tracks_of(event.task_id)) == 2


async def test_archiving_then_failing_keeps_the_track_archived(repository: SqlRepository) -> None:
    """mark_failed after mark_archived records the reason but never takes the archived status back."""
    event = payload("complete")
    await repository.record_callback(event, seen(event))
    track_id = event.tracks[0].id
    audio = StoredObject(key=f"{event.task_id}/{track_id}.mp3", sha256="a" * 64, bytes=10, content_type="audio/mpeg")
    meta = StoredObject(
        key=f"{event.task_id}/{track_id}.json", sha256="b" * 64, bytes=5, content_type="application/json"
    )
    stored = TrackStored(
        audio=audio,
        cover=None,
        source_audio=None,
        metadata=meta,
        measured_duration=163.9,
        audio_format="mp3",
        audio_bitrate=32000,
        audio_sample_rate=22050,
        failure_reason=None,
        callback_event_id=event.event_id,
        received_at=event.received_at,
        archived_at=event.received_at + timedelta(seconds=3),
    )
    archived = await repository.mark_archived(track_id, stored)
    assert (archived.status, archived.audio, archived.metadata) == ("archived", audio, meta)
    await repository.mark_failed(track_id, "link expired")
    after = await repository.track(track_id)
    assert after is not None
    assert (after.status, after.failure_reason, after.audio) == ("archived", "link expired", audio)
    again = await repository.mark_archived(track_id, msgspec.structs.replace(stored, archived_at=RECEIVED))
    assert again.archived_at == event.received_at + timedelta(seconds=3)


async def test_tasks_are_listed_newest_first_by_status_and_page(repository: SqlRepository) -> None:
    """Filtering by status and paging with the cursor visits every matching task exactly once."""
    for name in ("complete", "complete-string-time", "failed-credits", "failed-unknown-code", "error-null-data"):
        await record(repository, name)
    failed = await repository.list_tasks(TaskQuery(status="failed", limit=10))
    assert sorted(t.task_id for t in failed) == [
        "c0ffee0123456789abcdef0123456789",
        "deadbeef0123456789abcdef01234567",
        "facade0123456789abcdef0123456789",
    ]
    seen_ids: list[str] = []
    page = await repository.list_tasks(TaskQuery(limit=2))
    while page:
        seen_ids += [t.task_id for t in page]
        last = page[-1]
        page = await repository.list_tasks(TaskQuery(limit=2, after=(last.first_seen_at, last.task_id)))
    assert len(seen_ids) == 5 == len(set(seen_ids))
    window = await repository.list_tasks(TaskQuery(since=RECEIVED + timedelta(seconds=61), limit=10))
    assert {t.status for t in window} == {"failed"}
