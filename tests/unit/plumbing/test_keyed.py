"""The keyed scheduler: one key's jobs run in order, different keys overlap, never beyond the limit."""

import asyncio

from services.plumbing.keyed import KeyedScheduler, finish_or_cancel


async def test_same_key_runs_in_order_while_other_keys_overlap() -> None:
    """A blocked job holds back later jobs of its key only; another key's job runs meanwhile."""
    scheduler = KeyedScheduler(limit=4)
    gate = asyncio.Event()
    log: list[str] = []

    async def first_a() -> None:
        log.append("a1 start")
        await gate.wait()
        log.append("a1 end")

    async def record(name: str) -> None:
        log.append(name)

    async def b_then_open_gate() -> None:
        log.append("b1")
        gate.set()

    tasks = [
        scheduler.submit("a", "p0", first_a),
        scheduler.submit("a", "p0", lambda: record("a2")),
        scheduler.submit("b", "p0", b_then_open_gate),
    ]
    await asyncio.gather(*tasks)

    assert log.index("a1 start") < log.index("b1") < log.index("a1 end") < log.index("a2")
    assert scheduler.tasks() == set()


async def test_limit_caps_concurrent_jobs() -> None:
    """With limit 2, a third key waits until one of the two running jobs finishes."""
    scheduler = KeyedScheduler(limit=2)
    release = asyncio.Event()
    running: list[str] = []
    both_running = asyncio.Event()

    async def hold(name: str) -> None:
        running.append(name)
        if len(running) == 2:
            both_running.set()
        await release.wait()

    tasks = [scheduler.submit(key, "p0", lambda key=key: hold(key)) for key in "xyz"]
    await both_running.wait()
    for _ in range(5):
        await asyncio.sleep(0)  # let the third job run if the limit were broken

    assert running == ["x", "y"]
    release.set()
    await asyncio.gather(*tasks)
    assert running == ["x", "y", "z"]


async def test_a_failed_job_stops_the_rest_of_its_key() -> None:
    """When a job raises, later jobs of that key do not run (their order would be broken)."""
    scheduler = KeyedScheduler(limit=1)
    ran: list[str] = []

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def later() -> None:
        ran.append("later")

    failed = scheduler.submit("k", "p0", boom)
    skipped = scheduler.submit("k", "p0", later)
    await asyncio.wait([failed, skipped])

    assert isinstance(failed.exception(), RuntimeError)
    assert ran == []


async def test_tasks_of_a_group_and_finish_or_cancel() -> None:
    """Tasks are listed per group; finish_or_cancel cancels the ones still running at the deadline."""
    scheduler = KeyedScheduler(limit=3)
    never = asyncio.Event()

    async def done() -> None:
        return None

    quick = scheduler.submit("a", "p0", done)
    stuck = scheduler.submit("b", "p1", never.wait)

    assert scheduler.tasks(["p1"]) == {stuck}
    cancelled = await finish_or_cancel(scheduler.tasks(), timeout=0.05)

    assert cancelled == 1
    assert stuck.cancelled()
    assert quick.done()
    assert not quick.cancelled()


async def test_skipped_job_neither_runs_nor_waits_for_a_slot() -> None:
    """A job whose skip() is true finishes at once without running, even while every slot is taken."""
    scheduler = KeyedScheduler(limit=1)
    release = asyncio.Event()
    ran: list[str] = []

    async def unwanted() -> None:
        ran.append("unwanted")

    holder = scheduler.submit("a", "p0", release.wait)
    skipped = scheduler.submit("b", "p1", unwanted, skip=lambda: True)
    await asyncio.wait([skipped])

    assert not holder.done()
    assert ran == []
    release.set()
    await holder
