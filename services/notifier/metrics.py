"""The notifier's Prometheus metrics, on a registry the composition root passes in.

Dead letters and consumer lag come from the consume loop (`vocals_notifier_dead_letters_total`,
`vocals_notifier_consumer_lag_messages`), which also owns `vocals_notifier_messages_total{topic,outcome}`:
hence per-channel outcomes are `vocals_notifier_channel_messages_total`.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram

_SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)

OUTCOMES = ("sent", "digested", "duplicate", "superseded", "rejected", "failed")
"""sent; sent inside a digest; already sent before (redelivery); a later stage was already announced;
refused for good (-> vocals.dlq); gave up for now (the event will come back)."""


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "vocals_notifier_channel_messages_total",
            "Notices per channel by outcome: sent, digested, duplicate, superseded, rejected, failed.",
            ["channel", "outcome"],
            registry=registry,
        )
        self.send_duration = Histogram(
            "vocals_notifier_send_duration_seconds",
            "Time one channel took to accept one notice, waiting for its turn and retries included.",
            ["channel"],
            buckets=_SEND_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "vocals_notifier_retries_total",
            "Send attempts retried, by channel and reason (rate_limited, server_error, timeout, ...).",
            ["channel", "reason"],
            registry=registry,
        )
        self.lag = Histogram(
            "vocals_notifier_notification_lag_seconds",
            "Time from the receiver getting the callback to a channel accepting its notice.",
            ["channel"],
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
