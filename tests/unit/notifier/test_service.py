"""The handler: routing, exactly once per (event, channel), stage order, the archive, failures."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from schemas.events import Stage
from services.notifier.app import build
from services.notifier.ports import PermanentError, TransientSendError
from services.notifier.service import Notifier
from services.notifier.settings import NotifierSettings
from tests.unit.notifier.fakes import (
    CALLBACKS,
    PREFIX,
    FakeStore,
    RecordingChannel,
    callback,
    record,
    task_archived,
    track_archived,
)


class Harness:
    def __init__(self, *channels: Any, **settings: Any) -> None:
        self.store = FakeStore()
        self.registry = CollectorRegistry()
        config = NotifierSettings(
            kafka_topic_prefix=PREFIX,
            slack_min_interval_seconds=0,
            send_deadline_seconds=settings.pop("deadline", 2.0),
            retry_initial_seconds=0.01,
            retry_max_seconds=0.05,
            **settings,
        )
        self.channels = {channel.name: channel for channel in channels}
        self.notifier: Notifier = build(config, store=self.store, channels=channels, registry=self.registry).notifier

    async def handle(self, *events: Any) -> None:
        for event in events:
            await self.notifier.handle(record(event))

    def stages(self, channel: str) -> list[str]:
        return [notice.stage for notice in self.channels[channel].sent]

    def count(self, channel: str, outcome: str) -> float:
        labels = {"channel": channel, "outcome": outcome}
        return self.registry.get_sample_value("vocals_notifier_channel_messages_total", labels) or 0.0


def slack_and_email(*slack_failures: Exception, email_failures: tuple[Exception, ...] = ()) -> tuple[Any, Any]:
    return RecordingChannel("slack_webhook", *slack_failures), RecordingChannel("email", *email_failures)


async def test_default_routing_announces_each_stage_on_its_channels() -> None:
    """text goes nowhere, first to Slack only, complete and failed to Slack and email."""
    harness = Harness(*slack_and_email())

    await harness.handle(callback("text"), callback("first"), callback("complete"), callback("failed-credits"))

    assert harness.stages("slack_webhook") == ["first", "complete", "failed"]
    assert harness.stages("email") == ["complete", "failed"]
    assert sorted(channel for (_, channel) in harness.store.sent) == ["email", "email"] + ["slack_webhook"] * 3


async def test_routing_follows_settings() -> None:
    """Stages listed per channel in settings are the ones it announces; an empty list turns it off."""
    harness = Harness(*slack_and_email(), notify_slack_stages=(), notify_email_stages=("text", "first"))

    await harness.handle(callback("text"), callback("first"), callback("complete"))

    assert harness.stages("slack_webhook") == []
    assert harness.stages("email") == ["text", "first"]


async def test_a_duplicate_or_redelivered_event_sends_nothing() -> None:
    """The same event handled three times produces one message per channel and counts the duplicates."""
    harness = Harness(*slack_and_email())
    event = callback("complete")

    await harness.handle(event, event, event)

    assert harness.stages("slack_webhook") == ["complete"]
    assert harness.stages("email") == ["complete"]
    assert harness.count("slack_webhook", "duplicate") == 2
    assert harness.count("email", "sent") == 1


async def test_a_late_earlier_stage_is_not_announced() -> None:
    """A `first` arriving after `complete` is superseded: no channel announces it."""
    harness = Harness(*slack_and_email())

    await harness.handle(callback("complete"), callback("first"))

    assert harness.stages("slack_webhook") == ["complete"]
    assert harness.count("slack_webhook", "superseded") == 1


async def test_a_second_event_for_an_announced_stage_is_not_announced() -> None:
    """A polled copy of an announced `complete` (another event id) does not announce it again."""
    harness = Harness(*slack_and_email())

    await harness.handle(callback("complete"), callback("complete", event_id="polled-copy"))

    assert harness.stages("email") == ["complete"]


async def test_a_failure_after_first_names_the_task_by_its_title() -> None:
    """A failure carries no tracks; its notice still uses the title learnt from `first`."""
    harness = Harness(*slack_and_email())
    failure = callback("failed-credits", task_id=callback("first").task_id)

    await harness.handle(callback("first"), failure)

    assert [notice.title for notice in harness.channels["slack_webhook"].sent] == ["Neon Rain", "Neon Rain"]


async def test_one_channel_failing_for_now_keeps_what_the_other_sent() -> None:
    """Email failing past its deadline fails the event; its redelivery sends email only, Slack not again."""
    outage = [TransientSendError("connection", "down")] * 50
    harness = Harness(*slack_and_email(email_failures=tuple(outage)), deadline=0.3)
    event = callback("complete")

    with pytest.raises(TransientSendError, match="deadline"):
        await harness.handle(event)
    harness.channels["email"].failures.clear()
    await harness.handle(event)

    assert harness.stages("slack_webhook") == ["complete"]
    assert harness.stages("email") == ["complete"]
    assert harness.count("email", "failed") == 1


async def test_a_permanent_refusal_is_raised_for_the_dead_letter_topic() -> None:
    """Slack refusing the message raises PermanentError with its reason; email is still sent and recorded."""
    refused = PermanentError("Slack webhook refused the message: HTTP 404 channel_not_found")
    harness = Harness(*slack_and_email(refused))

    with pytest.raises(PermanentError, match="channel_not_found"):
        await harness.handle(callback("failed-credits"))

    assert harness.stages("email") == ["failed"]
    assert {channel for (_, channel) in harness.store.sent} == {"email"}
    assert harness.count("slack_webhook", "rejected") == 1


async def test_transient_failures_are_retried_and_counted() -> None:
    """Two 5xx answers then success: one message, two retries counted under their reason."""
    errors = [TransientSendError("server_error", "HTTP 500")] * 2
    harness = Harness(*slack_and_email(*errors))

    await harness.handle(callback("complete"))

    assert harness.stages("slack_webhook") == ["complete"]
    retries = harness.registry.get_sample_value(
        "vocals_notifier_retries_total", {"channel": "slack_webhook", "reason": "server_error"}
    )
    assert retries == 2


class HangingChannel(RecordingChannel):
    async def send(self, notice: Any) -> None:
        await asyncio.Event().wait()


async def test_a_hanging_channel_holds_the_event_only_until_its_deadline() -> None:
    """Slack never answering does not stop email, and the handler gives up after the deadline."""
    harness = Harness(HangingChannel("slack_webhook"), RecordingChannel("email"), deadline=0.3)
    started = time.monotonic()

    with pytest.raises(TransientSendError, match="deadline"):
        await harness.handle(callback("complete"))

    assert time.monotonic() - started < 2.0
    assert harness.stages("email") == ["complete"]
    assert {channel for (_, channel) in harness.store.sent} == {"email"}


async def test_a_send_not_recorded_fails_the_event() -> None:
    """If the database cannot record a send, the handler raises so the offset is not committed."""
    harness = Harness(*slack_and_email())
    harness.store.fail_record = True

    with pytest.raises(ConnectionError):
        await harness.handle(callback("complete"))


async def test_archive_after_complete_sends_one_archived_follow_up() -> None:
    """TaskArchived after an announced `complete` sends an `archived` notice with durable links, once."""
    harness = Harness(*slack_and_email())
    complete = callback("complete")

    await harness.handle(complete, track_archived(complete, 0), track_archived(complete, 1))
    await harness.handle(task_archived(complete), task_archived(complete))

    assert harness.stages("slack_webhook") == ["complete", "archived"]
    assert harness.stages("email") == ["complete"]
    follow_up = harness.channels["slack_webhook"].sent[1]
    assert follow_up.archive_url == f"http://archive.test/tasks/{complete.task_id}"
    assert follow_up.tracks[1].archived_audio_url == f"http://archive.test/tracks/{complete.tracks[1].id}/audio"


async def test_archive_before_complete_goes_into_the_complete_notice() -> None:
    """When the archive is known first, `complete` carries its links and no follow-up is sent."""
    harness = Harness(*slack_and_email())
    complete = callback("complete")

    await harness.handle(track_archived(complete, 0), task_archived(complete), complete)

    assert harness.stages("slack_webhook") == ["complete"]
    notice = harness.channels["email"].sent[0]
    assert notice.archive_url == f"http://archive.test/tasks/{complete.task_id}"
    assert notice.tracks[0].archived_cover_url == f"http://archive.test/tracks/{complete.tracks[0].id}/cover"


async def test_archive_of_a_task_never_announced_complete_sends_nothing() -> None:
    """TaskArchived for a task whose `complete` was not announced only stores the links."""
    harness = Harness(*slack_and_email())

    await harness.handle(callback("first"), task_archived(callback("complete")))

    assert harness.stages("slack_webhook") == ["first"]


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [(CALLBACKS, b"{not json", "undecodable message at test.vocals.callbacks"), ("elsewhere", b"{}", "does not read")],
)
async def test_undecodable_or_foreign_records_can_never_succeed(topic: str, value: bytes, reason: str) -> None:
    """A record that is not an event of the topics it reads raises PermanentError naming where it was."""
    harness = Harness(*slack_and_email())
    bad = dataclasses.replace(record(callback("complete"), topic=topic), value=value)

    with pytest.raises(PermanentError, match=reason):
        await harness.notifier.handle(bad)


async def test_unknown_stage_is_not_announced() -> None:
    """A callback type this contract does not know is kept on the bus but announced nowhere."""
    harness = Harness(*slack_and_email())
    await harness.handle(callback("text", callback_type="lyrics_v2", stage=Stage.UNKNOWN))

    assert harness.channels["slack_webhook"].attempts == 0
