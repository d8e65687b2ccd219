"""The stand-in's Prometheus metrics, on a registry the composition root passes in."""

from prometheus_client import CollectorRegistry, Counter


class StandinMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.submits = Counter(
            "vocals_standin_submits_total",
            "Submit requests by the code answered (200: a task was created).",
            ["code"],
            registry=registry,
        )
        self.attempts = Counter(
            "vocals_standin_callback_attempts_total",
            "Callback delivery attempts by stage and outcome (delivered, http_error, timeout, unreachable, outage).",
            ["stage", "outcome"],
            registry=registry,
        )
        self.files = Counter(
            "vocals_standin_file_requests_total",
            "File downloads by kind (audio, cover, source_audio, source_cover, stream, sample) and HTTP status.",
            ["kind", "status"],
            registry=registry,
        )
        self.dropped = Counter(
            "vocals_standin_callbacks_dropped_total",
            "Callbacks given up after every retry failed, by stage.",
            ["stage"],
            registry=registry,
        )
