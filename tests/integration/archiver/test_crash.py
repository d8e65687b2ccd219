"""`python -m services.archiver` as a real process: SIGKILL mid-batch, and two instances in one group."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections import Counter
from pathlib import Path

import httpx

from devtools.kafka import create_topics
from schemas import topics
from schemas.codec import decode_archived, decode_callback
from schemas.events import CallbackReceived, TaskArchived, TrackArchived
from services.archiver.database import open_repository
from services.archiver.repository import SqlRepository
from tests.fixtures.fileserver import FileServer
from tests.fixtures.kafka import TopicFactory, consume_all
from tests.fixtures.postgres import PostgresServer
from tests.integration.archiver.support import Links, complete_event, eventually, produce

REPO = Path(__file__).parents[3]
TASKS = 12


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ArchiverProcess:
    """One `python -m services.archiver` with its own read-API port and log file."""

    def __init__(self, environ: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        env = os.environ | environ | {"VOCALS_HTTP_PORT": str(self.port), "VOCALS_LOG_FORMAT": "json"}
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.archiver"], cwd=REPO, env=env, stdout=out, stderr=out
            )

    async def ready(self) -> None:
        """Poll /readyz until the consumer owns partitions (or the process died)."""
        async with httpx.AsyncClient(timeout=2) as client:

            async def status() -> int:
                if self.process.poll() is not None:
                    raise AssertionError(f"archiver exited {self.process.returncode}: {self.log.read_text()[-3000:]}")
                try:
                    return (await client.get(f"http://127.0.0.1:{self.port}/readyz")).status_code
                except httpx.TransportError:
                    return 0

            await eventually(status, lambda code: code == 200, f"archiver on :{self.port} ready")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(10) == -signal.SIGKILL

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


async def environ_for(
    bootstrap: str, new_topic: TopicFactory, database_url: str, archive: Path, partitions: int
) -> dict[str, str]:
    await create_topics(bootstrap, {topics.DLQ: topics.TOPIC_PARTITIONS[topics.DLQ]})
    return {
        "VOCALS_KAFKA_BOOTSTRAP": bootstrap,
        "VOCALS_CALLBACKS_TOPIC": await new_topic("callbacks", partitions),
        "VOCALS_ARCHIVED_TOPIC": await new_topic("archived", 3),
        "VOCALS_CONSUMER_GROUP": f"archiver-{uuid.uuid4().hex[:12]}",
        "VOCALS_DATABASE_URL": database_url,
        "VOCALS_ARCHIVE_URL": f"file://{archive}",
        "VOCALS_ALLOWED_HOSTS": "127.0.0.1",
        "VOCALS_DOWNLOAD_RETRY_INITIAL_S": "0.05",
        "VOCALS_MAX_CONCURRENCY": "6",
    }


def batch(file_server: FileServer, gate: threading.Event, released: int) -> tuple[Links, list[CallbackReceived]]:
    """TASKS complete callbacks of two tracks; every audio file after the first `released` tasks is held."""
    free, held = Links(file_server), Links(file_server, hold=gate)
    events = [complete_event(free if n < released else held, seconds=2.0) for n in range(TASKS)]
    return held, events


async def all_archived(database_url: str, events: list[CallbackReceived]) -> SqlRepository:
    async with open_repository(database_url) as repository:

        async def statuses() -> list[str]:
            return [t.status for e in events for t in await repository.tracks_of(e.task_id)]

        await eventually(statuses, lambda s: s == ["archived"] * 2 * len(events), "every track archived", 90)
        return repository


async def assert_exactly_once(
    bootstrap: str, environ: dict[str, str], database_url: str, archive: Path, events: list[CallbackReceived]
) -> None:
    """One row per track, one object per file, one distinct archived event id per track and per task."""
    async with open_repository(database_url) as repository:
        rows = [t for e in events for t in await repository.tracks_of(e.task_id)]
        assert len(rows) == 2 * len(events) == len({t.track_id for t in rows})
        for event in events:
            assert [h.event_id for h in await repository.history_of(event.task_id)] == [event.event_id]
    stored = sorted(str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file() and "#" not in p.name)
    expected = sorted(f"{t.task_id}/{t.track_id}.{ext}" for t in rows for ext in ("mp3", "jpeg", "json"))
    assert stored == expected
    for row in rows:
        assert row.audio is not None
        assert (archive / row.audio.key).stat().st_size == row.audio.bytes
    records = await consume_all(bootstrap, environ["VOCALS_ARCHIVED_TOPIC"], 3 * len(events))
    published = [decode_archived(r.value) for r in records]
    track_ids = Counter(e.track_id for e in {e.event_id: e for e in published}.values() if isinstance(e, TrackArchived))
    task_ids = Counter(e.task_id for e in {e.event_id: e for e in published}.values() if isinstance(e, TaskArchived))
    assert track_ids == Counter({t.track_id: 1 for t in rows})
    assert task_ids == Counter({e.task_id: 1 for e in events})


async def test_sigkill_mid_batch_then_restart_archives_everything_exactly_once(
    kafka_bootstrap: str, new_topic: TopicFactory, tmp_path: Path, file_server: FileServer
) -> None:
    """Killed with SIGKILL while 8 of 12 tasks' downloads hang, a restarted archiver finishes the batch:
    every track has one row, one set of objects and one archived event id; nothing is missing."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'archiver.sqlite3'}"
    archive = tmp_path / "archive"
    environ = await environ_for(kafka_bootstrap, new_topic, database_url, archive, partitions=3)
    gate = threading.Event()
    held, events = batch(file_server, gate, released=4)
    first = ArchiverProcess(environ, tmp_path / "archiver.log")
    try:
        await first.ready()
        await produce(kafka_bootstrap, environ["VOCALS_CALLBACKS_TOPIC"], events)
        free_files = [u for e in events[:4] for t in e.tracks for u in (t.audio_url, t.image_url)]
        await eventually(
            lambda: asyncio.sleep(0, [file_server.served(u) for u in free_files]),
            lambda counts: min(counts) >= 1,
            "the first four tasks' files served",
        )
        await eventually(
            lambda: asyncio.sleep(0, sum(file_server.hits(u) for u in held.served.values())),
            lambda hits: hits >= 2,
            "held downloads in flight",
        )
        first.kill()
    finally:
        first.stop()
    gate.set()
    second = ArchiverProcess(environ, tmp_path / "archiver.log")
    try:
        await second.ready()
        await all_archived(database_url, events)
        await assert_exactly_once(kafka_bootstrap, environ, database_url, archive, events)
    finally:
        assert second.stop() == 0, (tmp_path / "archiver.log").read_text()[-3000:]
    assert all(file_server.served(u) <= 2 for e in events for t in e.tracks for u in (t.audio_url, t.image_url))


