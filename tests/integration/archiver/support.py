"""Helpers for the archiver's integration tests: settings, payloads pointed at the file server, a live archiver."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from prometheus_client import CollectorRegistry

from schemas.codec import cloudevent_headers, encode, key_for
from schemas.events import CallbackReceived, Track
from schemas.provider import parse_callback
from services.archiver.app import Archiver, build
from services.archiver.settings import ArchiverSettings
from services.plumbing.consumer import run_consumer
from services.plumbing.kafka import KafkaSettings, make_producer
from tests.fixtures.fileserver import FileServer
from tests.fixtures.media import COVER_JPEG, mp3_bytes

PAYLOADS = Path(__file__).parents[2] / "payloads"
RECEIVED = datetime(2025, 9, 16, 17, 45, tzinfo=UTC)
STAGE_DELAY = {"text": 0, "first": 10, "complete": 60}
WAIT_S = 60.0
T = TypeVar("T")


def archiver_settings(*, database_url: str, archive_dir: Path, **overrides: Any) -> ArchiverSettings:
    """Settings for a test archiver: loopback file server allowed, quick retries, unique topics by caller."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "archive_url": f"file://{archive_dir}",
        "allowed_hosts": ("127.0.0.1",),
        "download_attempts": 3,
        "download_retry_initial_s": 0.01,
        "download_retry_max_s": 0.05,
        "download_read_timeout_s": 5.0,
        "download_total_timeout_s": 30.0,
    }
    return msgspec.convert(values | overrides, ArchiverSettings, strict=False)


def payload(name: str) -> CallbackReceived:
    """A provider payload from tests/payloads as the receiver would publish it (fixed receipt time)."""
    body = (PAYLOADS / f"{name}.json").read_bytes()
    stage = name.split("-")[0]
    return parse_callback(body, received_at=RECEIVED + timedelta(seconds=STAGE_DELAY.get(stage, 90)))


class Links:
    """Points payload links at real files on the file server; one served file per original link."""

    def __init__(self, server: FileServer, **audio_rule: Any) -> None:
        self.server = server
        self.served: dict[str, str] = {}
        self._audio_rule = audio_rule

    def audio(self, original: str, seconds: float | None) -> str:
        if original not in self.served:
            body = mp3_bytes(seconds or 5.0)
            self.served[original] = self.server.serve("a.mp3", body=body, content_type="audio/mpeg", **self._audio_rule)
        return self.served[original]

    def cover(self, original: str) -> str:
        if original not in self.served:
            body = COVER_JPEG.read_bytes()
            self.served[original] = self.server.serve("c.jpeg", body=body, content_type="image/jpeg")
        return self.served[original]

    def rewrite(self, event: CallbackReceived) -> CallbackReceived:
        return msgspec.structs.replace(event, tracks=tuple(self._track(track) for track in event.tracks))

    def _track(self, track: Track) -> Track:
        return msgspec.structs.replace(
            track,
            audio_url=self.audio(track.audio_url, track.duration) if track.audio_url else None,
            source_audio_url=self.audio(track.source_audio_url, 3.0) if track.source_audio_url else None,
            image_url=self.cover(track.image_url) if track.image_url else None,
        )


def renamed(event: CallbackReceived, ids: dict[str, str]) -> CallbackReceived:
    """The event with its task and track ids replaced through `ids` (new random ids for unseen ones)."""

    def new(old: str) -> str:
        return ids.setdefault(old, uuid.uuid4().hex)

    tracks = tuple(msgspec.structs.replace(track, id=new(track.id)) for track in event.tracks)
    return msgspec.structs.replace(event, task_id=new(event.task_id), tracks=tracks, event_id=new(event.event_id))


def complete_event(
    links: Links, *, tracks: int = 2, seconds: float = 4.0, task_id: str | None = None
) -> CallbackReceived:
    """A fresh `complete` callback with `tracks` real MP3 + JPEG files on the file server."""
    task = task_id or uuid.uuid4().hex
    made = tuple(
        Track(
            id=uuid.uuid4().hex,
            audio_url=links.audio(f"audio-{task}-{n}", seconds),
            image_url=links.cover(f"cover-{task}-{n}"),
            title=f"Song {n}",
            prompt="[Verse]\nla la\n[Chorus]\noh oh",
            duration=seconds,
        )
        for n in range(tracks)
    )
    return CallbackReceived(
        event_id=uuid.uuid4().hex, task_id=task, stage="complete", callback_type="complete", code=200,
        msg="All generated successfully.", tracks=made, received_at=datetime.now(UTC),
    )  # fmt: skip


async def produce(bootstrap: str, topic: str, events: Iterable[CallbackReceived | bytes], key: bytes = b"k") -> None:
    """Publish events (or raw bytes under `key`) like the receiver does, acks=all, in order."""
    producer = make_producer(KafkaSettings(kafka_bootstrap=bootstrap))
    await producer.start()
    try:
        for event in events:
            if isinstance(event, bytes):
                await producer.send_and_wait(topic, event, key=key)
                continue
            headers = cloudevent_headers(event, source="/vocals/receiver", time=event.received_at.isoformat())
            await producer.send_and_wait(topic, encode(event), key=key_for(event), headers=headers)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def running_archiver(settings: ArchiverSettings, **ports: Any) -> AsyncIterator[Archiver]:
    """`build()` plus the consumer loop in a task; yields once partitions are assigned, stops on exit."""
    archiver = await build(settings, registry=CollectorRegistry(), **ports)
    stop, ready = asyncio.Event(), asyncio.Event()
    consumer = asyncio.create_task(
        run_consumer(settings, archiver.consumer_config(), archiver.service.handle,
                     registry=archiver.registry, stop=stop, ready=ready)
    )  # fmt: skip
    try:
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait([consumer, waiting], timeout=WAIT_S, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if consumer.done():
            consumer.result()
        assert ready.is_set(), f"the archiver's consumer got no partitions within {WAIT_S} s"
        yield archiver
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(WAIT_S):
                await consumer
        await archiver.aclose()


async def eventually(
    probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], what: str, limit_s: float = WAIT_S
) -> T:
    """Poll `probe` until `until(value)` holds (bounded); fails naming `what` and the last value."""
    deadline = time.monotonic() + limit_s
    while True:
        value = await probe()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {limit_s} s; last seen: {value!r}"[:2000])
        await asyncio.sleep(0.05)  # poll interval, bounded by the deadline above
