"""The archiver's Prometheus metrics, on a registry passed in (never the global one).

DLQ count and consumer lag come from the shared consumer loop, under the same `vocals_archiver_` prefix.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram

_SIZE_BUCKETS = tuple(float(2**power) for power in range(14, 29, 2))
_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_LAG_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)


class ArchiverMetrics:
    """Downloads by kind and outcome, their duration and size, retries, archive lag, permanent failures."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.downloads = Counter(
            "vocals_archiver_downloads_total",
            "Files handled, by kind (audio, cover, source_audio) and outcome (stored, unchanged, failed, error).",
            ["kind", "outcome"],
            registry=registry,
        )
        self.download_seconds = Histogram(
            "vocals_archiver_download_duration_seconds",
            "Time to download and store one file, all attempts included.",
            ["kind"],
            buckets=_DURATION_BUCKETS,
            registry=registry,
        )
        self.download_bytes = Histogram(
            "vocals_archiver_download_size_bytes",
            "Size of each stored file.",
            ["kind"],
            buckets=_SIZE_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "vocals_archiver_download_retries_total",
            "Download attempts that failed transiently and were retried, by reason.",
            ["reason"],
            registry=registry,
        )
        self.archive_lag = Histogram(
            "vocals_archiver_archive_lag_seconds",
            "From the callback's receipt to its track being stored.",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.permanent_failures = Counter(
            "vocals_archiver_permanent_failures_total",
            "Files that can never be fetched as linked, by reason (each sends its callback to vocals.dlq).",
            ["reason"],
            registry=registry,
        )
        self.flagged = Counter(
            "vocals_archiver_tracks_flagged_total",
            "Tracks the content filter flagged (they are archived all the same).",
            registry=registry,
        )
        self.duration_mismatches = Counter(
            "vocals_archiver_duration_mismatches_total",
            "Tracks whose measured audio duration differs from the reported one by more than the tolerance.",
            registry=registry,
        )
        self.published = Counter(
            "vocals_archiver_events_published_total",
            "Events published to vocals.archived, by event type.",
            ["event_type"],
            registry=registry,
        )
