"""The reconciler learns of tasks from callbacks and submissions; unreadable records are dead-lettered."""

from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord

from schemas.codec import encode
from schemas.events import CallbackReceived, Origin, Stage, TaskSubmitted
from services.plumbing.consumer import PermanentError
from services.reconciler.pacing import Pacer
from services.reconciler.tracking import Tracker
from tests.unit.reconciler.fakes import MemoryStore

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)


def record(topic: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, 0, 0, 0, b"k", value, None, len(value), -1, [])


def callback(task_id: str, stage: Stage, origin: Origin = Origin.CALLBACK) -> bytes:
    event = CallbackReceived(
        event_id=f"e-{task_id}-{stage}",
        task_id=task_id,
        stage=stage,
        callback_type=stage.value,
        code=200,
        msg="",
        received_at=AT,
        origin=origin,
    )
    return encode(event)


async def test_callbacks_and_submissions_become_watched_tasks() -> None:
    """A callback records its stage and time; a submission records a task with nothing known, due 600 s later."""
    store = MemoryStore()
    tracker = Tracker(store, submitted_topic="p.vocals.submitted", poll_after=600)
    await tracker.handle(record("p.vocals.callbacks", callback("a", Stage.TEXT)))
    submitted = TaskSubmitted(event_id="s", task_id="b", submitted_at=AT, title="T", model="V5")
    await tracker.handle(record("p.vocals.submitted", encode(submitted)))
    assert (store.rows["a"].stage_rank, store.rows["a"].source) == (1, "callback")
    assert (store.rows["b"].stage_rank, store.rows["b"].source) == (-1, "submitted")
    assert store.rows["b"].next_poll_at == AT.timestamp() + 600


async def test_a_late_earlier_stage_never_undoes_a_final_one() -> None:
    """complete then a reordered first leaves the task final, so it is never polled."""
    store = MemoryStore()
    tracker = Tracker(store, submitted_topic="s", poll_after=0)
    await tracker.handle(record("c", callback("a", Stage.COMPLETE)))
    await tracker.handle(record("c", callback("a", Stage.FIRST)))
    await tracker.handle(record("c", callback("b", Stage.FIRST, Origin.POLL)))
    assert store.rows["a"].final
    assert [w.task_id for w in await store.due(AT.timestamp() + 1, 10)] == ["b"]


async def test_unreadable_records_are_permanent_errors() -> None:
    """A record that is not an event on its topic raises PermanentError, so it goes to the dead-letter topic."""
    tracker = Tracker(MemoryStore(), submitted_topic="s", poll_after=0)
    with pytest.raises(PermanentError, match="not an event the reconciler reads on c"):
        await tracker.handle(record("c", b"{}"))
    with pytest.raises(PermanentError):
        await tracker.handle(record("s", callback("a", Stage.TEXT)))


async def test_the_pacer_spaces_calls_evenly() -> None:
    """At 2 calls per second, three calls at once start 0 s, 0.5 s and 1 s later."""
    now = [10.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    pacer = Pacer(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await pacer.acquire()
    assert waits == [0.5, 1.0]
