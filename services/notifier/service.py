"""The notifier's handler: events in, each notice to each of its channels exactly once.

Exactly once per (event, channel): before sending, the channels that already accepted the event are
looked up in `notifier_sent` and skipped; right after a channel accepts, a row is written there; the
consume loop commits the offset only after the handler returned. So a duplicate or a redelivered
event sends nothing again. The one remaining window is between a channel accepting a notice and its
row being written (a crash or lost database in those milliseconds): the event comes back and that
channel sends it a second time. Email carries a Message-ID derived from the event so clients can
fold such a copy; Slack offers no idempotency key.

Stages only move forward: each task records the rank of the highest stage claimed and the event that
claimed it. Another event of that rank or lower (a late `first` after `complete`, a polled copy of
an announced stage) is superseded and announced nowhere.

`complete` and the archive: `complete` is announced when its callback arrives, with the provider's
links and any archive links already known. When `TaskArchived` arrives after that, the same notice
is re-rendered with the durable links as an `archived` notice (bot mode: the task's message is
updated in place). If `TaskArchived` comes first, its links are stored and `complete` carries them,
and no separate `archived` notice is sent.
"""

import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from weakref import WeakValueDictionary

import structlog
from aiokafka import ConsumerRecord

from schemas.events import STAGE_RANK, CallbackReceived, TaskArchived, TrackArchived
from services.notifier.decoding import Decoder
from services.notifier.delivery import RetryPolicy, deliver
from services.notifier.metrics import NotifierMetrics
from services.notifier.notice import ArchivedTrackLinks, Notice, archived_notice, notice_for_callback, notice_stage
from services.notifier.pacing import Pacer
from services.notifier.ports import NotifierStore, PermanentError
from services.notifier.settings import NoticeStage

log = structlog.get_logger("notifier")

Routes = Mapping[NoticeStage, Sequence[Pacer]]


class Notifier:
    def __init__(
        self, *, store: NotifierStore, routes: Routes, decoder: Decoder, policy: RetryPolicy, metrics: NotifierMetrics
    ) -> None:
        self._store = store
        self._routes = routes
        self._decoder = decoder
        self._policy = policy
        self._metrics = metrics
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """The consume loop's handler; returns only once every send it made is recorded."""
        event = self._decoder.decode(record)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(task_id=event.task_id, event_id=event.event_id)
        started, outcome, stage = time.perf_counter(), "error", getattr(event, "stage", "")
        lock = self._locks.setdefault(event.task_id, asyncio.Lock())
        try:
            async with lock:
                if isinstance(event, CallbackReceived):
                    outcome = await self._on_callback(event)
                elif isinstance(event, TrackArchived):
                    outcome = await self._on_track_archived(event)
                else:
                    stage, outcome = "archived", await self._on_task_archived(event)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("handled", event_type=type(event).__name__, stage=stage, outcome=outcome, duration_ms=duration_ms)

    async def _on_callback(self, event: CallbackReceived) -> str:
        stage = notice_stage(event.stage)
        if stage is None:
            return "not_announced"
        rank, task = STAGE_RANK[event.stage], await self._store.task(event.task_id)
        if task and task.stage_event_id != event.event_id and rank <= task.stage_rank:
            self._count(self._routes.get(stage, ()), "superseded")
            return "superseded"
        archive = await self._store.archive(event.task_id)
        known_title = task.notice.title if task and task.notice else None
        notice = notice_for_callback(event, archive=archive, known_title=known_title)
        await self._store.claim(notice, rank=rank)
        return await self._send_everywhere(notice, self._routes.get(stage, ()))

    async def _on_track_archived(self, event: TrackArchived) -> str:
        links = ArchivedTrackLinks(audio_url=event.audio.url, cover_url=event.cover.url if event.cover else None)
        await self._store.save_archived_track(event.task_id, event.track_id, links)
        return "stored"

    async def _on_task_archived(self, event: TaskArchived) -> str:
        await self._store.save_task_archived(event.task_id, event.url)
        task = await self._store.task(event.task_id)
        if task is None or task.notice is None or task.notice.stage != "complete":
            return "stored"
        archive = await self._store.archive(event.task_id)
        if archive is None or not (archive.url or any(link.audio_url for link in archive.tracks.values())):
            return "stored"
        notice = archived_notice(task.notice, event_id=event.event_id, archive=archive)
        return await self._send_everywhere(notice, self._routes.get("archived", ()))

    async def _send_everywhere(self, notice: Notice, pacers: Sequence[Pacer]) -> str:
        """Every routed channel that has not sent this event sends it, concurrently, each within its deadline."""
        done = await self._store.sent_channels(notice.event_id)
        self._count([pacer for pacer in pacers if pacer.name in done], "duplicate")
        pending = [pacer for pacer in pacers if pacer.name not in done]
        if not pending:
            return "duplicate" if pacers else "not_routed"
        results = await asyncio.gather(*(self._send(notice, pacer) for pacer in pending), return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        retryable = [failure for failure in failures if not isinstance(failure, PermanentError)]
        if retryable:
            raise retryable[0]
        if failures:
            raise PermanentError("; ".join(str(failure) for failure in failures))
        return "sent"

    async def _send(self, notice: Notice, pacer: Pacer) -> None:
        try:
            in_digest = await deliver(pacer, notice, policy=self._policy, metrics=self._metrics)
        except PermanentError as exc:
            self._count([pacer], "rejected")
            log.error("rejected", channel=pacer.name, stage=notice.stage, reason=exc.reason)
            raise
        except Exception as exc:
            self._count([pacer], "failed")
            log.warning("not_sent_yet", channel=pacer.name, stage=notice.stage, error=str(exc))
            raise
        await self._store.record_sent(notice, pacer.name)
        self._count([pacer], "digested" if in_digest else "sent")
        if notice.received_at is not None and notice.stage != "archived":
            lag = (datetime.now(UTC) - notice.received_at).total_seconds()
            self._metrics.lag.labels(pacer.name).observe(max(lag, 0.0))

    def _count(self, pacers: Sequence[Pacer], outcome: str) -> None:
        for pacer in pacers:
            self._metrics.messages.labels(pacer.name, outcome).inc()
