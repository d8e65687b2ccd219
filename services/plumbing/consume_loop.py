"""The fetch / dispatch / commit loop behind `run_consumer`, and what it does when partitions move."""

import asyncio
import contextlib
import time
from functools import partial

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from services.plumbing.consumer_metrics import ConsumerMetrics, forget_lag, observe_lag
from services.plumbing.handling import ConsumerConfig, RecordRunner
from services.plumbing.keyed import KeyedScheduler, finish_or_cancel
from services.plumbing.offsets import OffsetTracker, PartitionProgress

log = structlog.get_logger(__name__)

POLL_S = 0.2
"""Longest wait for new records (or for a free slot) before the loop looks at stop, failures and commits."""
DRAIN_TIMEOUT_S = 30.0
"""How long in-flight records may take to finish at stop or on revoke before they are cancelled."""
PENDING_PER_SLOT = 4
"""Back-pressure: fetching pauses while max_concurrency * this many records are pending."""


class ConsumerLoop:
    """Fetches while there is room, runs records through the scheduler, and commits only finished prefixes."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        config: ConsumerConfig,
        runner: RecordRunner,
        metrics: ConsumerMetrics,
        *,
        stop: asyncio.Event,
        ready: asyncio.Event | None,
    ) -> None:
        self._consumer, self._config, self._runner, self._metrics = consumer, config, runner, metrics
        self._stop, self._ready = stop, ready
        self._tracker = OffsetTracker()
        self._scheduler = KeyedScheduler(config.max_concurrency)
        self._failure: Exception | None = None
        self._progress = asyncio.Event()
        self._commit_lock = asyncio.Lock()
        self._last_commit = time.monotonic()
        self.listener = _Rebalance(self)

    async def run(self) -> None:
        """Until `stop` is set or a record fails for good; then drain, commit what is done, and return/raise."""
        drain_timeout = DRAIN_TIMEOUT_S
        try:
            while not self._stop.is_set() and self._failure is None:
                await self._fetch_or_wait()
                if self._ready is not None and self._consumer.assignment():
                    self._ready.set()
                await self._maybe_commit()
        except asyncio.CancelledError:
            drain_timeout = 0  # whoever cancels us wants out now: in-flight records are redelivered
            raise
        finally:
            cancelled = await finish_or_cancel(self._scheduler.tasks(), drain_timeout)
            if cancelled:
                log.warning("consumer.drain_timeout", cancelled=cancelled, timeout_s=DRAIN_TIMEOUT_S)
            await self._commit()
        if self._failure is not None:
            raise self._failure

    async def _fetch_or_wait(self) -> None:
        room = self._config.max_concurrency * PENDING_PER_SLOT - self._tracker.pending
        if room <= 0:
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_S):
                    await self._progress.wait()
            return
        batches = await self._consumer.getmany(timeout_ms=int(POLL_S * 1000), max_records=room)
        for records in batches.values():
            for record in records:
                self._dispatch(record)

    def _dispatch(self, record: ConsumerRecord[bytes, bytes]) -> None:
        tp = TopicPartition(record.topic, record.partition)  # getmany returns only records of owned partitions
        progress = self._tracker.fetched(tp, record.offset)
        job = partial(self._process, record, progress)
        self._scheduler.submit((tp, record.key), tp, job, skip=partial(self._unwanted, progress))

    def _unwanted(self, progress: PartitionProgress) -> bool:
        """After a failure nothing new starts; after a revoke, nothing of that partition does."""
        return self._failure is not None or progress.revoked

    async def _process(self, record: ConsumerRecord[bytes, bytes], progress: PartitionProgress) -> None:
        if self._unwanted(progress):
            return
        try:
            await self._runner.run(record)
            self._tracker.done(progress, record.offset)
        except Exception as exc:
            if self._failure is None:
                self._failure = exc
        finally:
            self._progress.set()

    async def _maybe_commit(self) -> None:
        interval_due = time.monotonic() - self._last_commit >= self._config.commit_interval_s
        if interval_due or self._tracker.done_since_commit >= self._config.commit_batch:
            await self._commit()
        if interval_due:
            self._last_commit = time.monotonic()
            await observe_lag(self._consumer, self._metrics.lag)

    async def _commit(self, only: set[TopicPartition] | None = None) -> None:
        async with self._commit_lock:
            offsets = self._tracker.to_commit(only)
            if not offsets:
                return
            try:
                await self._consumer.commit(offsets)
            except (CommitFailedError, IllegalStateError) as exc:
                log.warning(
                    "consumer.commit_rejected",
                    error=str(exc),
                    partitions=len(offsets),
                    next_step="the group rebalanced; records after the last accepted commit are redelivered",
                )
                return
            self._tracker.committed(offsets, everything=only is None)
            self._metrics.commits.inc()

    async def revoked(self, tps: set[TopicPartition]) -> None:
        """Let the revoked partitions' started records finish (bounded), commit them, and forget them.

        Their records that have not started are skipped: uncommitted, they go to the next owner.
        """
        if not tps:
            return
        self._tracker.revoke(tps)
        try:
            cancelled = await finish_or_cancel(self._scheduler.tasks(tps), DRAIN_TIMEOUT_S)
            await self._commit(only=tps)
        finally:
            self._tracker.drop(tps)
            forget_lag(self._metrics.lag, tps)
        log.info("consumer.revoked", partitions=_names(tps), cancelled=cancelled)


def _names(tps: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}:{tp.partition}" for tp in tps)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka awaits these around every rebalance, before any member takes over the revoked partitions."""

    def __init__(self, loop: ConsumerLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._loop.revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("consumer.assigned", partitions=_names(set(assigned)))
