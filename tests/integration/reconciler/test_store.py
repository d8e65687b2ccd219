"""The reconciler's SQL store on a real SQLite file: due tasks, monotonic progress, polls and giving up."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schemas.events import Stage
from services.plumbing.database import make_engine
from services.reconciler.store import SqlWatchStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlWatchStore]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'reconciler.sqlite3'}")
    created = SqlWatchStore(engine)
    await created.create_tables()
    await created.create_tables()  # idempotent: a restart finds the table already there
    yield created
    await engine.dispose()


async def test_due_tasks_are_the_overdue_unfinished_ones_most_overdue_first(store: SqlWatchStore) -> None:
    """Only tasks not final, not given up and past their poll time are due, the most overdue first."""
    await store.observe("late", stage=Stage.TEXT, at=0, source="callback", poll_at=10)
    await store.observe("later", stage=None, at=0, source="submitted", poll_at=5)
    await store.observe("future", stage=Stage.FIRST, at=0, source="callback", poll_at=500)
    await store.observe("done", stage=Stage.COMPLETE, at=0, source="callback", poll_at=1)
    due = await store.due(100, limit=10)
    assert [(w.task_id, w.stage_rank) for w in due] == [("later", -1), ("late", 1)]
    assert [w.task_id for w in await store.due(100, limit=1)] == ["later"]
    assert await store.watched() == 3


async def test_progress_only_moves_up(store: SqlWatchStore) -> None:
    """A later `first` after `complete` changes nothing; polls raise the stage and reschedule the task."""
    await store.observe("t", stage=Stage.COMPLETE, at=0, source="callback", poll_at=0)
    await store.observe("t", stage=Stage.FIRST, at=1, source="callback", poll_at=1)
    assert await store.due(100, 10) == []
    await store.observe("u", stage=Stage.TEXT, at=0, source="callback", poll_at=0)
    await store.polled("u", status="FIRST_SUCCESS", stage=Stage.FIRST, next_poll_at=50)
    assert await store.due(49, 10) == []
    [watch] = await store.due(50, 10)
    assert (watch.stage_rank, watch.polls) == (2, 1)
    await store.polled("u", status="SENSITIVE_WORD_ERROR", stage=Stage.FAILED, next_poll_at=80)
    assert await store.due(1_000, 10) == []
    assert await store.watched() == 0


async def test_given_up_tasks_are_no_longer_due(store: SqlWatchStore) -> None:
    """A task given up is neither due nor counted as watched."""
    await store.observe("old", stage=Stage.TEXT, at=0, source="callback", poll_at=0)
    await store.give_up("old", at=10)
    assert await store.due(100, 10) == []
    assert await store.watched() == 0
    await store.ping()


async def test_failed_polls_in_a_row_are_counted_and_reset(store: SqlWatchStore) -> None:
    """Refused polls in a row are counted on the task (for the poller's backoff); an answered poll resets them."""
    await store.observe("t", stage=Stage.TEXT, at=0, source="callback", poll_at=0)
    for _ in range(2):
        await store.polled("t", status=None, stage=None, next_poll_at=1, failed=True)
    [watch] = await store.due(10, 10)
    assert (watch.polls, watch.failed_polls) == (2, 2)
    await store.polled("t", status="TEXT_SUCCESS", stage=Stage.TEXT, next_poll_at=1)
    [watch] = await store.due(10, 10)
    assert (watch.polls, watch.failed_polls) == (3, 0)
