"""The consume loop's Prometheus metrics, named `vocals_<service>_*`, on a registry passed in."""

import contextlib
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

HANDLE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
"""Handlers range from a dict lookup to downloading a song, so the buckets reach five minutes."""

_known: WeakKeyDictionary[CollectorRegistry, dict[str, "ConsumerMetrics"]] = WeakKeyDictionary()


class ConsumerMetrics:
    """Counters, histogram and gauge for one service's consumer; labels are topics and partitions only."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        prefix = f"vocals_{service}"
        self.messages = Counter(
            f"{prefix}_messages_total",
            "Records that reached a final outcome: ok, dead_lettered or failed (retries exhausted).",
            ["topic", "outcome"],
            registry=registry,
        )
        self.handle_duration = Histogram(
            f"{prefix}_handle_duration_seconds",
            "Time from a record's first handler attempt to its final outcome, retries included.",
            ["topic"],
            buckets=HANDLE_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            f"{prefix}_handler_retries_total",
            "Handler attempts that failed and were retried, by exception class.",
            ["topic", "reason"],
            registry=registry,
        )
        self.dead_letters = Counter(
            f"{prefix}_dead_letters_total",
            "Records copied to the dead-letter topic because they can never succeed.",
            ["topic"],
            registry=registry,
        )
        self.lag = Gauge(
            f"{prefix}_consumer_lag_messages",
            "Records on the partition not yet fetched: high watermark minus position.",
            ["topic", "partition"],
            registry=registry,
        )
        self.commits = Counter(
            f"{prefix}_commits_total", "Offset commits the consumer group accepted.", registry=registry
        )

    @classmethod
    def on(cls, registry: CollectorRegistry, service: str) -> "ConsumerMetrics":
        """The metrics for `service` on `registry`, registered once however often the consumer restarts."""
        per_service = _known.setdefault(registry, {})
        if service not in per_service:
            per_service[service] = cls(registry, service)
        return per_service[service]


async def observe_lag(consumer: AIOKafkaConsumer, lag: Gauge) -> None:
    """Set the lag gauge of every assigned partition whose high watermark is known (it has been fetched)."""
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        try:
            position = await consumer.position(tp)
        except IllegalStateError:
            continue  # revoked while we looked
        lag.labels(tp.topic, str(tp.partition)).set(max(highwater - position, 0))


def forget_lag(lag: Gauge, tps: Iterable[TopicPartition]) -> None:
    """Drop the lag series of partitions another member now owns, so they do not report stale values."""
    for tp in tps:
        with contextlib.suppress(KeyError):
            lag.remove(tp.topic, str(tp.partition))
