"""Polling the tasks that are late: record-info, mapped like a callback, published when it is news.

A poll publishes only when it learns a stage of higher rank than the task is known to have reached, so a
task is never announced twice at one stage by the reconciler; whatever it publishes comes back through the
consumer and moves the task's row forward like any callback.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import structlog

from schemas.events import STAGE_RANK, CallbackReceived, Stage
from schemas.polling import RecordInfoError, RecordInfoReply, polled_event
from services.provider_client import ProviderError, ProviderUnavailable
from services.reconciler.metrics import ReconcilerMetrics
from services.reconciler.pacing import Pacer
from services.reconciler.publisher import Publisher, PublishError
from services.reconciler.store import Watch, WatchStore

log = structlog.get_logger("reconciler")
MAX_BACKOFF_DOUBLINGS = 5
"""Polls refused (or unanswered) in a row double the wait before the next one, up to 32 intervals."""
_FAILED = frozenset({"refused", "unreachable", "unreadable"})


class StatusSource(Protocol):
    async def record_info(self, task_id: str) -> RecordInfoReply: ...


@dataclass(frozen=True, kw_only=True)
class Timing:
    interval: float
    give_up_after: float
    scan_every: float
    batch: int = 100


class Poller:
    def __init__(
        self,
        *,
        store: WatchStore,
        source: StatusSource,
        publisher: Publisher,
        metrics: ReconcilerMetrics,
        pacer: Pacer,
        timing: Timing,
        concurrency: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._source, self._publisher = store, source, publisher
        self._metrics, self._pacer, self._timing, self._clock = metrics, pacer, timing, clock
        self._slots = asyncio.Semaphore(concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll what is due every `scan_every` seconds until `stop` is set."""
        while not stop.is_set():
            await self.poll_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._timing.scan_every)

    async def poll_due(self) -> list[str]:
        """Poll every task due now (within the rate limit); returns each poll's outcome."""
        due = await self._store.due(self._clock(), self._timing.batch)
        outcomes = list(await asyncio.gather(*(self._bounded(watch) for watch in due)))
        self._metrics.watched.set(await self._store.watched())
        return outcomes

    async def _bounded(self, watch: Watch) -> str:
        async with self._slots:
            return await self.poll(watch)

    async def poll(self, watch: Watch) -> str:
        """Poll one task, publish what is news, and schedule its next poll; returns the outcome."""
        with structlog.contextvars.bound_contextvars(task_id=watch.task_id):
            now = self._clock()
            if now - watch.first_seen_at > self._timing.give_up_after:
                await self._store.give_up(watch.task_id, now)
                self._metrics.gave_up.inc()
                log.warning("gave up", polls=watch.polls, detail="not final after VOCALS_GIVE_UP_AFTER_SECONDS")
                return "gave_up"
            await self._pacer.acquire()
            started = time.monotonic()
            outcome, status, stage = await self._ask(watch)
            elapsed = time.monotonic() - started
            if outcome != "publish_failed":
                failed = outcome in _FAILED
                streak = watch.failed_polls + 1 if failed else 0
                next_poll_at = now + self._timing.interval * 2 ** min(streak, MAX_BACKOFF_DOUBLINGS)
                await self._store.polled(
                    watch.task_id, status=status, stage=stage, next_poll_at=next_poll_at, failed=failed
                )
            self._metrics.polls.labels(outcome).inc()
            self._metrics.poll_duration.observe(elapsed)
            log.info("polled", outcome=outcome, status=status, stage=stage, duration_ms=round(elapsed * 1000, 1))
            return outcome

    async def _ask(self, watch: Watch) -> tuple[str, str | None, Stage | None]:
        try:
            reply = await self._source.record_info(watch.task_id)
            event = polled_event(reply, received_at=datetime.now(UTC))
        except ProviderError as exc:
            log.warning("poll refused", code=exc.code, error=str(exc))
            return "refused", None, None
        except ProviderUnavailable as exc:
            log.warning("poll failed", error=str(exc))
            return "unreachable", None, None
        except RecordInfoError as exc:
            log.warning("poll unreadable", error=str(exc))
            return "unreadable", None, None
        status = reply.info.status if reply.info is not None else None
        if event is None:
            return "pending", status, None
        if not _is_news(event, watch):
            return "no_news", status, event.stage
        try:
            await self._publisher.publish(event)
        except PublishError as exc:
            log.error("publish failed", error=str(exc), detail="the task is polled again at the next scan")
            return "publish_failed", status, None
        self._metrics.published.labels(event.stage.value).inc()
        return "published", status, event.stage


def _is_news(event: CallbackReceived, watch: Watch) -> bool:
    return event.stage != Stage.UNKNOWN and STAGE_RANK[event.stage] > watch.stage_rank
