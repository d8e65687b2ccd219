"""Pacing: at most one message per interval per channel; a burst becomes one digest."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.notifier.notice import Notice
from services.notifier.pacing import Pacer
from services.notifier.ports import PermanentError, TransientSendError
from tests.unit.notifier.fakes import DigestRecordingChannel, RecordingChannel


def notices(count: int) -> list[Notice]:
    return [Notice(event_id=f"e{i}", task_id=f"t{i}", stage="first", title=f"song {i}") for i in range(count)]


class TimedChannel(DigestRecordingChannel):
    """Also notes when each message (single or digest) was accepted."""

    def __init__(self, name: str, *failures: Exception) -> None:
        super().__init__(name, *failures)
        self.times: list[float] = []

    async def send(self, notice: Notice) -> None:
        await super().send(notice)
        self.times.append(time.monotonic())

    async def send_digest(self, notices: object) -> None:
        await super().send_digest(notices)  # type: ignore[arg-type]
        self.times.append(time.monotonic())


async def test_a_burst_beyond_the_threshold_becomes_one_digest() -> None:
    """One notice, then four at once within the interval: the four wait their turn and go as one digest."""
    channel = TimedChannel("slack_webhook")
    pacer = Pacer(channel, interval=0.2, digest_threshold=3)
    first, *burst = notices(5)

    alone = await pacer.send(first)
    in_digest = await asyncio.gather(*(pacer.send(notice) for notice in burst))

    assert [notice.event_id for notice in channel.sent] == ["e0"]
    assert [[notice.event_id for notice in digest] for digest in channel.digests] == [["e1", "e2", "e3", "e4"]]
    assert (alone, in_digest) == (False, [True, True, True, True])
    assert channel.times[1] - channel.times[0] >= 0.19


async def test_a_small_queue_is_sent_one_by_one_at_the_interval() -> None:
    """Two notices (below the threshold) go as two messages, the second an interval after the first."""
    channel = TimedChannel("slack_webhook")
    pacer = Pacer(channel, interval=0.2, digest_threshold=3)

    await asyncio.gather(*(pacer.send(notice) for notice in notices(2)))

    assert [notice.event_id for notice in channel.sent] == ["e0", "e1"]
    assert channel.digests == []
    assert channel.times[1] - channel.times[0] >= 0.19


async def test_a_channel_without_digests_sends_every_notice_in_turn() -> None:
    """A channel that cannot digest gets every notice of a burst on its own."""
    channel = RecordingChannel("slack_bot")
    pacer = Pacer(channel, interval=0.0, digest_threshold=3)

    await asyncio.gather(*(pacer.send(notice) for notice in notices(4)))

    assert [notice.event_id for notice in channel.sent] == ["e0", "e1", "e2", "e3"]


async def test_retry_after_holds_back_the_next_message() -> None:
    """After a 429 with Retry-After, the next message waits that long, not just the interval."""
    channel = TimedChannel("slack_webhook", TransientSendError("rate_limited", "429", retry_after=0.4))
    pacer = Pacer(channel, interval=0.05, digest_threshold=None)
    first, second = notices(2)

    with pytest.raises(TransientSendError):
        await pacer.send(first)
    refused_at = time.monotonic()
    await pacer.send(second)

    assert channel.times[0] - refused_at >= 0.35


async def test_a_failed_digest_fails_every_notice_in_it() -> None:
    """A digest refused for good raises the same PermanentError for each of its notices."""
    channel = TimedChannel("slack_webhook")
    pacer = Pacer(channel, interval=0.1, digest_threshold=2)
    await pacer.send(notices(1)[0])
    channel.failures.append(PermanentError("invalid_payload"))

    results = await asyncio.gather(*(pacer.send(notice) for notice in notices(3)), return_exceptions=True)

    assert [type(result) for result in results] == [PermanentError] * 3


async def test_a_cancelled_waiter_leaves_nothing_queued() -> None:
    """A caller cancelled while waiting for its turn is not sent later by someone else."""
    channel = TimedChannel("slack_webhook")
    pacer = Pacer(channel, interval=0.3, digest_threshold=2)
    first, cancelled, third = notices(3)
    await pacer.send(first)

    waiting = asyncio.create_task(pacer.send(cancelled))
    await asyncio.sleep(0)  # let it queue
    waiting.cancel()
    await pacer.send(third)

    assert [notice.event_id for notice in channel.sent] == ["e0", "e2"]
    assert channel.digests == []