def handled_partitions(log: Path, topic: str) -> dict[str, int]:
    """task_id -> partition of every callback the process's canonical log line says it handled."""
    handled = {}
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "callback handled" and entry.get("topic") == topic:
                handled[entry["task_id"]] = entry["partition"]
    return handled


async def test_two_instances_share_the_group_and_one_takes_over_from_the_other(
    kafka_bootstrap: str,
    new_topic: TopicFactory,
    tmp_path: Path,
    file_server: FileServer,
    postgres_server: PostgresServer,
) -> None:
    """Two archivers on PostgreSQL split the partitions of a first batch; with a second batch hanging, one
    is SIGKILLed and the other takes its partitions over: nothing is lost or archived twice."""
    database_url = postgres_server.create_database()
    archive = tmp_path / "archive"
    environ = await environ_for(kafka_bootstrap, new_topic, database_url, archive, partitions=6)
    topic = environ["VOCALS_CALLBACKS_TOPIC"]
    gate = threading.Event()
    _, warmup = batch(file_server, gate, released=TASKS)
    _held, events = batch(file_server, gate, released=0)
    one, two = ArchiverProcess(environ, tmp_path / "one.log"), ArchiverProcess(environ, tmp_path / "two.log")
    try:
        await asyncio.gather(one.ready(), two.ready())
        await produce(kafka_bootstrap, topic, warmup)
        await all_archived(database_url, warmup)
        await eventually(
            lambda: asyncio.sleep(0, handled_partitions(one.log, topic) | handled_partitions(two.log, topic)),
            lambda handled: len(handled) == TASKS,
            "the first batch's canonical log lines",
        )
        owned_by_one = set(handled_partitions(one.log, topic).values())
        owned_by_two = set(handled_partitions(two.log, topic).values())
        assert owned_by_one
        assert owned_by_two
        assert not owned_by_one & owned_by_two
        await produce(kafka_bootstrap, topic, events)
        records = await consume_all(kafka_bootstrap, topic, 2 * TASKS)
        partition_of = {decode_callback(r.value).task_id: r.partition for r in records}
        ones = [e.tracks[0].audio_url for e in events if partition_of[e.task_id] in owned_by_one]
        await eventually(
            lambda: asyncio.sleep(0, sum(file_server.hits(u) for u in ones if u)),
            lambda hits: hits >= 1,
            "the first instance downloading",
        )
        one.kill()
        gate.set()
        await all_archived(database_url, events)
        await assert_exactly_once(kafka_bootstrap, environ, database_url, archive, [*warmup, *events])
        taken_over = {t for t, p in handled_partitions(two.log, topic).items() if p in owned_by_one}
        assert taken_over >= {e.task_id for e in events if partition_of[e.task_id] in owned_by_one}
    finally:
        one.stop()
        assert two.stop() == 0, (tmp_path / "two.log").read_text()[-3000:]
