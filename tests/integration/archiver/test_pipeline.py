"""The archiver end to end on a real broker: callbacks in, files + rows stored, archived events out."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from asyncio.subprocess import PIPE, STDOUT
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiokafka import ConsumerRecord
from prometheus_client import generate_latest

from devtools.kafka import create_topics
from schemas import dlq, topics
from schemas.codec import decode_archived
from schemas.events import CallbackReceived, TaskArchived, TrackArchived
from services.archiver.app import Archiver
from services.archiver.settings import ArchiverSettings
from services.plumbing.kafka import header
from tests.fixtures.fileserver import FileServer
from tests.fixtures.kafka import TopicFactory, consume_all
from tests.fixtures.media import COVER_JPEG
from tests.integration.archiver.support import (
    Links,
    archiver_settings,
    complete_event,
    eventually,
    payload,
    produce,
    renamed,
    running_archiver,
)

IN_ORDER = [
    "text",
    "first",
    "complete",
    "complete-string-time",
    "error-null-data",
    "failed-credits",
    "failed-unknown-code",
]
THE_TASK = "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b"


async def settings_for(
    bootstrap: str, new_topic: TopicFactory, database_url: str, archive_dir: Path, **overrides: Any
) -> ArchiverSettings:
    await create_topics(bootstrap, {topics.DLQ: topics.TOPIC_PARTITIONS[topics.DLQ]})
    return archiver_settings(
        database_url=database_url,
        archive_dir=archive_dir,
        kafka_bootstrap=bootstrap,
        callbacks_topic=await new_topic("callbacks"),
        archived_topic=await new_topic("archived"),
        consumer_group=f"archiver-{uuid.uuid4().hex[:12]}",
        **overrides,
    )


def archived(records: list[ConsumerRecord[bytes, bytes]]) -> list[TrackArchived | TaskArchived]:
    return [decode_archived(record.value) for record in records]


async def archive_all(
    archiver: Archiver, settings: ArchiverSettings, events: list[CallbackReceived], expected_events: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Produce, then wait for the archived events and for every callback to be recorded."""
    await produce(settings.kafka_bootstrap, settings.callbacks_topic, events)
    records = await consume_all(settings.kafka_bootstrap, settings.archived_topic, expected_events)
    wanted = {e.event_id for e in events}

    async def recorded() -> set[str]:
        return {h.event_id for t in {e.task_id for e in events} for h in await archiver.repository.history_of(t)}

    await eventually(recorded, lambda ids: wanted <= ids, "every callback recorded")
    return records


async def test_every_payload_ends_in_the_right_rows_and_objects(
    kafka_bootstrap: str, new_topic: TopicFactory, database_url: str, tmp_path: Path, file_server: FileServer
) -> None:
    """All seven sample payloads: two tasks archived (4 tracks, files, events), three failures recorded."""
    settings = await settings_for(kafka_bootstrap, new_topic, database_url, tmp_path / "archive")
    links = Links(file_server)
    events = [links.rewrite(payload(name)) for name in IN_ORDER]
    async with running_archiver(settings) as archiver:
        records = await archive_all(archiver, settings, events, expected_events=6)
        repository = archiver.repository
        task = await repository.task(THE_TASK)
        assert task is not None
        assert (task.stage, task.status, task.code, task.archived_at is not None) == ("complete", "complete", 200, True)
        for failed_id, code in [
            ("deadbeef0123456789abcdef01234567", 400),
            ("c0ffee0123456789abcdef0123456789", 429),
            ("facade0123456789abcdef0123456789", 531),
        ]:
            failed = await repository.task(failed_id)
            assert failed is not None
            assert (failed.stage, failed.status, failed.code) == ("failed", "failed", code)
        tracks = [
            *await repository.tracks_of(THE_TASK),
            *await repository.tracks_of("a8d2e6f0b4c84a1e9f3d5b7c9e1a3c5d"),
        ]
        assert [t.status for t in tracks] == ["archived"] * 4
        for track in tracks:
            assert track.measured_duration == pytest.approx(track.reported_duration, abs=0.2)
            assert track.audio is not None
            assert track.cover is not None
            assert track.metadata is not None
            assert track.audio.key == f"{track.task_id}/{track.track_id}.mp3"
            assert track.cover.key == f"{track.task_id}/{track.track_id}.jpeg"
            assert (tmp_path / "archive" / track.audio.key).stat().st_size == track.audio.bytes
            assert (
                hashlib.sha256((tmp_path / "archive" / track.cover.key).read_bytes()).hexdigest() == track.cover.sha256
            )
            sidecar = msgspec.json.decode((tmp_path / "archive" / track.metadata.key).read_bytes())
            assert sidecar["track"]["id"] == track.track_id
        assert tracks[0].lyrics == [
            {"section": "Verse", "lines": ["Neon rain on an empty street"]},
            {"section": "Chorus", "lines": ["Sing it back to me"]},
        ]
        assert tracks[2].lyrics is None  # "Soft lullaby, hummed" has no section markers
        history = await repository.history_of(THE_TASK)
        assert [h.stage for h in history] == ["text", "first", "complete"]
    published = archived(records)
    assert sorted(type(e).__name__ for e in published) == ["TaskArchived"] * 2 + ["TrackArchived"] * 4
    for record, event in zip(records, published, strict=True):
        assert record.key == event.task_id.encode()
        assert header(record.headers, "ce_id") == event.event_id
        assert header(record.headers, "ce_source") == "/vocals/archiver"
        assert header(record.headers, "ce_type") == event.ce_type
    track_events = {e.track_id: e for e in published if isinstance(e, TrackArchived)}
    by_id = {t.track_id: t for t in tracks}
    for track_id, event in track_events.items():
        assert event.audio.sha256 == by_id[track_id].audio.sha256  # type: ignore[union-attr]
        assert event.audio.url == f"{settings.public_url}/tracks/{track_id}/audio"
        assert event.cover is not None
        assert event.cover.content_type == "image/jpeg"
    task_event = next(e for e in published if isinstance(e, TaskArchived) and e.task_id == THE_TASK)
    assert list(task_event.track_ids) == [t.track_id for t in tracks[:2]]
    assert all(
        file_server.served(url) == 1
        for url in links.served.values()
        if "a.mp3" in url or "c.jpeg" in url
        if file_server.hits(url)
    )
    first_audio = links.served["https://files.example.org/9b2f6c1e.mp3"]
    assert file_server.served(first_audio) == 1  # in `first` and in `complete`, downloaded once


