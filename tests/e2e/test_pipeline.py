"""The whole pipeline on a bad day: stand-in -> receiver -> Kafka -> archiver + notifier, with the reconciler.

Nine tasks through the provider stand-in: plain, duplicated, reordered, skipped stages, two called-back
failures, a SENSITIVE_WORD_ERROR that is never called back, and two tasks submitted while the receiver is
down for longer than the provider's retries. Every task must end in its right final state, every track be
archived (and downloaded) exactly once, every notice be sent once per channel, the lost ones be recovered
by polling, and every service's metrics agree with what happened.
"""

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from schemas.codec import decode_archived, decode_callback
from schemas.events import CallbackReceived, Origin, TaskArchived, TrackArchived
from schemas.topics import ARCHIVED, CALLBACKS
from services.archiver.app import Archiver
from services.archiver.records import TaskRecord
from services.cli.announce import announce, submitted_event
from services.cli.settings import CliSettings
from services.plumbing.settings import load
from services.provider_client import AddVocalsRequest, ProviderClient
from tests.fixtures.kafka import consume_all
from tests.fixtures.slack import WEBHOOK, FakeSlack
from tests.fixtures.smtp import SmtpServer
from tests.integration.archiver.support import archiver_settings, running_archiver
from tests.integration.notifier.running import notifier_environ, running_notifier, wait_until_all_committed
from tests.integration.provider_standin.running import (
    API_KEY,
    Receiver,
    Standin,
    new_prefix,
    reconciler_environ,
    running_receiver,
    running_reconciler,
    running_standin,
    sample_sum,
    wait_for,
)

CALLED_BACK = {
    "plain": "",
    "duplicated": "duplicate=2",
    "reordered": "reorder",
    "skipped": "skip=text+first time=string",
    "no_credits": "fail=429 fail-type=error fail-data=null",
    "refunded": "fail=531 time=iso",
    "sensitive": "fail=sensitive fail-at=first skip=failed",
}
DURING_OUTAGE = {"lost": "", "lost_reordered": "reorder"}
FAILED = {"no_credits": 429, "refunded": 531, "sensitive": 400}
RECOVERED = {"sensitive", "lost", "lost_reordered"}
LABELS = {"First track ready": "first", "Complete": "complete", "Failed": "failed", "Archived": "archived"}


@dataclass
class Pipeline:
    standin: Standin
    receiver: Receiver
    archiver: Archiver
    notifier: CollectorRegistry
    reconciler: CollectorRegistry
    prefix: str
    bootstrap: str


async def submit(pipeline: Pipeline, scenarios: dict[str, str]) -> dict[str, str]:
    """Submit each task like `vocals submit` does (task + vocals.submitted); name -> task id."""
    cli = load(
        CliSettings, {"VOCALS_KAFKA_BOOTSTRAP": pipeline.bootstrap, "VOCALS_KAFKA_TOPIC_PREFIX": pipeline.prefix}
    )
    ids = {}
    async with ProviderClient(pipeline.standin.url, API_KEY) as client:
        for name, scenario in scenarios.items():
            request = AddVocalsRequest(
                upload_url=pipeline.standin.upload_url(),
                prompt="[Verse]\nNeon rain on an empty street\n[Chorus]\nSing it back to me",
                title=f"E2E {name}",
                style="synthwave",
                negative_tags="",
                call_back_url=pipeline.receiver.callback_url,
            )
            ids[name] = await client.submit(request, headers={"X-Standin-Scenario": scenario})
            await announce(cli, submitted_event(ids[name], title=request.title, model=request.model))
    return ids


async def all_final(archiver: Archiver, ids: dict[str, str]) -> bool:
    """Every task final in the archiver's database and, if it succeeded, both its tracks archived."""
    for name, task_id in ids.items():
        task = await archiver.repository.task(task_id)
        if task is None or task.status not in ("complete", "failed"):
            return False
        tracks = await archiver.repository.tracks_of(task_id)
        if name not in FAILED and [t.status for t in tracks] != ["archived", "archived"]:
            return False
    return True


