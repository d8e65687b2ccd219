"""Delivery through one channel: retries with backoff or Retry-After, permanent refusals, the deadline."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry

from services.notifier.delivery import RetryPolicy, deliver
from services.notifier.metrics import NotifierMetrics
from services.notifier.notice import Notice
from services.notifier.pacing import Pacer
from services.notifier.ports import PermanentError, TransientSendError
from tests.unit.notifier.fakes import RecordingChannel

NOTICE = Notice(event_id="e", task_id="t", stage="complete", title="Song")
FAST = RetryPolicy(deadline_seconds=5, initial_seconds=0.01, max_seconds=0.02)


async def send_through(channel: RecordingChannel, policy: RetryPolicy = FAST) -> tuple[CollectorRegistry, bool]:
    registry = CollectorRegistry()
    pacer = Pacer(channel, interval=0, digest_threshold=None)
    return registry, await deliver(pacer, NOTICE, policy=policy, metrics=NotifierMetrics(registry))


async def test_rate_limit_waits_for_retry_after_then_sends_once() -> None:
    """A 429 with Retry-After 0.5 s is retried after at least 0.5 s, and the notice is sent once."""
    channel = RecordingChannel("slack_webhook", TransientSendError("rate_limited", "429", retry_after=0.5))
    started = time.monotonic()

    registry, _ = await send_through(channel)

    assert time.monotonic() - started >= 0.5
    assert (channel.attempts, len(channel.sent)) == (2, 1)
    labels = {"channel": "slack_webhook", "reason": "rate_limited"}
    assert registry.get_sample_value("vocals_notifier_retries_total", labels) == 1


async def test_connection_errors_back_off_and_retry() -> None:
    """Three refused connections then success: sent once after three counted retries."""
    channel = RecordingChannel("email", *[TransientSendError("connection", "refused")] * 3)

    registry, _ = await send_through(channel)

    assert channel.attempts == 4
    labels = {"channel": "email", "reason": "connection"}
    assert registry.get_sample_value("vocals_notifier_retries_total", labels) == 3
    assert registry.get_sample_value("vocals_notifier_send_duration_seconds_count", {"channel": "email"}) == 1


async def test_permanent_refusal_is_not_retried() -> None:
    """A PermanentError is raised at once: one attempt, nothing sent."""
    channel = RecordingChannel("email", PermanentError("554 rejected"))

    with pytest.raises(PermanentError, match="554"):
        await send_through(channel)

    assert (channel.attempts, channel.sent) == (1, [])


async def test_deadline_ends_the_retries() -> None:
    """A channel failing for longer than the deadline gives up with a `deadline` error naming the last reason."""
    channel = RecordingChannel("slack_webhook", *[TransientSendError("server_error", "500")] * 1000)
    policy = RetryPolicy(deadline_seconds=0.3, initial_seconds=0.01, max_seconds=0.05)

    with pytest.raises(TransientSendError, match=r"slack_webhook accepted nothing in 0.3 s \(last: server_error\)"):
        await send_through(channel, policy)

    assert channel.sent == []
