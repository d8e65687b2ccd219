"""The dashboard's panels: a title, a unit and PromQL queries each, grouped in rows.

Metric names are the services' own (`grep -r vocals_ services/`); tests/deploy proves each exists.
"""

from typing import NamedTuple

RATE = "[$__rate_interval]"
CONSUMERS = ("archiver", "notifier", "reconciler")
"""The services that run the shared consume loop (its metrics are `vocals_<service>_*`)."""


class Query(NamedTuple):
    expr: str
    legend: str


class Panel(NamedTuple):
    title: str
    unit: str
    queries: tuple[Query, ...]
    description: str = ""


def rate(metric: str, by: str = "", where: str = "") -> str:
    """`sum by (<by>) (rate(<metric>{<where>}[$__rate_interval]))`."""
    selector = f"{{{where}}}" if where else ""
    return f"sum by ({by}) (rate({metric}{selector}{RATE}))" if by else f"sum(rate({metric}{selector}{RATE}))"


def quantiles(histogram: str, by: str = "", label: str = "") -> tuple[Query, ...]:
    """p50 and p99 of a histogram, optionally per label."""
    grouping = f"le, {by}" if by else "le"
    suffix = f" {label}" if label else ""
    return tuple(
        Query(f"histogram_quantile({q}, sum by ({grouping}) (rate({histogram}_bucket{RATE})))", f"p{name}{suffix}")
        for q, name in (("0.5", "50"), ("0.99", "99"))
    )


def per_consumer(metric_of: str, by: str, legend: str, *, gauge: bool = False) -> tuple[Query, ...]:
    """The same query for every service's consume loop."""
    queries = []
    for service in CONSUMERS:
        metric = f"vocals_{service}_{metric_of}"
        expr = f"sum by ({by}) ({metric})" if gauge else rate(metric, by)
        queries.append(Query(expr, f"{service} {legend}"))
    return tuple(queries)


ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Receiver",
        (
            Panel(
                "Callbacks per second by stage and code",
                "reqps",
                (
                    Query(
                        rate("vocals_receiver_callbacks_total", "stage, code", 'outcome!="duplicate"'),
                        "{{stage}} {{code}}",
                    ),
                ),
                "Authenticated, valid callbacks; provider retries of an already published event are left out.",
            ),
            Panel(
                "Refused requests by reason",
                "reqps",
                (Query(rate("vocals_receiver_rejections_total", "reason"), "{{reason}}"),),
                "bad_token or missing_credentials: the callBackUrl's token is wrong; spool_full: Kafka is down.",
            ),
            Panel("Receiver latency", "s", quantiles("vocals_receiver_request_duration_seconds")),
            Panel(
                "Kafka publish latency",
                "s",
                quantiles("vocals_receiver_publish_duration_seconds", "outcome", "{{outcome}}"),
            ),
            Panel(
                "Spool depth",
                "short",
                (
                    Query("sum(vocals_receiver_spool_events)", "spooled events"),
                    Query("min(vocals_receiver_kafka_connected)", "Kafka connected (1 = yes)"),
                ),
                "Events kept on the receiver's disk while Kafka does not take them.",
            ),
            Panel(
                "Oldest spooled event and duplicates",
                "short",
                (
                    Query("max(vocals_receiver_spool_oldest_age_seconds)", "oldest spooled event (s)"),
                    Query(rate("vocals_receiver_duplicates_suppressed_total"), "duplicates suppressed per second"),
                ),
            ),
        ),
    ),
    (
        "Consumers",
        (
            Panel(
                "Consumer lag per service",
                "short",
                per_consumer("consumer_lag_messages", "topic", "{{topic}}", gauge=True),
            ),
            Panel("Dead letters per second", "short", per_consumer("dead_letters_total", "topic", "{{topic}}")),
            Panel("Messages handled by outcome", "short", per_consumer("messages_total", "outcome", "{{outcome}}")),
            Panel("Handler retries by reason", "short", per_consumer("handler_retries_total", "reason", "{{reason}}")),
        ),
    ),
    (
        "Archiver",
        (
            Panel(
                "Files archived per second",
                "short",
                (Query(rate("vocals_archiver_downloads_total", "kind", 'outcome="stored"'), "{{kind}}"),),
            ),
            Panel(
                "Bytes archived per second",
                "Bps",
                (Query(rate("vocals_archiver_download_size_bytes_sum", "kind"), "{{kind}}"),),
            ),
            Panel(
                "Download failures by reason",
                "short",
                (
                    Query(rate("vocals_archiver_permanent_failures_total", "reason"), "permanent {{reason}}"),
                    Query(rate("vocals_archiver_download_retries_total", "reason"), "retried {{reason}}"),
                ),
                "permanent gone: the provider's link expired before the archiver fetched it.",
            ),
            Panel(
                "Archive lag (callback received to track stored)", "s", quantiles("vocals_archiver_archive_lag_seconds")
            ),
            Panel(
                "Events published to vocals.archived",
                "short",
                (Query(rate("vocals_archiver_events_published_total", "event_type"), "{{event_type}}"),),
            ),
            Panel("Download duration", "s", quantiles("vocals_archiver_download_duration_seconds", "kind", "{{kind}}")),
        ),
    ),
    (
        "Reconciler (optional: polls the provider for tasks whose callbacks do not come)",
        (
            Panel(
                "Open tasks watched",
                "short",
                (Query("sum(vocals_reconciler_watched_tasks)", "watched"),),
                "Tasks seen (submitted or called back) that are not final yet.",
            ),
            Panel(
                "Polls by outcome",
                "short",
                (Query(rate("vocals_reconciler_polls_total", "outcome"), "{{outcome}}"),),
                "refused: API key, credits or rate limit; unreachable: the provider is down.",
            ),
            Panel(
                "Facts learnt by polling",
                "short",
                (
                    Query(rate("vocals_reconciler_published_total", "stage"), "{{stage}}"),
                    Query(rate("vocals_reconciler_gave_up_total"), "gave up"),
                ),
            ),
            Panel("Poll duration", "s", quantiles("vocals_reconciler_poll_duration_seconds")),
        ),
    ),
    (
        "Notifier",
        (
            Panel(
                "Notifications by channel and outcome",
                "short",
                (Query(rate("vocals_notifier_channel_messages_total", "channel, outcome"), "{{channel}} {{outcome}}"),),
            ),
            Panel(
                "Notification lag (callback received to notice accepted)",
                "s",
                quantiles("vocals_notifier_notification_lag_seconds", "channel", "{{channel}}"),
            ),
            Panel("Send duration", "s", quantiles("vocals_notifier_send_duration_seconds", "channel", "{{channel}}")),
            Panel(
                "Send retries by channel and reason",
                "short",
                (Query(rate("vocals_notifier_retries_total", "channel, reason"), "{{channel}} {{reason}}"),),
            ),
        ),
    ),
)