def notices(slack: FakeSlack, smtp: SmtpServer, ids: dict[str, str]) -> Counter[tuple[str, str, str]]:
    """(task name, stage, channel) -> how many notices were accepted."""
    by_id = {task_id: name for name, task_id in ids.items()}
    found: Counter[tuple[str, str, str]] = Counter()
    texts = [("slack", str(r.body)) for r in slack.accepted(WEBHOOK)]
    texts += [
        ("email", f"{m.message['subject']}\n{m.message.get_body(('plain',)).get_content()}") for m in smtp.received
    ]
    for channel, text in texts:
        label = re.search(r"(First track ready|Complete|Failed|Archived): ", text)
        [task_id] = {t for t in by_id if t in text}
        found[(by_id[task_id], LABELS[label.group(1)] if label else "?", channel)] += 1
    return found


async def test_a_bad_day_end_to_end(
    tmp_path: Path, kafka_bootstrap: str, slack: FakeSlack, smtp_server: SmtpServer
) -> None:
    """Every task reaches its right final state, once, everywhere, and the metrics say the same."""
    prefix = await new_prefix(kafka_bootstrap)
    database = f"sqlite+aiosqlite:///{tmp_path / 'vocals.sqlite3'}"
    archiver_config = archiver_settings(
        database_url=database, archive_dir=tmp_path / "archive", kafka_bootstrap=kafka_bootstrap,
        kafka_topic_prefix=prefix, consumer_group=f"archiver-{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    notifier_config = notifier_environ(
        bootstrap=kafka_bootstrap, prefix=prefix, database_url=database, slack=slack, smtp=smtp_server
    )
    async with (
        running_standin() as standin,
        running_receiver(tmp_path, kafka_bootstrap, prefix) as receiver,
        running_archiver(archiver_config) as archiver,
        running_notifier(notifier_config) as notifier,
        running_reconciler(
            reconciler_environ(
                bootstrap=kafka_bootstrap,
                prefix=prefix,
                database_url=database,
                standin=standin,
                poll_after_seconds="5",
            )
        ) as reconciler,
    ):
        pipeline = Pipeline(
            standin, receiver, archiver, notifier.registry, reconciler.registry, prefix, kafka_bootstrap
        )
        ids = await submit(pipeline, CALLED_BACK)
        await standin.runner.idle()
        await receiver.stop()
        ids |= await submit(pipeline, DURING_OUTAGE)
        await standin.runner.idle()
        await receiver.start()
        await wait_for(lambda: all_final(archiver, ids), "every task final and archived", timeout=90)

        async def announced() -> bool:
            sent = notices(slack, smtp_server, ids)
            return all(sent[(n, "failed" if n in FAILED else "complete", c)] for n in ids for c in ("slack", "email"))

        await wait_for(announced, "every final stage announced on both channels", timeout=60)
        await wait_until_all_committed(
            kafka_bootstrap, notifier_config["VOCALS_CONSUMER_GROUP"], [prefix + CALLBACKS, prefix + ARCHIVED]
        )
        tasks = {name: await archiver.repository.task(task_id) for name, task_id in ids.items()}
        dropped = {name: await standin.attempts(ids[name], "complete") for name in DURING_OUTAGE}
        sent = notices(slack, smtp_server, ids)
        standin_metrics = standin.served.app.state.registry if standin.served.app else None
    assert standin_metrics is not None
    callbacks = [decode_callback(r.value) for r in await consume_all(kafka_bootstrap, prefix + CALLBACKS, 1)]
    archived = [decode_archived(r.value) for r in await consume_all(kafka_bootstrap, prefix + ARCHIVED, 1)]
    assert_final_states(tasks, ids)
    assert_recovered_by_polling(callbacks, ids, dropped)
    assert_archived_once(archived, ids, standin_metrics)
    assert_notified_once(sent, ids)
    assert_metrics_agree(pipeline, callbacks, archived, sent, standin_metrics)


