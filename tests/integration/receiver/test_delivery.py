"""Delivery's ordering and de-duplication, driven directly on one event loop with a real spool file."""

import asyncio
from pathlib import Path

from prometheus_client import CollectorRegistry

from services.receiver.delivery import Delivery, Outcome
from services.receiver.metrics import ReceiverMetrics
from services.receiver.outgoing import OutgoingMessage
from services.receiver.spool import Spool
from tests.fakes import FakePublisher


def message(event_id: str, task_id: str = "t1") -> OutgoingMessage:
    return OutgoingMessage("vocals.callbacks", task_id.encode(), event_id.encode(), [], event_id, task_id)


async def wait_until(condition, within: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met in time")


async def make_delivery(tmp_path: Path, publisher: FakePublisher) -> tuple[Delivery, Spool]:
    spool = Spool(tmp_path / "spool.sqlite3", max_events=100)
    await spool.open()
    metrics = ReceiverMetrics(CollectorRegistry())
    return Delivery(publisher, spool, metrics, publish_timeout=5.0, dedup_capacity=10), spool


async def test_concurrent_copies_wait_for_the_first(tmp_path: Path) -> None:
    """Five copies of one event in flight at once cause one publish; the other four report duplicates."""
    publisher = FakePublisher()
    publisher.gate = asyncio.Event()
    delivery, spool = await make_delivery(tmp_path, publisher)
    copies = [asyncio.create_task(delivery.deliver(message("e1"))) for _ in range(5)]
    await wait_until(lambda: publisher.calls == 1)
    publisher.gate.set()
    outcomes = await asyncio.gather(*copies)
    assert sorted(outcomes) == sorted([Outcome.PUBLISHED] + [Outcome.DUPLICATE] * 4)
    assert [m.event_id for m in publisher.published] == ["e1"]
    await spool.close()


async def test_newer_events_of_a_spooled_task_queue_behind_it(tmp_path: Path) -> None:
    """Once a task has an event in the spool, its next events go behind it while other tasks publish directly."""
    publisher = FakePublisher()
    delivery, spool = await make_delivery(tmp_path, publisher)
    publisher.down = True
    assert await delivery.deliver(message("a1", "A")) is Outcome.SPOOLED
    publisher.down = False
    delivery.kafka_healthy = True  # the broker is back, but A still has an event waiting
    assert await delivery.deliver(message("a2", "A")) is Outcome.SPOOLED
    assert await delivery.deliver(message("b1", "B")) is Outcome.PUBLISHED
    while spool.depth():
        await delivery.drain_once()
    assert [m.event_id for m in publisher.published] == ["b1", "a1", "a2"]
    await spool.close()


async def test_spool_survives_a_restart(tmp_path: Path) -> None:
    """Events spooled before a crash are still there, in order, when the receiver opens the spool again."""
    publisher = FakePublisher()
    publisher.down = True
    delivery, spool = await make_delivery(tmp_path, publisher)
    for event_id in ("x1", "x2", "x3"):
        await delivery.deliver(message(event_id, "X"))
    await spool.close()
    reopened = Spool(tmp_path / "spool.sqlite3", max_events=100)
    await reopened.open()
    assert (reopened.depth(), reopened.holds_task("X")) == (3, True)
    assert [m.event_id for _, m in await reopened.head_per_task(10)] == ["x1"]
    await reopened.close()


async def test_send_that_outlives_the_timeout_is_not_published_twice(tmp_path: Path) -> None:
    """A send still pending at the timeout is spooled; when the producer's own retry gets it through, the
    drainer drops the spooled copy instead of publishing it again."""
    publisher = FakePublisher()
    publisher.gate = asyncio.Event()
    spool = Spool(tmp_path / "spool.sqlite3", max_events=100)
    await spool.open()
    delivery = Delivery(publisher, spool, ReceiverMetrics(CollectorRegistry()), publish_timeout=0.05, dedup_capacity=10)
    assert await delivery.deliver(message("slow", "S")) is Outcome.SPOOLED
    assert await delivery.drain_once() == 0  # the first send is still pending: wait for it
    publisher.gate.set()
    await wait_until(lambda: len(publisher.published) == 1)
    assert await delivery.drain_once() == 1
    assert spool.depth() == 0
    assert [m.event_id for m in publisher.published] == ["slow"]
    await spool.close()


async def test_concurrent_spool_appends_are_all_durable_in_order(tmp_path: Path) -> None:
    """Hundreds of appends racing each other (committed in shared transactions) are all on disk, in call order."""
    spool = Spool(tmp_path / "spool.sqlite3", max_events=1000)
    await spool.open()
    await asyncio.gather(*(spool.append(message(f"e{n}", f"task{n}")) for n in range(300)))
    await spool.close()
    reopened = Spool(tmp_path / "spool.sqlite3", max_events=1000)
    await reopened.open()
    heads = await reopened.head_per_task(1000)
    assert [m.event_id for _, m in heads] == [f"e{n}" for n in range(300)]
    await reopened.close()


async def test_spool_refuses_beyond_its_bound(tmp_path: Path) -> None:
    """Appends beyond the bound raise SpoolFull and leave the spool at its bound."""
    spool = Spool(tmp_path / "spool.sqlite3", max_events=5)
    await spool.open()
    results = await asyncio.gather(
        *(spool.append(message(f"e{n}", f"task{n}")) for n in range(8)), return_exceptions=True
    )
    assert [type(r).__name__ for r in results] == ["NoneType"] * 5 + ["SpoolFull"] * 3
    assert spool.depth() == 5
    await spool.close()