async def test_a_late_audio_link_is_fetched_when_complete_brings_it(
    kafka_bootstrap: str, new_topic: TopicFactory, tmp_path: Path, file_server: FileServer
) -> None:
    """After `first`, track 2 (empty audio_url) is pending with no file; `complete` archives it and the task."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    settings = await settings_for(kafka_bootstrap, new_topic, database_url, tmp_path / "archive")
    links, ids = Links(file_server), dict[str, str]()
    first, complete = (renamed(links.rewrite(payload(name)), ids) for name in ("first", "complete"))
    async with running_archiver(settings) as archiver:
        await archive_all(archiver, settings, [first], expected_events=1)
        pending = await archiver.repository.track(first.tracks[1].id)
        assert pending is not None
        assert (pending.status, pending.audio, pending.stream_audio_url) == (
            "pending",
            None,
            "https://stream.example.org/0d4e8f2a",
        )
        records = await archive_all(archiver, settings, [complete], expected_events=3)
        done = await archiver.repository.track(first.tracks[1].id)
        assert done is not None
        assert done.status == "archived"
    assert [type(e).__name__ for e in archived(records)] == ["TrackArchived", "TrackArchived", "TaskArchived"]


def snapshot(tracks: list[Any], tasks: list[Any], history: list[Any]) -> dict[str, Any]:
    """The state that must not depend on delivery order: not *when* nor *by which callback* it was archived.

    The JSON sidecar describes the callback that archived the track, so only its key is compared.
    """
    unstable = {"archived_at", "published_at", "callback_event_id", "received_at", "archived_event_id"}
    track_rows = [msgspec.to_builtins(t) for t in tracks]
    for row in track_rows:
        row["metadata"] = row["metadata"]["key"]
    return {
        "tasks": [{k: v for k, v in msgspec.to_builtins(t).items() if k not in unstable} for t in tasks],
        "tracks": [{k: v for k, v in row.items() if k not in unstable} for row in track_rows],
        "history": [msgspec.to_builtins(h) for h in history],
    }


async def test_duplicates_and_reordering_change_nothing(
    kafka_bootstrap: str, new_topic: TopicFactory, tmp_path: Path, file_server: FileServer
) -> None:
    """The payloads shuffled and duplicated give the same rows, objects and archived event ids as in order."""
    shuffled = [
        "complete",
        "failed-credits",
        "complete",
        "first",
        "complete-string-time",
        "text",
        "first",
        "error-null-data",
        "complete-string-time",
        "failed-unknown-code",
        "text",
    ]
    results, links = [], Links(file_server)
    for run, order in enumerate([IN_ORDER, shuffled]):
        database_url = f"sqlite+aiosqlite:///{tmp_path / f'db{run}.sqlite3'}"
        settings = await settings_for(kafka_bootstrap, new_topic, database_url, tmp_path / f"archive{run}")
        events = [links.rewrite(payload(name)) for name in order]
        async with running_archiver(settings) as archiver:
            records = await archive_all(archiver, settings, events, expected_events=6)
            repo = archiver.repository
            task_ids = sorted({e.task_id for e in events})
            tasks = [await repo.task(t) for t in task_ids]
            tracks = [track for t in task_ids for track in await repo.tracks_of(t)]
            history = [h for t in task_ids for h in await repo.history_of(t)]
        objects = sorted(
            (str(p.relative_to(tmp_path / f"archive{run}")), hashlib.sha256(p.read_bytes()).hexdigest())
            for p in (tmp_path / f"archive{run}").rglob("*.*")
            if p.suffix in {".mp3", ".jpeg"}
        )
        assert all(file_server.served(url) <= run + 1 for url in links.served.values())
        results.append((snapshot(tracks, tasks, history), objects, sorted(e.event_id for e in archived(records))))
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]
    assert len(results[0][1]) == 8
    assert results[0][2] == results[1][2]
    assert len(set(results[0][2])) == 6


async def test_a_dead_link_goes_to_the_dlq_after_the_rest_is_archived(
    kafka_bootstrap: str, new_topic: TopicFactory, tmp_path: Path, file_server: FileServer
) -> None:
    """One expired audio link: the other track is archived and announced, the callback is dead-lettered
    with the reason, and the consumer moves on to the next callback."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    settings = await settings_for(kafka_bootstrap, new_topic, database_url, tmp_path / "archive")
    links = Links(file_server)
    broken = complete_event(links)
    dead = file_server.serve("expired.mp3", status=403)
    broken = msgspec.structs.replace(
        broken, tracks=(msgspec.structs.replace(broken.tracks[0], audio_url=dead), broken.tracks[1])
    )
    after = complete_event(links)
    async with running_archiver(settings) as archiver:
        records = await archive_all(archiver, settings, [broken, after], expected_events=3)
        failed = await archiver.repository.track(broken.tracks[0].id)
        assert failed is not None
        assert failed.status == "failed"
        assert "HTTP 403" in (failed.failure_reason or "")
        good = await archiver.repository.track(broken.tracks[1].id)
        assert good is not None
        assert good.status == "archived"
        metrics = generate_latest(archiver.registry).decode()
        promtool = await asyncio.create_subprocess_exec(
            "/usr/bin/promtool", "check", "metrics", stdin=PIPE, stdout=PIPE, stderr=STDOUT
        )
        output, _ = await promtool.communicate(metrics.encode())
        assert promtool.returncode == 0, output.decode()
    parked = [
        r
        for r in await consume_all(kafka_bootstrap, topics.DLQ, 1)
        if header(r.headers, dlq.TOPIC) == settings.callbacks_topic
    ]
    assert len(parked) == 1
    assert parked[0].key == broken.task_id.encode()
    reason = header(parked[0].headers, dlq.REASON) or ""
    assert f"track {broken.tracks[0].id} audio" in reason
    assert "HTTP 403" in reason
    assert header(parked[0].headers, dlq.SERVICE) == settings.consumer_group
    published = archived(records)
    assert {e.track_id for e in published if isinstance(e, TrackArchived)} == {
        broken.tracks[1].id,
        *(t.id for t in after.tracks),
    }
    assert [e.task_id for e in published if isinstance(e, TaskArchived)] == [after.task_id]
    assert 'vocals_archiver_permanent_failures_total{reason="gone"} 1.0' in metrics


