"""Hand-written fakes of the notifier's ports, and events built from the sample payloads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from aiokafka import ConsumerRecord

from schemas import topics
from schemas.codec import encode
from schemas.events import CallbackReceived, Event, StoredObject, TaskArchived, TrackArchived
from schemas.provider import parse_callback
from services.notifier.notice import Archive, ArchivedTrackLinks, Notice
from services.notifier.ports import MessageRef, TaskState

PAYLOADS = Path(__file__).parents[2] / "payloads"
RECEIVED_AT = datetime(2025, 9, 16, 17, 45, tzinfo=UTC)
PREFIX = "test."
CALLBACKS, ARCHIVED = PREFIX + topics.CALLBACKS, PREFIX + topics.ARCHIVED


def callback(name: str, **changes: object) -> CallbackReceived:
    """The CallbackReceived the receiver makes of tests/payloads/<name>.json, with `changes` applied."""
    event = parse_callback((PAYLOADS / f"{name}.json").read_bytes(), received_at=RECEIVED_AT)
    return msgspec.structs.replace(event, **changes) if changes else event


def track_archived(event: CallbackReceived, index: int) -> TrackArchived:
    track = event.tracks[index]
    base = f"http://archive.test/tracks/{track.id}"
    return TrackArchived(
        event_id=f"track-archived-{track.id}",
        task_id=event.task_id,
        track_id=track.id,
        stage=event.stage,
        title=track.title,
        audio=StoredObject(
            key=f"{track.id}.mp3", sha256="a" * 64, bytes=1, content_type="audio/mpeg", url=f"{base}/audio"
        ),
        cover=StoredObject(
            key=f"{track.id}.jpg", sha256="b" * 64, bytes=1, content_type="image/jpeg", url=f"{base}/cover"
        ),
        callback_event_id=event.event_id,
        received_at=RECEIVED_AT,
        archived_at=RECEIVED_AT,
    )


def task_archived(event: CallbackReceived) -> TaskArchived:
    return TaskArchived(
        event_id=f"task-archived-{event.task_id}",
        task_id=event.task_id,
        track_ids=tuple(track.id for track in event.tracks),
        callback_event_id=event.event_id,
        archived_at=RECEIVED_AT,
        url=f"http://archive.test/tasks/{event.task_id}",
    )


def record(event: Event, *, topic: str | None = None, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    topic = topic or (CALLBACKS if isinstance(event, CallbackReceived) else ARCHIVED)
    return ConsumerRecord(
        topic=topic, partition=0, offset=offset, timestamp=0, timestamp_type=0, key=event.task_id.encode(),
        value=encode(event), checksum=None, serialized_key_size=0, serialized_value_size=0, headers=(),
    )  # fmt: skip


class FakeStore:
    """The NotifierStore port in memory."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str], Notice] = {}
        self.tasks: dict[str, TaskState] = {}
        self.archived_tracks: dict[str, dict[str, ArchivedTrackLinks]] = {}
        self.archive_urls: dict[str, str | None] = {}
        self.refs: dict[str, MessageRef] = {}
        self.fail_record = False

    async def sent_channels(self, event_id: str) -> set[str]:
        return {channel for (event, channel) in self.sent if event == event_id}

    async def record_sent(self, notice: Notice, channel: str) -> None:
        if self.fail_record:
            raise ConnectionError("database went away")
        self.sent.setdefault((notice.event_id, channel), notice)

    async def task(self, task_id: str) -> TaskState | None:
        return self.tasks.get(task_id)

    async def claim(self, notice: Notice, *, rank: int) -> None:
        archived = self.tasks[notice.task_id].archived if notice.task_id in self.tasks else False
        self.tasks[notice.task_id] = TaskState(rank, notice.event_id, notice, archived)

    async def archive(self, task_id: str) -> Archive | None:
        tracks = self.archived_tracks.get(task_id, {})
        if not tracks and task_id not in self.archive_urls:
            return None
        return Archive(url=self.archive_urls.get(task_id), tracks=dict(tracks))

    async def save_archived_track(self, task_id: str, track_id: str, links: ArchivedTrackLinks) -> None:
        self.archived_tracks.setdefault(task_id, {})[track_id] = links

    async def save_task_archived(self, task_id: str, url: str | None) -> None:
        self.archive_urls[task_id] = url
        state = self.tasks.get(task_id, TaskState(0, None, None, False))
        self.tasks[task_id] = state._replace(archived=True)

    async def message_ref(self, task_id: str) -> MessageRef | None:
        return self.refs.get(task_id)

    async def save_message_ref(self, task_id: str, ref: MessageRef) -> None:
        self.refs[task_id] = ref

    async def ping(self) -> None:
        return None


class RecordingChannel:
    """A Channel that keeps what it accepted; `failures` are raised, one per send, before it accepts."""

    def __init__(self, name: str, *failures: Exception) -> None:
        self.name = name
        self.failures = list(failures)
        self.attempts = 0
        self.sent: list[Notice] = []

    async def send(self, notice: Notice) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notice)

    async def close(self) -> None:
        return None


class DigestRecordingChannel(RecordingChannel):
    def __init__(self, name: str, *failures: Exception) -> None:
        super().__init__(name, *failures)
        self.digests: list[list[Notice]] = []

    async def send_digest(self, notices: Sequence[Notice]) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.digests.append(list(notices))
