"""The archiving service: one callback event in, files and rows stored, archived events out.

Every step may be repeated: rows are upserts, objects have fixed keys, stored files are not fetched
again, and events have deterministic ids.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
import structlog
from aiokafka import ConsumerRecord

from schemas.codec import decode_callback
from schemas.events import CallbackReceived, Stage, Track
from services.archiver.announce import Links, task_archived, track_archived
from services.archiver.describe import described
from services.archiver.fetch import PermanentDownloadError
from services.archiver.media import durations_disagree
from services.archiver.metrics import ArchiverMetrics
from services.archiver.publisher import Publisher
from services.archiver.records import TaskRecord, TrackRecord, TrackSeen
from services.archiver.repository import Repository
from services.archiver.store import ArchiveStore
from services.archiver.tracks import TrackArchiver, TrackInfo
from services.plumbing.consumer import PermanentError

log = structlog.get_logger("services.archiver")
_ARCHIVING_STAGES = frozenset({Stage.FIRST, Stage.COMPLETE})


@dataclass(frozen=True, kw_only=True)
class TrackOutcome:
    record: TrackRecord | None
    failure: str | None


class ArchiveService:
    """The consumer's handler: decode, record, archive each track, publish, then report failures."""

    def __init__(
        self,
        *,
        repository: Repository,
        store: ArchiveStore,
        tracks: TrackArchiver,
        publisher: Publisher,
        metrics: ArchiverMetrics,
        links: Links,
        filter_words: tuple[str, ...] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repository, self._store, self._tracks = repository, store, tracks
        self._publisher, self._metrics, self._links = publisher, metrics, links
        self._filter_words, self._now = filter_words, now

    async def handle(self, record: ConsumerRecord) -> None:
        """Handler for `run_consumer`; an undecodable message is a PermanentError."""
        try:
            event = decode_callback(record.value)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise PermanentError(f"not a CallbackReceived event: {exc}") from None
        await self.archive(event)

    async def archive(self, event: CallbackReceived) -> None:
        """Archive one callback; raises PermanentError (after committing the rest) if a link is dead."""
        started = time.monotonic()
        structlog.contextvars.bind_contextvars(task_id=event.task_id, stage=event.stage)
        outcome = "error"
        try:
            outcomes = await self._archive(event)
            failures = [o.failure for o in outcomes if o.failure]
            outcome = "dead_link" if failures else "archived"
            archived = sum(1 for o in outcomes if o.record is not None and o.record.status == "archived")
            log.info(
                "callback handled",
                outcome=outcome,
                tracks=archived,
                failures=len(failures),
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
            if failures:
                raise PermanentError("; ".join(failures))
        finally:
            if outcome == "error":
                log.warning(
                    "callback not archived, will be retried",
                    outcome=outcome,
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("task_id", "stage")

    async def _archive(self, event: CallbackReceived) -> list[TrackOutcome]:
        seen = [described(event, position, track, self._filter_words) for position, track in enumerate(event.tracks)]
        recorded = await self._repository.record_callback(event, seen)
        if event.stage not in _ARCHIVING_STAGES:
            return []
        known = {row.track_id: row for row in recorded.tracks}
        wanted = [(track, info) for track, info in zip(event.tracks, seen, strict=True) if track.audio_url]
        outcomes = await _all([self._archive_track(event, track, info, known.get(track.id)) for track, info in wanted])
        await self._announce(event, recorded.task)
        return outcomes

    async def _archive_track(
        self, event: CallbackReceived, track: Track, seen: TrackSeen, existing: TrackRecord | None
    ) -> TrackOutcome:
        if existing is not None and existing.status == "archived" and await self._intact(existing):
            return TrackOutcome(record=existing, failure=None)
        info = TrackInfo(lyrics=seen.lyrics, flagged_words=seen.flagged_words or [])
        try:
            stored = await self._tracks.archive(event, track, info)
        except PermanentDownloadError as exc:
            reason = f"track {track.id} audio: {exc.reason}"
            await self._repository.mark_failed(track.id, reason)
            return TrackOutcome(record=None, failure=reason)
        record = await self._repository.mark_archived(track.id, stored)
        self._metrics.archive_lag.observe((stored.archived_at - event.received_at).total_seconds())
        if seen.flagged_words and (existing is None or existing.status != "archived"):
            self._metrics.flagged.inc()
        if durations_disagree(track.duration, stored.measured_duration):
            self._metrics.duration_mismatches.inc()
            log.warning(
                "measured duration differs from reported",
                track_id=track.id,
                reported=track.duration,
                measured=stored.measured_duration,
            )
        failure = f"track {track.id} {stored.failure_reason}" if stored.failure_reason else None
        return TrackOutcome(record=record, failure=failure)

    async def _intact(self, record: TrackRecord) -> bool:
        """The stored files are still there with the sizes recorded: no need to fetch them again."""
        for stored in (record.audio, record.cover, record.source_audio):
            if stored is not None and await self._store.size(stored.key) != stored.bytes:
                return False
        return record.audio is not None

    async def _announce(self, event: CallbackReceived, task: TaskRecord) -> None:
        """Publish what is archived but not yet announced, then remember it was (at-least-once, stable ids)."""
        rows = await self._repository.tracks_of(event.task_id)
        fresh = [track_archived(row, event.stage, self._links) for row in rows if _unannounced(row)]
        finished = task_archived(task, rows, self._links) if task.archived_at is None else None
        if not fresh and finished is None:
            return
        await self._publisher.publish([*fresh, *([finished] if finished else [])])
        track_events = {published.track_id: published.event_id for published in fresh}
        task_event = finished.event_id if finished else None
        await self._repository.mark_announced(event.task_id, track_events, task_event, self._now())
        self._metrics.published.labels(event_type="track.archived").inc(len(fresh))
        if finished is not None:
            self._metrics.published.labels(event_type="task.archived").inc()


def _unannounced(row: TrackRecord) -> bool:
    return row.status == "archived" and row.published_at is None


async def _all(work: list[Awaitable[TrackOutcome]]) -> list[TrackOutcome]:
    """Run concurrently; on a transient failure cancel the siblings and raise that failure itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(item)) for item in work]
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return [task.result() for task in tasks]


async def _awaited(item: Awaitable[TrackOutcome]) -> TrackOutcome:
    return await item
