"""SqlStore and the notifier's migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import inspect, text

from services.notifier.migrate import upgrade
from services.notifier.notice import ArchivedTrackLinks, notice_for_callback
from services.notifier.ports import MessageRef
from services.notifier.store import SqlStore
from services.plumbing.database import make_engine
from tests.unit.notifier.fakes import callback


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = make_engine(database_url)
    await upgrade(engine)
    yield SqlStore(engine)
    await engine.dispose()


async def test_migrations_are_idempotent_and_use_their_own_version_table(database_url: str) -> None:
    """Upgrading twice leaves one revision in alembic_version_notifier and the three notifier tables."""
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        await upgrade(engine)
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version_notifier"))).scalars().all()
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()

    assert versions == ["n0001"]
    assert {"notifier_sent", "notifier_tasks", "notifier_archived_tracks"} <= tables
    assert "alembic_version" not in tables


async def test_a_send_is_recorded_once_per_event_and_channel(store: SqlStore) -> None:
    """Recording the same (event, channel) twice keeps one row; other channels are separate."""
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)

    await store.record_sent(notice, "email")
    await store.record_sent(notice, "email")
    await store.record_sent(notice, "slack_webhook")

    assert await store.sent_channels(notice.event_id) == {"email", "slack_webhook"}
    assert await store.sent_channels("another-event") == set()


async def test_a_claim_keeps_rank_event_and_notice(store: SqlStore) -> None:
    """The claimed stage's rank, event id and full notice read back unchanged."""
    notice = notice_for_callback(callback("first"), archive=None, known_title=None)

    await store.claim(notice, rank=2)
    state = await store.task(notice.task_id)

    assert state is not None
    assert (state.stage_rank, state.stage_event_id, state.notice, state.archived) == (2, notice.event_id, notice, False)
    assert await store.task("unknown-task") is None


async def test_archive_links_and_the_slack_message_are_kept_per_task(store: SqlStore) -> None:
    """Track links, the task page and the bot message ref are stored alongside the task's claim."""
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)
    assert await store.archive(notice.task_id) is None

    await store.save_archived_track(notice.task_id, "track-1", ArchivedTrackLinks(audio_url="http://a/1.mp3"))
    await store.save_archived_track(notice.task_id, "track-1", ArchivedTrackLinks(audio_url="http://a/1b.mp3"))
    await store.save_task_archived(notice.task_id, "http://a/task")
    await store.save_message_ref(notice.task_id, MessageRef(channel="C1", ts="1.2"))
    await store.claim(notice, rank=3)

    archive = await store.archive(notice.task_id)
    assert archive is not None
    assert (archive.url, archive.tracks) == (
        "http://a/task",
        {"track-1": ArchivedTrackLinks(audio_url="http://a/1b.mp3")},
    )
    assert await store.message_ref(notice.task_id) == MessageRef(channel="C1", ts="1.2")
    state = await store.task(notice.task_id)
    assert state is not None
    assert (state.archived, state.stage_rank) == (True, 3)
