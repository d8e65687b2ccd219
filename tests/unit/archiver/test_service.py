"""ArchiveService with fakes of every port: what is downloaded, recorded, published and dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry

from schemas.codec import encode
from schemas.events import CallbackReceived, Stage, TaskArchived, Track, TrackArchived
from services.archiver.announce import Links
from services.archiver.fetch import TransientDownloadError
from services.archiver.metrics import ArchiverMetrics
from services.archiver.service import ArchiveService
from services.archiver.tracks import TrackArchiver
from services.plumbing.consumer import PermanentError
from tests.unit.archiver.fakes import ListPublisher, MemoryRepository, MemoryStore, ScriptedDownloader, flaky, gone

NOW = datetime(2025, 9, 16, 17, 45, 3, tzinfo=UTC)
TASK = "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b"


class World:
    def __init__(self, files: dict[str, bytes | Exception]) -> None:
        self.store, self.repository, self.publisher = MemoryStore(), MemoryRepository(), ListPublisher()
        self.downloader = ScriptedDownloader(self.store, files)
        self.registry = CollectorRegistry()
        self.service = ArchiveService(
            repository=self.repository,
            store=self.store,
            tracks=TrackArchiver(self.store, self.downloader, source_audio=False, now=lambda: NOW),
            publisher=self.publisher,
            metrics=ArchiverMetrics(self.registry),
            links=Links("http://archive.test"),
            now=lambda: NOW,
        )


def callback(stage: Stage, *tracks: Track, event_id: str = "e1") -> CallbackReceived:
    return CallbackReceived(
        event_id=event_id,
        task_id=TASK,
        stage=stage,
        callback_type=str(stage),
        code=200,
        msg="ok",
        tracks=tracks,
        received_at=datetime(2025, 9, 16, 17, 45, tzinfo=UTC),
    )


def track(n: int, *, audio: bool = True) -> Track:
    return Track(
        id=f"track-{n}",
        audio_url=f"https://cdn/a{n}.mp3" if audio else None,
        image_url=f"https://cdn/c{n}.jpeg",
        title=f"Song {n}",
        duration=3.0,
    )


def record_of(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("vocals.callbacks", 0, 7, 0, 0, b"k", value, None, len(b"k"), len(value), [])


FILES: dict[str, bytes | Exception] = {
    "https://cdn/a1.mp3": b"audio-1",
    "https://cdn/c1.jpeg": b"cover-1",
    "https://cdn/a2.mp3": b"audio-2",
    "https://cdn/c2.jpeg": b"cover-2",
}


async def test_a_complete_callback_stores_both_tracks_and_announces_them_and_the_task() -> None:
    """Two tracks: four files plus two sidecars stored, two TrackArchived then one TaskArchived."""
    world = World(dict(FILES))
    await world.service.archive(callback(Stage.COMPLETE, track(1), track(2)))
    assert sorted(world.store.objects) == sorted(
        f"{TASK}/track-{n}.{ext}" for n in (1, 2) for ext in ("mp3", "jpeg", "json")
    )
    published = world.publisher.published
    assert [type(e).__name__ for e in published] == ["TrackArchived", "TrackArchived", "TaskArchived"]
    first = published[0]
    assert isinstance(first, TrackArchived)
    assert (first.audio.key, first.audio.url) == (f"{TASK}/track-1.mp3", "http://archive.test/tracks/track-1/audio")
    assert first.archived_at == NOW
    assert isinstance(published[2], TaskArchived)
    assert published[2].track_ids == ("track-1", "track-2")


async def test_handling_the_same_callback_again_downloads_and_publishes_nothing_new() -> None:
    """Redelivery: the stored files are intact, so nothing is fetched and no event is published again."""
    world = World(dict(FILES))
    event = callback(Stage.COMPLETE, track(1), track(2))
    await world.service.archive(event)
    calls, published = len(world.downloader.calls), len(world.publisher.published)
    await world.service.archive(event)
    assert (len(world.downloader.calls), len(world.publisher.published)) == (calls, published)


async def test_a_missing_object_is_fetched_again() -> None:
    """A row says archived but its object is gone (wiped bucket): the file is downloaded again."""
    world = World(dict(FILES))
    event = callback(Stage.COMPLETE, track(1))
    await world.service.archive(event)
    del world.store.objects[f"{TASK}/track-1.mp3"]
    await world.service.archive(event)
    assert world.downloader.calls.count("https://cdn/a1.mp3") == 2
    assert world.store.objects[f"{TASK}/track-1.mp3"] == b"audio-1"


async def test_a_dead_audio_link_is_recorded_and_raised_after_the_other_track_is_published() -> None:
    """Track 1's 404 becomes a PermanentError naming it, but only after track 2 was stored and announced."""
    world = World(dict(FILES) | {"https://cdn/a1.mp3": gone("a1")})
    with pytest.raises(PermanentError, match="track track-1 audio: link expired") as caught:
        await world.service.archive(callback(Stage.COMPLETE, track(1), track(2)))
    assert "HTTP 404" in caught.value.reason
    failed = await world.repository.track("track-1")
    assert failed is not None
    assert failed.status == "failed"
    assert [e.track_id for e in world.publisher.published if isinstance(e, TrackArchived)] == ["track-2"]
    assert not any(isinstance(e, TaskArchived) for e in world.publisher.published)


