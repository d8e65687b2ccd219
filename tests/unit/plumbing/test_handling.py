"""One record's fate without a broker: retries with backoff, dead-lettering, giving up, and the metrics."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from schemas import dlq
from services.plumbing.consumer import ConsumerConfig, PermanentError
from services.plumbing.consumer_metrics import ConsumerMetrics
from services.plumbing.dlq import dead_letter_headers
from services.plumbing.handling import RecordRunner, backoff_delay

TOPIC = "vocals.callbacks"


def record(offset: int = 7, key: bytes | None = b"task-1", value: bytes = b'{"x":1}') -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(TOPIC, 2, offset, 0, 0, key, value, None, 6, len(value), [("ce_id", b"e-1")])


class FakeDeadLetters:
    def __init__(self) -> None:
        self.parked: list[tuple[ConsumerRecord[bytes, bytes], str]] = []

    async def park(self, parked: ConsumerRecord[bytes, bytes], reason: str) -> None:
        self.parked.append((parked, reason))


class ScriptedHandler:
    """Raises the scripted exceptions in turn, then succeeds; counts calls."""

    def __init__(self, *failures: Exception) -> None:
        self._failures: Iterator[Exception] = iter(failures)
        self.calls = 0

    async def __call__(self, _record: ConsumerRecord[bytes, bytes]) -> None:
        self.calls += 1
        failure = next(self._failures, None)
        if failure is not None:
            raise failure


class RecordedSleep:
    """Records requested backoff delays instead of sleeping, so retries are instant and inspectable."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make_runner(
    handler: ScriptedHandler, attempts: int = 3
) -> tuple[RecordRunner, FakeDeadLetters, CollectorRegistry, RecordedSleep]:
    registry = CollectorRegistry()
    config = ConsumerConfig(
        group_id="g", topics=(TOPIC,), service="unit", retry_attempts=attempts, retry_initial_s=1, retry_max_s=3
    )
    dead_letters, sleep = FakeDeadLetters(), RecordedSleep()
    metrics = ConsumerMetrics(registry, "unit")
    return RecordRunner(config, handler, metrics, dead_letters, sleep=sleep), dead_letters, registry, sleep


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_transient_failures_are_retried_with_growing_capped_delays() -> None:
    """Two timeouts then success: three calls, outcome ok, two retries counted, delays within their caps."""
    handler = ScriptedHandler(TimeoutError("slow"), TimeoutError("slow"))
    runner, dead_letters, registry, sleep = make_runner(handler)

    await runner.run(record())

    assert handler.calls == 3
    assert dead_letters.parked == []
    assert sample(registry, "vocals_unit_handler_retries_total", topic=TOPIC, reason="TimeoutError") == 2
    assert sample(registry, "vocals_unit_messages_total", topic=TOPIC, outcome="ok") == 1
    assert 0.5 <= sleep.delays[0] <= 1.0
    assert 1.0 <= sleep.delays[1] <= 2.0


async def test_exhausted_retries_reraise_the_last_error() -> None:
    """A handler failing every attempt is called retry_attempts times and its error propagates."""
    handler = ScriptedHandler(*(ConnectionError(f"down {n}") for n in range(5)))
    runner, dead_letters, registry, _ = make_runner(handler, attempts=3)

    with pytest.raises(ConnectionError, match="down 2"):
        await runner.run(record())

    assert handler.calls == 3
    assert dead_letters.parked == []
    assert sample(registry, "vocals_unit_messages_total", topic=TOPIC, outcome="failed") == 1
    assert sample(registry, "vocals_unit_handler_retries_total", topic=TOPIC, reason="ConnectionError") == 2


async def test_permanent_error_is_dead_lettered_without_retry() -> None:
    """PermanentError parks the record once with its reason, and is not retried."""
    handler = ScriptedHandler(PermanentError("audio link returned 404"))
    runner, dead_letters, registry, _ = make_runner(handler)
    original = record()

    await runner.run(original)

    assert handler.calls == 1
    assert dead_letters.parked == [(original, "audio link returned 404")]
    assert sample(registry, "vocals_unit_dead_letters_total", topic=TOPIC) == 1
    assert sample(registry, "vocals_unit_messages_total", topic=TOPIC, outcome="dead_lettered") == 1


async def test_retry_and_dead_letter_lines_name_the_record_but_never_its_value() -> None:
    """Each retry and the DLQ decision log topic, partition, offset, key and reason; the body never appears."""
    handler = ScriptedHandler(TimeoutError("slow"), PermanentError("not a callback"))
    runner, *_ = make_runner(handler)

    with capture_logs() as lines:
        await runner.run(record(offset=9, value=b"secret-body"))

    where = {"topic": TOPIC, "partition": 2, "offset": 9, "key": "task-1"}
    assert [line["event"] for line in lines] == ["consumer.retrying", "consumer.dead_lettering"]
    assert lines[0] | where == lines[0]
    assert lines[0]["reason"] == "TimeoutError"
    assert lines[1] | where == lines[1]
    assert lines[1]["reason"] == "not a callback"
    assert "secret-body" not in repr(lines)


def test_dead_letter_headers_keep_the_originals_and_say_where_from() -> None:
    """The DLQ copy carries the record's own headers first, then reason, service, origin and time."""
    headers = dead_letter_headers(
        record(offset=41), reason="bad json", service="archiver", failed_at=datetime(2024, 5, 1, 12, tzinfo=UTC)
    )

    assert headers == [
        ("ce_id", b"e-1"),
        (dlq.REASON, b"bad json"),
        (dlq.SERVICE, b"archiver"),
        (dlq.TOPIC, TOPIC.encode()),
        (dlq.PARTITION, b"2"),
        (dlq.OFFSET, b"41"),
        (dlq.FAILED_AT, b"2024-05-01T12:00:00.000Z"),
    ]


@pytest.mark.parametrize(
    ("attempt", "jitter", "expected"), [(1, 0.0, 0.25), (1, 1.0, 0.5), (3, 1.0, 2.0), (9, 1.0, 5.0)]
)
def test_backoff_doubles_and_is_capped(attempt: int, jitter: float, expected: float) -> None:
    """The delay doubles per attempt, is jittered within its upper half, and never exceeds the cap."""
    assert backoff_delay(attempt, initial=0.5, maximum=5.0, jitter=jitter) == expected


def test_config_rejects_values_that_cannot_work() -> None:
    """A metric-unsafe service name and a zero concurrency are both named in one error."""
    with pytest.raises(ValueError, match=r"service 'Bad-Name'.*max_concurrency"):
        ConsumerConfig(group_id="g", topics=("t",), service="Bad-Name", max_concurrency=0)
