"""The notifier end to end against the real broker, a local Slack and a real SMTP server."""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from prometheus_client import generate_latest

from devtools.kafka import create_topics
from schemas import dlq, topics
from schemas.events import CallbackReceived
from services.plumbing.kafka import header
from tests.fixtures.slack import WEBHOOK, FakeSlack, Reply
from tests.fixtures.smtp import SmtpServer, free_port
from tests.integration.notifier.running import (
    PARTITIONS,
    WAIT_S,
    new_topics,
    notifier_environ,
    publish,
    running_notifier,
    wait_until_all_committed,
)
from tests.unit.notifier.fakes import callback, task_archived, track_archived

IN_ORDER = [
    "text",
    "first",
    "complete",
    "complete-string-time",
    "error-null-data",
    "failed-credits",
    "failed-unknown-code",
]
SLACK_HEADERS = {
    ":headphones: First track ready: Neon Rain",
    ":white_check_mark: Complete: Neon Rain",
    ":white_check_mark: Complete: Hush",
    ":x: Failed: task deadbeef0123456789abcdef01234567",
    ":x: Failed: task c0ffee0123456789abcdef0123456789",
    ":x: Failed: task facade0123456789abcdef0123456789",
}
EMAIL_SUBJECTS = {
    "[vocals] Complete: Neon Rain",
    "[vocals] Complete: Hush",
    "[vocals] Failed: task deadbeef0123456789abcdef01234567 (code 400)",
    "[vocals] Failed: task c0ffee0123456789abcdef0123456789 (code 429)",
    "[vocals] Failed: task facade0123456789abcdef0123456789 (code 531)",
}


def slack_headers(slack: FakeSlack) -> Counter[str]:
    return Counter(request.body["blocks"][0]["text"]["text"] for request in slack.accepted(WEBHOOK))


async def test_every_payload_is_announced_once_per_channel_despite_duplicates_and_redelivery(
    kafka_bootstrap: str, slack: FakeSlack, smtp_server: SmtpServer, database_url: str
) -> None:
    """Each sample published twice, then the topic re-read by a new group: every expected message, once."""
    prefix, callbacks, archived = await new_topics(kafka_bootstrap)
    events = [callback(name) for name in IN_ORDER]
    await publish(kafka_bootstrap, callbacks, [event for event in events for _ in range(2)])
    environ = notifier_environ(
        bootstrap=kafka_bootstrap, prefix=prefix, database_url=database_url,
        slack=slack, smtp=smtp_server,
    )  # fmt: skip

    async with running_notifier(environ) as service:
        await wait_until_all_committed(kafka_bootstrap, environ["VOCALS_CONSUMER_GROUP"], [callbacks, archived])
        metrics = generate_latest(service.registry).decode()
    redelivery = environ | {"VOCALS_CONSUMER_GROUP": environ["VOCALS_CONSUMER_GROUP"] + "-again"}
    async with running_notifier(redelivery):
        await wait_until_all_committed(kafka_bootstrap, redelivery["VOCALS_CONSUMER_GROUP"], [callbacks, archived])

    assert slack_headers(slack) == Counter(SLACK_HEADERS)
    assert Counter(received.message["Subject"] for received in smtp_server.received) == Counter(EMAIL_SUBJECTS)
    assert 'vocals_notifier_channel_messages_total{channel="slack_webhook",outcome="sent"} 6.0' in metrics
    assert 'vocals_notifier_channel_messages_total{channel="email",outcome="duplicate"} 5.0' in metrics
    assert 'vocals_notifier_notification_lag_seconds_count{channel="email"} 5.0' in metrics
    promtool_check(metrics)