async def test_a_dead_cover_keeps_the_audio_but_still_reports_the_callback() -> None:
    """The cover's 404 leaves the track archived (audio safe, reason noted) and dead-letters the callback."""
    world = World(dict(FILES) | {"https://cdn/c1.jpeg": gone("c1")})
    with pytest.raises(PermanentError, match="track track-1 cover: link expired"):
        await world.service.archive(callback(Stage.COMPLETE, track(1)))
    kept = await world.repository.track("track-1")
    assert kept is not None
    assert (kept.status, kept.cover is None) == ("archived", True)
    assert "cover" in (kept.failure_reason or "")


async def test_a_transient_failure_propagates_and_publishes_nothing() -> None:
    """A download still failing after its retries is not permanent: it is raised as is, for the consumer to retry."""
    world = World(dict(FILES) | {"https://cdn/a2.mp3": flaky()})
    with pytest.raises(TransientDownloadError):
        await world.service.archive(callback(Stage.COMPLETE, track(1), track(2)))
    assert not any(isinstance(e, TaskArchived) for e in world.publisher.published)


@pytest.mark.parametrize("stage", [Stage.TEXT, Stage.FAILED, Stage.UNKNOWN])
async def test_stages_that_carry_no_finished_audio_download_nothing(stage: Stage) -> None:
    """text, failed and unknown callbacks are recorded but never fetch a file."""
    world = World(dict(FILES))
    await world.service.archive(callback(stage, track(1)))
    assert world.downloader.calls == []
    assert [h.stage for h in await world.repository.history_of(TASK)] == [stage]


async def test_a_track_without_its_audio_link_yet_is_recorded_pending() -> None:
    """In `first`, the unfinished track has no audio link: recorded pending, nothing fetched for it."""
    world = World(dict(FILES))
    await world.service.archive(callback(Stage.FIRST, track(1), track(2, audio=False)))
    pending = await world.repository.track("track-2")
    assert pending is not None
    assert pending.status == "pending"
    assert world.downloader.calls == ["https://cdn/a1.mp3", "https://cdn/c1.jpeg"]


async def test_undecodable_and_unsafe_records_are_permanent_errors() -> None:
    """Garbage, and a valid-looking event whose task id tries path traversal, are refused before any I/O."""
    world = World(dict(FILES))
    with pytest.raises(PermanentError, match="not a CallbackReceived event"):
        await world.service.handle(record_of(b"{not json"))
    evil = msgspec.json.encode(msgspec.to_builtins(callback(Stage.COMPLETE, track(1))) | {"task_id": "../../etc"})
    with pytest.raises(PermanentError, match="not a CallbackReceived event"):
        await world.service.handle(record_of(evil))
    bad_track = msgspec.to_builtins(callback(Stage.COMPLETE, track(1)))
    bad_track["tracks"][0]["id"] = "a/../../b"
    with pytest.raises(PermanentError):
        await world.service.handle(record_of(msgspec.json.encode(bad_track)))
    assert world.store.objects == {} and world.repository.tasks == {}  # noqa: PT018


async def test_a_valid_record_is_archived_through_handle() -> None:
    """handle() decodes the Kafka value and archives it."""
    world = World(dict(FILES))
    await world.service.handle(record_of(encode(callback(Stage.FIRST, track(1)))))
    assert f"{TASK}/track-1.mp3" in world.store.objects
