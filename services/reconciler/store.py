"""Where the reconciler keeps the tasks it watches: the port, and its SQL adapter.

A task's known stage only ever moves up in rank (a late `first` never undoes a `complete`), so callbacks
and polls may update one row in any order.
"""

from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.events import STAGE_RANK, Stage
from services.reconciler.tables import metadata, tasks

NOTHING_KNOWN = -1
"""The rank of a task known only from its submission."""
FINAL_STAGES = frozenset({Stage.COMPLETE, Stage.FAILED})


def rank(stage: Stage | None) -> int:
    return NOTHING_KNOWN if stage is None else STAGE_RANK[stage]


@dataclass(frozen=True, kw_only=True)
class Watch:
    task_id: str
    stage_rank: int
    first_seen_at: float
    polls: int
    failed_polls: int = 0
    """Polls in a row that the provider refused or did not answer."""


class WatchStore(Protocol):
    async def observe(self, task_id: str, *, stage: Stage | None, at: float, source: str, poll_at: float) -> None:
        """Remember a task (first poll at `poll_at`), or raise its known stage if `stage` outranks it."""

    async def due(self, now: float, limit: int) -> list[Watch]:
        """Tasks not final, not given up, whose next poll is at or before `now`, the most overdue first."""

    async def polled(
        self, task_id: str, *, status: str | None, stage: Stage | None, next_poll_at: float, failed: bool = False
    ) -> None:
        """Record a poll: what it said, whether it failed, and when to poll again; `stage` raises the known stage."""

    async def give_up(self, task_id: str, at: float) -> None: ...

    async def watched(self) -> int:
        """How many tasks are still being watched."""

    async def ping(self) -> None: ...


class SqlWatchStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_tables(self) -> None:
        async with self._engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def observe(self, task_id: str, *, stage: Stage | None, at: float, source: str, poll_at: float) -> None:
        row = {
            "task_id": task_id,
            "stage": None if stage is None else stage.value,
            "stage_rank": rank(stage),
            "final": stage in FINAL_STAGES,
            "source": source,
            "first_seen_at": at,
            "next_poll_at": poll_at,
            "polls": 0,
            "failed_polls": 0,
            "gave_up": False,
            "updated_at": at,
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(tasks.insert().values(**row))
        except IntegrityError:
            await self._progress(task_id, stage)

    async def due(self, now: float, limit: int) -> list[Watch]:
        columns = (tasks.c.task_id, tasks.c.stage_rank, tasks.c.first_seen_at, tasks.c.polls, tasks.c.failed_polls)
        query = (
            sa.select(*columns)
            .where(~tasks.c.final, ~tasks.c.gave_up, tasks.c.next_poll_at <= now)
            .order_by(tasks.c.next_poll_at)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Watch(task_id=r[0], stage_rank=r[1], first_seen_at=r[2], polls=r[3], failed_polls=r[4]) for r in rows]

    async def polled(
        self, task_id: str, *, status: str | None, stage: Stage | None, next_poll_at: float, failed: bool = False
    ) -> None:
        streak = tasks.c.failed_polls + 1 if failed else 0
        async with self._engine.begin() as conn:
            await conn.execute(
                tasks.update()
                .where(tasks.c.task_id == task_id)
                .values(polls=tasks.c.polls + 1, failed_polls=streak, last_status=status, next_poll_at=next_poll_at)
            )
        await self._progress(task_id, stage)

    async def give_up(self, task_id: str, at: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(tasks.update().where(tasks.c.task_id == task_id).values(gave_up=True, updated_at=at))

    async def watched(self) -> int:
        query = sa.select(sa.func.count()).select_from(tasks).where(~tasks.c.final, ~tasks.c.gave_up)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def _progress(self, task_id: str, stage: Stage | None) -> None:
        if stage is None:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                tasks.update()
                .where(tasks.c.task_id == task_id, tasks.c.stage_rank < rank(stage))
                .values(stage=stage.value, stage_rank=rank(stage), final=stage in FINAL_STAGES)
            )
