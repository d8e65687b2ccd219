"""The poller asks record-info about late tasks only, publishes only news, and stops at a final state."""

import pytest
from prometheus_client import CollectorRegistry

from schemas.events import Origin, Stage
from services.provider_client import ProviderError, ProviderUnavailable
from services.reconciler.metrics import ReconcilerMetrics
from services.reconciler.pacing import Pacer
from services.reconciler.poller import Poller, Timing
from services.reconciler.store import rank
from tests.unit.reconciler.fakes import ListPublisher, MemoryStore, ScriptedProvider

INTERVAL = 30.0


class Harness:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.store = MemoryStore()
        self.provider = ScriptedProvider()
        self.publisher = ListPublisher()
        self.registry = CollectorRegistry()
        self.poller = Poller(
            store=self.store,
            source=self.provider,
            publisher=self.publisher,
            metrics=ReconcilerMetrics(self.registry),
            pacer=Pacer(1000.0),
            timing=Timing(interval=INTERVAL, give_up_after=100_000.0, scan_every=1.0),
            concurrency=2,
            clock=lambda: self.now,
        )

    async def seen(self, task_id: str, stage: Stage | None, *answers: object, at: float = 0.0) -> None:
        await self.store.observe(task_id, stage=stage, at=at, source="callback", poll_at=at + 600.0)
        self.provider.answers[task_id] = list(answers)

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_only_tasks_past_their_deadline_are_polled(harness: Harness) -> None:
    """A task seen 400 s ago is left alone; one seen 700 s ago (deadline 600 s) is polled."""
    await harness.seen("fresh", Stage.TEXT, "FIRST_SUCCESS", at=harness.now - 400)
    await harness.seen("late", Stage.TEXT, "FIRST_SUCCESS", at=harness.now - 700)
    assert await harness.poller.poll_due() == ["published"]
    assert harness.provider.asked == ["late"]


async def test_a_lost_complete_is_recovered_once_and_the_task_is_then_final(harness: Harness) -> None:
    """SUCCESS for a task known at `first` is published as complete, origin=poll, and the task is not polled again."""
    await harness.seen("t1", Stage.FIRST, "SUCCESS")
    assert await harness.poller.poll_due() == ["published"]
    [event] = harness.publisher.published
    assert (event.task_id, event.stage, event.origin, event.callback_type) == (
        "t1",
        Stage.COMPLETE,
        Origin.POLL,
        "SUCCESS",
    )
    assert [t.audio_url for t in event.tracks] == ["https://cdn.test/t1-0.mp3", "https://cdn.test/t1-1.mp3"]
    harness.now += 10 * INTERVAL
    assert await harness.poller.poll_due() == []
    assert harness.store.rows["t1"].final
    assert harness.metric("vocals_reconciler_published_total", stage="complete") == 1


async def test_no_news_is_not_published_and_the_next_poll_waits_the_interval(harness: Harness) -> None:
    """A status the task is already known to have reached publishes nothing; the next poll is INTERVAL later."""
    await harness.seen("t2", Stage.FIRST, "FIRST_SUCCESS", "FIRST_SUCCESS", "SUCCESS")
    assert await harness.poller.poll_due() == ["no_news"]
    assert await harness.poller.poll_due() == []
    harness.now += INTERVAL
    assert await harness.poller.poll_due() == ["no_news"]
    harness.now += INTERVAL
    assert await harness.poller.poll_due() == ["published"]
    assert [e.stage for e in harness.publisher.published] == [Stage.COMPLETE]
    assert harness.store.rows["t2"].polls == 3


@pytest.mark.parametrize(
    "status", ["SENSITIVE_WORD_ERROR", "CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION"]
)
async def test_failure_statuses_are_final(harness: Harness, status: str) -> None:
    """Every failure status is published as a failure and ends polling of the task."""
    await harness.seen("bad", None, status)
    assert await harness.poller.poll_due() == ["published"]
    assert harness.publisher.published[0].stage == Stage.FAILED
    assert harness.store.rows["bad"].final
    harness.now += INTERVAL
    assert await harness.poller.poll_due() == []


async def test_a_submitted_task_still_pending_publishes_nothing(harness: Harness) -> None:
    """PENDING is recorded as a poll with nothing published; the task stays watched."""
    await harness.seen("new", None, "PENDING")
    assert await harness.poller.poll_due() == ["pending"]
    assert harness.publisher.published == []
    assert harness.store.rows["new"].last_status == "PENDING"
    assert await harness.store.watched() == 1


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ProviderError(430, "too often", operation="record-info"), "refused"),
        (ProviderError(455, "maintenance", operation="record-info"), "refused"),
        (ProviderUnavailable("connection refused"), "unreachable"),
    ],
)
async def test_provider_trouble_is_counted_and_retried_at_the_next_interval(
    harness: Harness, error: Exception, outcome: str
) -> None:
    """A refused or failed poll publishes nothing, is counted by outcome, and the task is polled again later."""
    await harness.seen("t3", Stage.TEXT, error, "SUCCESS")
    assert await harness.poller.poll_due() == [outcome]
    assert harness.metric("vocals_reconciler_polls_total", outcome=outcome) == 1
    harness.now += 2 * INTERVAL
    assert await harness.poller.poll_due() == ["published"]


async def test_refusals_in_a_row_back_off_up_to_32_intervals_and_an_answer_resets_them(harness: Harness) -> None:
    """Each refusal in a row doubles the wait (2, 4, ... capped at 32 intervals); an answered poll resets it."""
    refused = ProviderError(400, "no such task", operation="record-info")
    await harness.seen("t5", Stage.TEXT, *([refused] * 7), "FIRST_SUCCESS", refused)
    waits = []
    for _ in range(9):
        harness.now = max(harness.now, harness.store.rows["t5"].next_poll_at)
        assert len(await harness.poller.poll_due()) == 1
        waits.append((harness.store.rows["t5"].next_poll_at - harness.now) / INTERVAL)
    assert waits == [2, 4, 8, 16, 32, 32, 32, 1, 2]


async def test_a_failed_publish_is_retried_at_the_next_scan(harness: Harness) -> None:
    """If Kafka does not take the polled event the task stays due and is published once Kafka is back."""
    await harness.seen("t4", Stage.FIRST, "SUCCESS")
    harness.publisher.down = True
    assert await harness.poller.poll_due() == ["publish_failed"]
    harness.publisher.down = False
    assert await harness.poller.poll_due() == ["published"]
    assert len(harness.publisher.published) == 1


async def test_tasks_unfinished_for_too_long_are_given_up(harness: Harness) -> None:
    """A task first seen longer ago than give_up_after is marked given up without calling the provider."""
    await harness.seen("old", Stage.TEXT, "FIRST_SUCCESS", at=harness.now - 200_000)
    assert await harness.poller.poll_due() == ["gave_up"]
    assert harness.provider.asked == []
    assert harness.metric("vocals_reconciler_gave_up_total") == 1
    assert await harness.store.watched() == 0


def test_ranks_order_progress() -> None:
    """Nothing known ranks below every stage; complete and failed share the top rank."""
    assert rank(None) < rank(Stage.UNKNOWN) < rank(Stage.TEXT) < rank(Stage.FIRST) < rank(Stage.COMPLETE)
    assert rank(Stage.FAILED) == rank(Stage.COMPLETE)
