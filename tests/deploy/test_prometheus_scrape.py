"""A real Prometheus scrapes the services started as `make dev` starts them, after real callbacks went through.

It proves that every dashboard query and alert expression names only metrics the running services export
(a renamed metric fails here), that each evaluates, that the panels about what was driven return data, and
that Prometheus loads and evaluates alerts.yml without an error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.kafka import LocalBroker, create_topics
from schemas import topics
from tests.deploy.promql import alert_expressions, dashboard_expressions, series_names, unknown_metrics
from tests.deploy.stack import Stack, eventually, free_port
from tests.fixtures.fileserver import FileServer
from tests.fixtures.media import COVER_JPEG, mp3_bytes

TOKEN = "prometheus-test-token-5b1d"
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
RATE_INTERVAL = "30s"
MUST_RETURN_DATA = (
    "vocals_receiver_callbacks_total",
    "vocals_receiver_rejections_total",
    "vocals_receiver_request_duration_seconds_bucket",
    "vocals_receiver_publish_duration_seconds_bucket",
    "vocals_receiver_spool_events",
    "vocals_archiver_consumer_lag_messages",
    "vocals_notifier_consumer_lag_messages",
    "vocals_archiver_downloads_total",
    "vocals_archiver_download_size_bytes_sum",
    "vocals_archiver_archive_lag_seconds_bucket",
    "vocals_archiver_permanent_failures_total",
    "vocals_archiver_dead_letters_total",
    "vocals_notifier_channel_messages_total",
    "vocals_notifier_notification_lag_seconds_bucket",
    "vocals_reconciler_watched_tasks",
    "vocals_reconciler_consumer_lag_messages",
)
"""Metrics the traffic below must have produced: panels and alerts built on them return series."""


@pytest.fixture
def stack(tmp_path: Path, kafka_broker: LocalBroker) -> Iterator[Stack]:
    running = Stack(tmp_path)
    try:
        yield running
    finally:
        running.stop()


async def start_services(stack: Stack, bootstrap: str) -> None:
    prefix = f"prom-{uuid.uuid4().hex[:8]}-"
    await create_topics(bootstrap, {f"{prefix}{topic}": count for topic, count in topics.TOPIC_PARTITIONS.items()})
    common = {"VOCALS_KAFKA_BOOTSTRAP": bootstrap, "VOCALS_KAFKA_TOPIC_PREFIX": prefix}
    work = stack.workdir
    port = free_port()
    stack.start_service(
        "receiver",
        port,
        {
            **common,
            "VOCALS_CALLBACK_TOKENS": TOKEN,
            "VOCALS_PORT": str(port),
            "VOCALS_SPOOL_PATH": str(work / "spool.db"),
        },
    )
    port = free_port()
    stack.start_service(
        "archiver",
        port,
        {
            **common,
            "VOCALS_HTTP_PORT": str(port),
            "VOCALS_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'archiver.sqlite3'}",
            "VOCALS_ARCHIVE_URL": f"file://{work / 'archive'}",
            "VOCALS_ALLOWED_HOSTS": "127.0.0.1",
            "VOCALS_CONSUMER_GROUP": f"{prefix}archiver",
        },
    )
    port = free_port()
    stack.start_service(
        "notifier",
        port,
        {
            **common,
            "VOCALS_HTTP_PORT": str(port),
            "VOCALS_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'notifier.sqlite3'}",
            "VOCALS_CONSUMER_GROUP": f"{prefix}notifier",
        },
    )
    port = free_port()
    stack.start_service(
        "reconciler",
        port,
        {
            **common,
            "VOCALS_RECONCILER_HTTP_PORT": str(port),
            "VOCALS_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'reconciler.sqlite3'}",
            "VOCALS_RECONCILER_GROUP": f"{prefix}reconciler",
            "VOCALS_PROVIDER_API_KEY": "not-used-tasks-are-polled-after-10-minutes",
            "VOCALS_PROVIDER_BASE_URL": "http://127.0.0.1:9",
        },
    )


def callback(name: str, task_id: str, files: FileServer, *, missing_audio: bool = False) -> bytes:
    """A sample payload for a fresh task whose links point at the local file server (or 404)."""
    body: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    body["data"]["task_id"] = task_id
    for track in body["data"]["data"] or []:
        track["id"] = f"{task_id}-{track['id'][:8]}"
        if track.get("audio_url"):
            audio = files.serve("a.mp3", status=404) if missing_audio else files.serve("a.mp3", body=mp3_bytes(2.0))
            track["audio_url"], track["duration"] = audio, 2.0
            track["source_audio_url"] = audio
        if track.get("image_url"):
            track["image_url"] = files.serve("c.jpeg", body=COVER_JPEG, content_type="image/jpeg")
    return json.dumps(body).encode()


def drive_callbacks(receiver: int, files: FileServer) -> None:
    """Stages of a task, a task whose audio link is gone, a 429 failure, a garbled body and a wrong token."""
    url = f"http://127.0.0.1:{receiver}/callbacks/vocals"
    task, gone = uuid.uuid4().hex, uuid.uuid4().hex
    bodies = [callback(name, task, files) for name in ("text", "first", "complete")]
    bodies += [
        callback("complete", gone, files, missing_audio=True),
        callback("failed-credits", uuid.uuid4().hex, files),
    ]
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=20) as client:
        for body in bodies:
            assert client.post(url, params={"token": TOKEN}, content=body, headers=headers).status_code == 200
        assert client.post(url, params={"token": TOKEN}, content=b'{"code": 200}', headers=headers).status_code == 400
        assert client.post(url, params={"token": "wrong"}, content=bodies[0], headers=headers).status_code == 401


def query(stack: Stack, expression: str) -> list[Any]:
    result: list[Any] = stack.api("query", query=expression.replace("$__rate_interval", RATE_INTERVAL))["result"]
    return result


def scraped(stack: Stack, metric: str) -> bool:
    return bool(query(stack, f"count({metric})"))


async def test_dashboard_and_alerts_query_only_what_the_running_services_export(
    stack: Stack, kafka_bootstrap: str, file_server: FileServer
) -> None:
    """Every panel query and alert expression names exported metrics, evaluates, and the driven ones have data."""
    await start_services(stack, kafka_bootstrap)
    stack.start_prometheus()
    drive_callbacks(stack.ports["receiver"], file_server)
    for metric in MUST_RETURN_DATA:
        eventually(lambda metric=metric: scraped(stack, metric), timeout=60, what=f"{metric} scraped")

    targets = stack.api("targets")["activeTargets"]
    assert sorted((t["labels"]["job"], t["health"]) for t in targets) == [
        ("vocals-archiver", "up"),
        ("vocals-notifier", "up"),
        ("vocals-receiver", "up"),
        ("vocals-reconciler", "up"),
    ]
    families = {name: entries[0]["type"] for name, entries in stack.api("metadata").items()}
    expressions = dashboard_expressions() + list(alert_expressions().values())
    assert unknown_metrics(expressions, series_names(families)) == {}
    for expression in expressions:
        query(stack, expression)  # a query Prometheus rejects fails here
    for expression in dashboard_expressions():
        if any(metric in expression for metric in MUST_RETURN_DATA):
            assert query(stack, expression), f"no data for {expression}"

    rules = [rule for group in stack.api("rules")["groups"] for rule in group["rules"]]
    assert sorted(rule["name"] for rule in rules) == sorted(alert_expressions())
    eventually(
        lambda: all(
            rule.get("lastEvaluation", "").startswith("2") for rule in stack.api("rules")["groups"][0]["rules"]
        ),
        timeout=10,
        what="rules evaluated",
    )
    assert [rule["name"] for rule in rules if rule["health"] == "err"] == []
