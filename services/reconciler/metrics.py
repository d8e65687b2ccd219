"""The reconciler's Prometheus metrics, on a registry the composition root passes in."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ReconcilerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            "vocals_reconciler_polls_total",
            "record-info polls by outcome: published, no_news, pending, refused, unreachable, unreadable, "
            "publish_failed.",
            ["outcome"],
            registry=registry,
        )
        self.published = Counter(
            "vocals_reconciler_published_total",
            "Facts learnt by polling and published to vocals.callbacks, by stage.",
            ["stage"],
            registry=registry,
        )
        self.gave_up = Counter(
            "vocals_reconciler_gave_up_total",
            "Tasks no longer polled because they stayed unfinished past VOCALS_GIVE_UP_AFTER_SECONDS.",
            registry=registry,
        )
        self.watched = Gauge(
            "vocals_reconciler_watched_tasks",
            "Tasks not final and still watched.",
            registry=registry,
        )
        self.poll_duration = Histogram(
            "vocals_reconciler_poll_duration_seconds",
            "Time one record-info call took, failures included.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
            registry=registry,
        )
