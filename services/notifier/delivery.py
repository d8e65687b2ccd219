"""One notice through one channel: paced, retried with backoff (or Retry-After), within a deadline.

Retries live here and only here (slack_sdk's own retry handlers are off), so each one is counted.
The deadline bounds how long one channel can hold up its event: when it passes, the attempt ends
with `TransientSendError("deadline")`, the other channels keep what they sent, and the consume loop
retries the event later (channels that already sent it are skipped).
"""

import asyncio
import time
from dataclasses import dataclass

import stamina

from services.notifier.metrics import NotifierMetrics
from services.notifier.notice import Notice
from services.notifier.pacing import Pacer
from services.notifier.ports import TransientSendError


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    deadline_seconds: float = 30.0
    initial_seconds: float = 0.5
    max_seconds: float = 8.0


async def deliver(pacer: Pacer, notice: Notice, *, policy: RetryPolicy, metrics: NotifierMetrics) -> bool:
    """Returns once the channel accepted `notice` (True if inside a digest); raises on a permanent refusal
    or when the deadline passes."""
    last_reason = "none"

    def backoff(exc: Exception) -> bool | float:
        nonlocal last_reason
        if not isinstance(exc, TransientSendError):
            return False
        last_reason = exc.reason
        return exc.retry_after if exc.retry_after is not None else True

    started = time.perf_counter()
    try:
        async with asyncio.timeout(policy.deadline_seconds):
            async for attempt in stamina.retry_context(
                on=backoff,
                attempts=None,
                timeout=None,
                wait_initial=policy.initial_seconds,
                wait_max=policy.max_seconds,
                wait_jitter=policy.initial_seconds,
            ):
                with attempt:
                    if attempt.num > 1:
                        metrics.retries.labels(pacer.name, last_reason).inc()
                    in_digest = await pacer.send(notice)
                    metrics.send_duration.labels(pacer.name).observe(time.perf_counter() - started)
                    return in_digest
    except TimeoutError:
        raise TransientSendError(
            "deadline", f"{pacer.name} accepted nothing in {policy.deadline_seconds} s (last: {last_reason})"
        ) from None
    raise RuntimeError("stamina stopped retrying without an outcome")  # unreachable: attempts are unlimited