async def test_a_refused_message_goes_to_the_dlq_with_its_reason(
    kafka_bootstrap: str, slack: FakeSlack, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Slack answering channel_not_found parks the event on vocals.dlq with that reason; email still goes out."""
    prefix, callbacks, _archived = await new_topics(kafka_bootstrap)
    await create_topics(kafka_bootstrap, {prefix + topics.DLQ: topics.TOPIC_PARTITIONS[topics.DLQ]})
    slack.script(WEBHOOK, Reply(404, "channel_not_found"))
    environ = notifier_environ(
        bootstrap=kafka_bootstrap, prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifier.sqlite3'}", slack=slack, smtp=smtp_server,
    )  # fmt: skip
    group = environ["VOCALS_CONSUMER_GROUP"]

    async with running_notifier(environ):
        await publish(kafka_bootstrap, callbacks, [callback("failed-credits")])
        await wait_until_all_committed(kafka_bootstrap, group, [callbacks])

    [parked] = await dead_letters_of(kafka_bootstrap, prefix + topics.DLQ, group)
    assert header(parked.headers, dlq.REASON).startswith(  # type: ignore[union-attr]
        "Slack webhook refused the message: HTTP 404 channel_not_found"
    )
    assert parked.key == b"c0ffee0123456789abcdef0123456789"
    assert [received.message["Subject"] for received in smtp_server.received] == [
        "[vocals] Failed: task c0ffee0123456789abcdef0123456789 (code 429)"
    ]


async def test_the_archive_adds_durable_links_after_complete(
    kafka_bootstrap: str, slack: FakeSlack, tmp_path: Path
) -> None:
    """complete is announced at once; TrackArchived and TaskArchived then bring one `archived` follow-up."""
    prefix, callbacks, archived = await new_topics(kafka_bootstrap)
    complete = callback("complete")
    ops_port = free_port()
    environ = notifier_environ(
        bootstrap=kafka_bootstrap, prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifier.sqlite3'}", slack=slack, http_port=ops_port,
    )  # fmt: skip

    async with running_notifier(environ):
        await publish(kafka_bootstrap, callbacks, [complete])
        await asyncio.to_thread(slack.wait_for_accepted, 1, WEBHOOK)
        follow_ups = [track_archived(complete, 0), track_archived(complete, 1), task_archived(complete)]
        await publish(kafka_bootstrap, archived, [*follow_ups, task_archived(complete)])
        await asyncio.to_thread(slack.wait_for_accepted, 2, WEBHOOK)
        await wait_until_all_committed(kafka_bootstrap, environ["VOCALS_CONSUMER_GROUP"], [callbacks, archived])
        ready = await ops_get(ops_port, "/readyz")

    first, follow_up = slack.accepted(WEBHOOK)
    assert first.body["blocks"][0]["text"]["text"] == ":white_check_mark: Complete: Neon Rain"
    assert follow_up.body["blocks"][0]["text"]["text"] == ":file_cabinet: Archived: Neon Rain"
    assert follow_up.body["blocks"][-1]["text"]["text"] == (
        f"<http://archive.test/tasks/{complete.task_id}|Open the task in the archive>"
    )
    assert ready == (200, {"status": "ready", "channels": ["slack_webhook"]})


async def test_a_burst_of_tasks_is_grouped_into_digests(kafka_bootstrap: str, slack: FakeSlack, tmp_path: Path) -> None:
    """Ten failures at once through a 1 msg/s webhook: fewer messages than tasks, every task in exactly one."""
    prefix, callbacks, _archived = await new_topics(kafka_bootstrap)
    tasks = [f"burst{i:02d}{'0' * 24}" for i in range(10)]
    events = [callback("failed-credits", task_id=task, event_id=f"event-{task}") for task in tasks]
    environ = notifier_environ(
        bootstrap=kafka_bootstrap, prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifier.sqlite3'}", slack=slack,
        slack_min_interval_seconds=1, slack_digest_threshold=3, max_concurrency=10,
    )  # fmt: skip

    async with running_notifier(environ):
        await publish(kafka_bootstrap, callbacks, events)
        await wait_until_all_committed(kafka_bootstrap, environ["VOCALS_CONSUMER_GROUP"], [callbacks])

    messages = slack.accepted(WEBHOOK)
    mentioned = Counter(task for message in messages for task in tasks if task in str(message.body["blocks"]))
    assert mentioned == Counter(tasks)
    assert len(messages) < len(tasks)
    assert all(b.at - a.at >= 0.95 for a, b in itertools.pairwise(messages))


async def test_sigkill_after_the_send_was_recorded_sends_no_second_message(
    kafka_bootstrap: str, slack: FakeSlack, tmp_path: Path
) -> None:
    """`python -m services.notifier` killed after recording a send but before committing: no second message."""
    prefix, callbacks, _archived = await new_topics(kafka_bootstrap)
    event = callback("complete")
    await publish(kafka_bootstrap, callbacks, [event])
    database = tmp_path / "notifier.sqlite3"
    environ = notifier_environ(
        bootstrap=kafka_bootstrap, prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{database}", slack=slack, commit_interval_seconds=600, log_format="json",
    )  # fmt: skip
    group = environ["VOCALS_CONSUMER_GROUP"]

    first = start_process(environ, tmp_path / "first.log")
    try:
        await asyncio.to_thread(slack.wait_for_accepted, 1, WEBHOOK)
        await wait_for_sent_row(database, event)
    finally:
        first.kill()  # SIGKILL: no graceful stop, no commit
        first.wait(WAIT_S)
    assert await committed_offsets(kafka_bootstrap, group, callbacks) == [None] * PARTITIONS

    second = start_process(environ | {"VOCALS_COMMIT_INTERVAL_SECONDS": "0.2"}, tmp_path / "second.log")
    try:
        await wait_until_all_committed(kafka_bootstrap, group, [callbacks])
    finally:
        second.terminate()
        assert second.wait(WAIT_S) == 0

    assert len(slack.accepted(WEBHOOK)) == 1
    assert '"outcome": "duplicate"' in (tmp_path / "second.log").read_text()


def promtool_check(metrics: str) -> None:
    """`promtool check metrics` finds nothing to complain about (names, units, help texts)."""
    lint = subprocess.run(["promtool", "check", "metrics"], input=metrics.encode(), capture_output=True, check=False)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()


def start_process(environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The notifier as production runs it, with only `environ`'s VOCALS_* settings (no inherited ones)."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("VOCALS_")}
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "services.notifier"],
            cwd=Path(__file__).parents[3], env=inherited | environ, stdout=output, stderr=output,
        )  # fmt: skip


async def wait_for_sent_row(database: Path, event: CallbackReceived) -> None:
    """Bounded poll of the notifier's own database until the send of `event` is recorded."""
    deadline = time.monotonic() + WAIT_S
    query = "SELECT channel FROM notifier_sent WHERE event_id = ?"
    while True:
        try:
            with sqlite3.connect(database) as conn:
                if conn.execute(query, (event.event_id,)).fetchall() == [("slack_webhook",)]:
                    return
        except sqlite3.OperationalError:
            pass  # the notifier has not created its tables yet
        if time.monotonic() > deadline:
            raise AssertionError(f"no notifier_sent row for {event.event_id} within {WAIT_S} s")
        await asyncio.sleep(0.02)


async def committed_offsets(bootstrap: str, group: str, topic: str) -> list[int | None]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return [await consumer.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)]
    finally:
        await consumer.stop()


async def dead_letters_of(bootstrap: str, topic: str, group: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Records on the dead-letter `topic` parked by `group`."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + WAIT_S
        found: list[ConsumerRecord[bytes, bytes]] = []
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            found += [r for batch in batches.values() for r in batch if header(r.headers, dlq.SERVICE) == group]
        return found
    finally:
        await consumer.stop()


async def ops_get(port: int, path: str) -> tuple[int, object]:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"http://127.0.0.1:{port}{path}")
    return response.status_code, response.json()