def assert_final_states(tasks: dict[str, TaskRecord | None], ids: dict[str, str]) -> None:
    for name in ids:
        task = tasks[name]
        assert task is not None
        expected = ("failed", FAILED[name]) if name in FAILED else ("complete", 200)
        assert (task.status, task.code) == expected, name


def assert_recovered_by_polling(
    callbacks: list[CallbackReceived], ids: dict[str, str], dropped: dict[str, list[str]]
) -> None:
    by_id = {task_id: name for name, task_id in ids.items()}
    polled = {by_id[e.task_id] for e in callbacks if e.origin == Origin.POLL}
    assert polled == RECOVERED
    assert dropped == {name: ["unreachable"] * 4 for name in DURING_OUTAGE}
    assert not {by_id[e.task_id] for e in callbacks if e.origin == Origin.CALLBACK} & set(DURING_OUTAGE)


def assert_archived_once(archived: list[object], ids: dict[str, str], standin_metrics: CollectorRegistry) -> None:
    succeeded = {ids[name] for name in ids if name not in FAILED}
    tracks = Counter(e.track_id for e in archived if isinstance(e, TrackArchived))
    task_events = Counter(e.task_id for e in archived if isinstance(e, TaskArchived))
    assert len(tracks) == 2 * len(succeeded)
    assert set(tracks.values()) == {1}
    assert task_events == Counter(succeeded)
    assert sample_sum(standin_metrics, "vocals_standin_file_requests_total", kind="audio", status="200") == len(tracks)


def assert_notified_once(sent: Counter[tuple[str, str, str]], ids: dict[str, str]) -> None:
    assert max(sent.values()) == 1, [key for key, count in sent.items() if count > 1]
    for name in ids:
        final, other = ("failed", "complete") if name in FAILED else ("complete", "failed")
        assert (sent[(name, final, "slack")], sent[(name, final, "email")]) == (1, 1), name
        assert sent[(name, other, "slack")] + sent[(name, other, "email")] == 0, name


def assert_metrics_agree(
    pipeline: Pipeline,
    callbacks: list[CallbackReceived],
    archived: list[object],
    sent: Counter[tuple[str, str, str]],
    standin: CollectorRegistry,
) -> None:
    receiver, called_back = pipeline.receiver, [e for e in callbacks if e.origin == Origin.CALLBACK]
    published = receiver.metric("vocals_receiver_callbacks_total", outcome="published")
    published += receiver.metric("vocals_receiver_callbacks_total", outcome="spooled")
    assert published == len(called_back)
    assert receiver.metric("vocals_receiver_duplicates_suppressed_total") == 2 * 3
    delivered = sample_sum(standin, "vocals_standin_callback_attempts_total", outcome="delivered")
    assert delivered == published + receiver.metric("vocals_receiver_duplicates_suppressed_total")
    assert sample_sum(standin, "vocals_standin_callbacks_dropped_total") == 3 + 3
    assert sample_sum(pipeline.reconciler, "vocals_reconciler_published_total") == len(callbacks) - len(called_back)
    archiver = pipeline.archiver.registry
    tracks = sum(isinstance(e, TrackArchived) for e in archived)
    assert sample_sum(archiver, "vocals_archiver_events_published_total", event_type="track.archived") == tracks
    assert sample_sum(archiver, "vocals_archiver_downloads_total", kind="audio", outcome="stored") == tracks
    for channel, name in (("slack", "slack_webhook"), ("email", "email")):
        count = sum(n for key, n in sent.items() if key[2] == channel)
        assert (
            sample_sum(pipeline.notifier, "vocals_notifier_channel_messages_total", channel=name, outcome="sent")
            == count
        )
