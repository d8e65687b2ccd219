"""Run jobs concurrently up to a limit, except that jobs sharing an ordering key run one after another."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from functools import partial

Job = Callable[[], Awaitable[None]]


class KeyedScheduler:
    """Jobs with the same key run strictly in submission order; different keys overlap up to `limit`.

    A job whose predecessor (same key) was cancelled or raised does not run: running it would break the
    key's order; nor does one whose `skip()` is true when its turn comes, so it never waits for a slot.
    Jobs are also grouped (e.g. by partition) so a caller can wait for one group's work.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self._groups: dict[Hashable, set[asyncio.Task[None]]] = {}

    def submit(
        self, key: Hashable, group: Hashable, job: Job, *, skip: Callable[[], bool] = lambda: False
    ) -> asyncio.Task[None]:
        """Start `job` once every earlier job of `key` has finished and a slot is free."""
        task = asyncio.create_task(self._run(self._tails.get(key), job, skip))
        self._tails[key] = task
        self._groups.setdefault(group, set()).add(task)
        task.add_done_callback(partial(self._forget, key, group))
        return task

    def tasks(self, groups: Iterable[Hashable] | None = None) -> set[asyncio.Task[None]]:
        """Unfinished jobs, of every group or of the given ones."""
        chosen = self._groups.keys() if groups is None else groups
        return {task for group in chosen for task in self._groups.get(group, ())}

    async def _run(self, previous: asyncio.Task[None] | None, job: Job, skip: Callable[[], bool]) -> None:
        if previous is not None:
            await asyncio.wait([previous])
            if previous.cancelled() or previous.exception() is not None:
                return
        if skip():
            return
        async with self._slots:
            await job()

    def _forget(self, key: Hashable, group: Hashable, task: asyncio.Task[None]) -> None:
        if self._tails.get(key) is task:
            del self._tails[key]
        members = self._groups.get(group)
        if members is not None:
            members.discard(task)
            if not members:
                del self._groups[group]


async def finish_or_cancel(tasks: set[asyncio.Task[None]], timeout: float) -> int:  # noqa: ASYNC109
    """Wait up to `timeout` seconds for `tasks`, then cancel the rest; returns how many were cancelled."""
    if not tasks:
        return 0
    _, unfinished = await asyncio.wait(tasks, timeout=timeout)
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)
    return len(unfinished)