async def test_undecodable_and_unsafe_messages_are_dead_lettered_untouched(
    kafka_bootstrap: str, new_topic: TopicFactory, tmp_path: Path, file_server: FileServer
) -> None:
    """Garbage and a task id trying path traversal go to the DLQ; nothing is written anywhere."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    settings = await settings_for(kafka_bootstrap, new_topic, database_url, tmp_path / "archive")
    good = complete_event(Links(file_server))
    evil = msgspec.json.encode(msgspec.to_builtins(good) | {"task_id": "../../etc"})
    async with running_archiver(settings) as archiver:
        await produce(kafka_bootstrap, settings.callbacks_topic, [b"not json at all", evil], key=b"x")
        parked = await eventually(
            lambda: consume_all(kafka_bootstrap, topics.DLQ, 1),
            lambda rs: len([r for r in rs if header(r.headers, dlq.TOPIC) == settings.callbacks_topic]) == 2,
            "two dead letters",
        )
        assert await archiver.repository.task("../../etc") is None
    ours = [r for r in parked if header(r.headers, dlq.TOPIC) == settings.callbacks_topic]
    assert [r.value for r in ours] == [b"not json at all", evil]
    assert all("not a CallbackReceived event" in (header(r.headers, dlq.REASON) or "") for r in ours)
    assert [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] == []


async def test_flags_and_source_audio_when_configured(
    kafka_bootstrap: str, new_topic: TopicFactory, tmp_path: Path, file_server: FileServer
) -> None:
    """With a word list and source audio on: the track is flagged (and kept) and its source audio stored."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    settings = await settings_for(
        kafka_bootstrap,
        new_topic,
        database_url,
        tmp_path / "archive",
        content_filter_words=("neon", "absent"),
        download_source_audio=True,
    )
    event = renamed(Links(file_server).rewrite(payload("first")), {})
    async with running_archiver(settings) as archiver:
        records = await archive_all(archiver, settings, [event], expected_events=1)
        track = await archiver.repository.track(event.tracks[0].id)
    assert track is not None
    assert track.flagged_words == ["neon"]
    assert track.status == "archived"
    assert track.source_audio is not None
    assert track.source_audio.key == f"{event.task_id}/{event.tracks[0].id}.source.mp3"
    [published] = archived(records)
    assert isinstance(published, TrackArchived)
    assert published.source_audio is not None
    assert published.source_audio.bytes == track.source_audio.bytes
    assert COVER_JPEG.stat().st_size == published.cover.bytes  # type: ignore[union-attr]
