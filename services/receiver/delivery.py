"""Getting an event durable: straight to Kafka when it is healthy, else into the spool, in per-task order.

A task with events in the spool sends its newer events behind them, and a background drainer moves the
spool to Kafka once the broker answers again. Event ids published recently are remembered (bounded) so a
retried callback is not published twice; concurrent copies of one callback wait for the first.
"""

import asyncio
import random
import time
from collections import OrderedDict
from enum import StrEnum

import structlog

from services.receiver.metrics import ReceiverMetrics
from services.receiver.outgoing import OutgoingMessage
from services.receiver.publisher import Publisher, PublishError
from services.receiver.spool import Spool

log = structlog.get_logger("receiver.delivery")
DRAIN_BATCH = 500


class Outcome(StrEnum):
    PUBLISHED = "published"
    SPOOLED = "spooled"
    DUPLICATE = "duplicate"


class Delivery:
    def __init__(
        self,
        publisher: Publisher,
        spool: Spool,
        metrics: ReceiverMetrics,
        *,
        publish_timeout: float,
        dedup_capacity: int,
    ) -> None:
        self._publisher = publisher
        self._spool = spool
        self._metrics = metrics
        self._publish_timeout = publish_timeout
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._dedup_capacity = dedup_capacity
        self._in_flight: dict[str, asyncio.Future[Outcome]] = {}
        self._task_tail: dict[str, asyncio.Future[Outcome]] = {}
        """Each task's latest delivery in progress: the next event of that task waits for it."""
        self._spooled = asyncio.Event()
        self._unconfirmed: dict[str, asyncio.Future[None]] = {}
        """Sends that outlived the publish timeout but may still be delivered by the producer's own retries:
        the drainer waits for their outcome instead of publishing the spooled copy a second time."""
        self.kafka_healthy = True
        """False from a failed publish until the next one succeeds: meanwhile events go to the spool."""

    async def deliver(self, message: OutgoingMessage) -> Outcome:
        """Return once the message is acknowledged by Kafka or in the spool; raises SpoolFull."""
        if message.event_id in self._recent:
            self._recent.move_to_end(message.event_id)
            return Outcome.DUPLICATE
        first = self._in_flight.get(message.event_id)
        if first is not None:
            await asyncio.shield(first)
            return Outcome.DUPLICATE
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._in_flight[message.event_id] = done
        ahead = self._task_tail.get(message.task_id)
        self._task_tail[message.task_id] = done
        try:
            if ahead is not None and not ahead.done():
                await asyncio.wait((ahead,))  # the task's earlier event first, whatever its outcome
            outcome = await self._route(message)
        except BaseException as exc:
            done.set_exception(exc)
            done.exception()  # retrieved here so waiters alone decide whether it is reported
            raise
        else:
            done.set_result(outcome)
        finally:
            del self._in_flight[message.event_id]
            if self._task_tail.get(message.task_id) is done:
                del self._task_tail[message.task_id]
        self._remember(message.event_id)
        return outcome

    async def _route(self, message: OutgoingMessage) -> Outcome:
        """Straight to Kafka unless the task already waits in the spool or Kafka is known to be away."""
        if self._spool.holds_task(message.task_id) or not self._publisher.connected or not self.kafka_healthy:
            return await self._to_spool(message)
        if await self._publish(message):
            return Outcome.PUBLISHED
        return await self._to_spool(message)

    async def _publish(self, message: OutgoingMessage) -> bool:
        started = time.perf_counter()
        ack: asyncio.Future[None] | None = None
        try:
            async with asyncio.timeout(self._publish_timeout):
                ack = await self._publisher.send(message)
                await asyncio.shield(ack)
        except (PublishError, TimeoutError) as exc:
            if ack is not None and not ack.done():
                self._unconfirmed[message.event_id] = ack
            self._metrics.publish_failed.observe(time.perf_counter() - started)
            if self.kafka_healthy:
                log.warning("kafka_publish_failed", task_id=message.task_id, error=repr(exc))
            self._set_healthy(False)
            return False
        self._metrics.publish_ok.observe(time.perf_counter() - started)
        self._set_healthy(True)
        return True

    async def _publish_spooled(self, message: OutgoingMessage) -> bool | None:
        """Publish a spooled copy, unless an earlier send of it is still pending (None) or got through."""
        earlier = self._unconfirmed.get(message.event_id)
        if earlier is not None:
            if not earlier.done():
                return None
            del self._unconfirmed[message.event_id]
            if not earlier.cancelled() and earlier.exception() is None:
                self._set_healthy(True)
                return True
        return await self._publish(message)

    async def _to_spool(self, message: OutgoingMessage) -> Outcome:
        await self._spool.append(message)
        self._spooled.set()
        return Outcome.SPOOLED

    def _remember(self, event_id: str) -> None:
        if self._dedup_capacity == 0:
            return
        self._recent[event_id] = None
        if len(self._recent) > self._dedup_capacity:
            self._recent.popitem(last=False)

    def _set_healthy(self, healthy: bool) -> None:
        if healthy is self.kafka_healthy:
            return
        self.kafka_healthy = healthy
        self._metrics.kafka_connected.set(1 if healthy else 0)

    async def drain_forever(self) -> None:
        """Move spooled events to Kafka, oldest first, backing off while the broker does not answer."""
        delay = 0.2
        while True:
            if self._spool.depth() == 0:
                self._spooled.clear()
                await self._spooled.wait()
                continue
            moved = await self.drain_once()
            if moved:
                delay = 0.2
                continue
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 5.0)

    async def drain_once(self) -> int:
        """Publish the oldest spooled event of each waiting task concurrently; return how many Kafka took."""
        if not self._publisher.connected:
            return 0
        batch = await self._spool.head_per_task(DRAIN_BATCH)
        results = await asyncio.gather(*(self._publish_spooled(message) for _, message in batch))
        published = [seq for (seq, _), ok in zip(batch, results, strict=True) if ok]
        await self._spool.remove(published)
        if published:
            log.info("spool_drained", published=len(published), waiting=self._spool.depth())
        return len(published)
