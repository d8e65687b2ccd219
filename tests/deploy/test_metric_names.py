"""Every metric the dashboard and the alerts query is one the services declare (checked in-process, no I/O).

tests/deploy/test_prometheus_scrape.py proves the same against a real Prometheus scraping the real services.
"""

from prometheus_client import CollectorRegistry

from services.archiver.metrics import ArchiverMetrics
from services.notifier.metrics import NotifierMetrics
from services.plumbing.consumer_metrics import ConsumerMetrics
from services.receiver.metrics import ReceiverMetrics
from services.reconciler.metrics import ReconcilerMetrics
from tests.deploy.promql import alert_expressions, dashboard_expressions, metric_names, series_names, unknown_metrics


def declared_families() -> dict[str, str]:
    """{family name: type} of every metric the services register, consume loops included."""
    registry = CollectorRegistry()
    ReceiverMetrics(registry)
    ArchiverMetrics(registry)
    ConsumerMetrics(registry, "archiver")
    NotifierMetrics(registry)
    ConsumerMetrics(registry, "notifier")
    ReconcilerMetrics(registry)
    ConsumerMetrics(registry, "reconciler")
    return {family.name: family.type for family in registry.collect()}


def test_dashboard_queries_name_only_declared_metrics() -> None:
    """No panel queries a metric no service registers (a renamed metric fails here)."""
    assert unknown_metrics(dashboard_expressions(), series_names(declared_families())) == {}


def test_alert_expressions_name_only_declared_metrics() -> None:
    """No alert watches a metric no service registers."""
    assert unknown_metrics(list(alert_expressions().values()), series_names(declared_families())) == {}


def test_the_check_catches_a_renamed_metric() -> None:
    """An expression naming a metric that does not exist is reported, with the missing name."""
    exported = series_names(declared_families())
    assert unknown_metrics(["sum(rate(vocals_receiver_callback_total[5m]))"], exported) == {
        "sum(rate(vocals_receiver_callback_total[5m]))": {"vocals_receiver_callback_total"}
    }


def test_the_dashboard_shows_every_family_an_operator_needs() -> None:
    """The issue's panels are there: callbacks, latencies, spool, lag, archive, notifications, dead letters."""
    used = set().union(*(metric_names(expression) for expression in dashboard_expressions()))
    for needed in (
        "vocals_receiver_callbacks_total",
        "vocals_receiver_request_duration_seconds_bucket",
        "vocals_receiver_publish_duration_seconds_bucket",
        "vocals_receiver_spool_events",
        "vocals_archiver_consumer_lag_messages",
        "vocals_notifier_consumer_lag_messages",
        "vocals_archiver_downloads_total",
        "vocals_archiver_download_size_bytes_sum",
        "vocals_archiver_permanent_failures_total",
        "vocals_archiver_archive_lag_seconds_bucket",
        "vocals_notifier_channel_messages_total",
        "vocals_notifier_notification_lag_seconds_bucket",
        "vocals_archiver_dead_letters_total",
        "vocals_notifier_dead_letters_total",
    ):
        assert needed in used, needed
