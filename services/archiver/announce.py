"""Archived events built from database rows, with deterministic ids: re-processing yields the same events."""

import hashlib
from collections.abc import Sequence

import msgspec

from schemas.events import Stage, StoredObject, TaskArchived, TrackArchived
from services.archiver.records import TaskRecord, TrackRecord


def track_event_id(task_id: str, track_id: str, audio_sha256: str) -> str:
    """One id per stored audio file: the same track stored again with the same bytes keeps its id."""
    return _digest("track.archived", task_id, track_id, audio_sha256)


def task_event_id(task_id: str) -> str:
    return _digest("task.archived", task_id)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


class Links:
    """Where the read API serves what the archiver stored."""

    def __init__(self, public_url: str) -> None:
        self._base = public_url.rstrip("/")

    def task(self, task_id: str) -> str:
        return f"{self._base}/tasks/{task_id}"

    def track_file(self, track_id: str, kind: str, stored: StoredObject | None) -> StoredObject | None:
        if stored is None:
            return None
        return msgspec.structs.replace(stored, url=f"{self._base}/tracks/{track_id}/{kind}")


def track_archived(row: TrackRecord, stage: Stage, links: Links) -> TrackArchived:
    """The event for an archived row (one whose audio, receipt and archive times are set)."""
    audio = links.track_file(row.track_id, "audio", row.audio)
    if audio is None or row.audio is None or row.received_at is None or row.archived_at is None:
        raise ValueError(f"track {row.track_id} is not archived yet: no archived event for it")
    return TrackArchived(
        event_id=track_event_id(row.task_id, row.track_id, row.audio.sha256),
        task_id=row.task_id,
        track_id=row.track_id,
        stage=stage,
        title=row.title,
        audio=audio,
        cover=links.track_file(row.track_id, "cover", row.cover),
        source_audio=links.track_file(row.track_id, "source_audio", row.source_audio),
        metadata=links.track_file(row.track_id, "metadata", row.metadata),
        reported_duration=row.reported_duration,
        measured_duration=row.measured_duration,
        callback_event_id=row.callback_event_id or "",
        received_at=row.received_at,
        archived_at=row.archived_at,
    )


def task_archived(task: TaskRecord, rows: Sequence[TrackRecord], links: Links) -> TaskArchived | None:
    """The task-level event, when the task is complete and every one of its tracks is archived."""
    if task.status != "complete" or not rows or any(row.status != "archived" for row in rows):
        return None
    return TaskArchived(
        event_id=task_event_id(task.task_id),
        task_id=task.task_id,
        track_ids=tuple(row.track_id for row in rows),
        callback_event_id=task.stage_event_id,
        archived_at=max(row.archived_at for row in rows if row.archived_at is not None),
        url=links.task(task.task_id),
    )
