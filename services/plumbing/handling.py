"""What happens to one record: the handler, retried with backoff; a dead letter if it can never succeed."""

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import structlog
from aiokafka import ConsumerRecord
from structlog.typing import FilteringBoundLogger

from services.plumbing.consumer_metrics import ConsumerMetrics

_log = structlog.get_logger(__name__)

Handler = Callable[[ConsumerRecord[bytes, bytes]], Awaitable[None]]
"""Handles one record (`record.key` and `record.value` are bytes); must be idempotent."""

_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]*")


class PermanentError(Exception):
    """The record can never succeed: it goes to vocals.dlq with `reason` in its headers, and is committed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class ConsumerConfig:
    """How one service consumes: its group, topics, metric prefix, concurrency, commits and retries."""

    group_id: str
    topics: tuple[str, ...]
    service: str
    max_concurrency: int = 1
    commit_interval_s: float = 1.0
    commit_batch: int = 100
    retry_attempts: int = 5
    """Handler calls per record, the first included, before the consumer gives up and stops."""
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0

    def __post_init__(self) -> None:
        checks = (
            (_SERVICE_NAME.fullmatch(self.service), f"service {self.service!r} must match [a-z][a-z0-9_]*"),
            (self.topics and self.group_id, "topics and group_id must not be empty"),
            (
                min(self.max_concurrency, self.commit_batch, self.retry_attempts) >= 1,
                "max_concurrency, commit_batch, retry_attempts must be >= 1",
            ),
            (self.commit_interval_s > 0, "commit_interval_s must be positive"),
            (0 <= self.retry_initial_s <= self.retry_max_s, "need 0 <= retry_initial_s <= retry_max_s"),
        )
        problems = [problem for passed, problem in checks if not passed]
        if problems:
            raise ValueError(f"invalid ConsumerConfig for group {self.group_id!r}: {'; '.join(problems)}")


class DeadLetters(Protocol):
    async def park(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None: ...


def backoff_delay(attempt: int, *, initial: float, maximum: float, jitter: float | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): doubling, capped, the upper half jittered."""
    ceiling = min(maximum, initial * 2.0 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * (random.random() if jitter is None else jitter)


class RecordRunner:
    """Takes one record to a final outcome (ok or dead-lettered), or raises the handler's last error."""

    def __init__(
        self,
        config: ConsumerConfig,
        handler: Handler,
        metrics: ConsumerMetrics,
        dead_letters: DeadLetters,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._handler = handler
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._sleep = sleep

    async def run(self, record: ConsumerRecord[bytes, bytes]) -> None:
        key = None if record.key is None else record.key.decode(errors="replace")
        context = {"topic": record.topic, "partition": record.partition, "offset": record.offset, "key": key}
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(**context):  # the handler's own lines carry them too
            try:
                outcome = await self._outcome(record, _log.bind(**context))
            except Exception:
                self._metrics.messages.labels(record.topic, "failed").inc()
                raise
            finally:
                self._metrics.handle_duration.labels(record.topic).observe(time.perf_counter() - started)
        self._metrics.messages.labels(record.topic, outcome).inc()

    async def _outcome(self, record: ConsumerRecord[bytes, bytes], log: FilteringBoundLogger) -> str:
        try:
            await self._with_retries(record, log)
        except PermanentError as exc:
            log.warning("consumer.dead_lettering", reason=exc.reason)
            try:
                await self._dead_letters.park(record, exc.reason)
            except Exception as send_error:
                log.error(
                    "consumer.dead_letter_failed",
                    reason=exc.reason,
                    error=repr(send_error),
                    next_step="stopping without committing this record; check that vocals.dlq exists and is writable",
                )
                raise
            self._metrics.dead_letters.labels(record.topic).inc()
            return "dead_lettered"
        return "ok"

    async def _with_retries(self, record: ConsumerRecord[bytes, bytes], log: FilteringBoundLogger) -> None:
        config = self._config
        for attempt in range(1, config.retry_attempts + 1):
            try:
                await self._handler(record)
                return
            except PermanentError:
                raise
            except Exception as exc:
                reason = type(exc).__name__
                if attempt == config.retry_attempts:
                    log.error(
                        "consumer.gave_up",
                        reason=reason,
                        error=str(exc),
                        attempts=attempt,
                        next_step="stopping without committing this record; it is redelivered on restart",
                    )
                    raise
                delay = backoff_delay(attempt, initial=config.retry_initial_s, maximum=config.retry_max_s)
                self._metrics.retries.labels(record.topic, reason).inc()
                log.warning("consumer.retrying", reason=reason, error=str(exc), attempt=attempt, delay_s=delay)
                await self._sleep(delay)
