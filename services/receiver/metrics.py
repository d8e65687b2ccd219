"""The receiver's Prometheus metrics, on a registry the composition root passes in."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


class ReceiverMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.callbacks = Counter(
            "vocals_receiver_callbacks_total",
            "Authenticated, valid callbacks by normalised stage, provider code and what became of them.",
            ["stage", "code", "outcome"],
            registry=registry,
        )
        self.rejections = Counter(
            "vocals_receiver_rejections_total",
            "Requests refused, by reason.",
            ["reason"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "vocals_receiver_request_duration_seconds",
            "Time from request start to reply on the callback endpoint.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.publish_duration = Histogram(
            "vocals_receiver_publish_duration_seconds",
            "Time Kafka took to acknowledge a publish, by outcome.",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.duplicates = Counter(
            "vocals_receiver_duplicates_suppressed_total",
            "Callbacks not published again because their event id was published recently.",
            registry=registry,
        )
        self.spool_events = Gauge(
            "vocals_receiver_spool_events",
            "Events waiting in the local spool for Kafka.",
            registry=registry,
        )
        self.spool_oldest_age = Gauge(
            "vocals_receiver_spool_oldest_age_seconds",
            "How long the oldest spooled event has waited.",
            registry=registry,
        )
        self.publish_ok = self.publish_duration.labels("ok")
        self.publish_failed = self.publish_duration.labels("failed")
        self._callback_children: dict[tuple[str, str, str], Counter] = {}
        self.kafka_connected = Gauge(
            "vocals_receiver_kafka_connected",
            "1 while the last publish to Kafka succeeded, 0 while events go to the spool.",
            registry=registry,
        )

    def count_callback(self, stage: str, code: int, outcome: str) -> None:
        """Count one accepted callback; label children are cached, this runs on every request."""
        key = (stage, str(code) if 100 <= code <= 999 else "other", outcome)
        child = self._callback_children.get(key)
        if child is None:
            child = self._callback_children[key] = self.callbacks.labels(*key)
        child.inc()
