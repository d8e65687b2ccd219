"""Bot mode against a local Slack Web API: one message per task, updated in place, failures in its thread."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from services.notifier.app import NotifierService, build
from services.notifier.migrate import upgrade
from services.notifier.ports import PermanentError
from services.notifier.settings import NotifierSettings
from services.notifier.slack_bot import SlackBotChannel
from services.notifier.store import SqlStore
from services.plumbing.database import make_engine
from tests.fixtures.slack import CHANNEL_ID, POST, UPDATE, FakeSlack, Reply
from tests.unit.notifier.fakes import PREFIX, callback, record, task_archived, track_archived


@pytest.fixture
async def bot(slack: FakeSlack, database_url: str) -> AsyncIterator[NotifierService]:
    """A notifier with only the bot channel, announcing every stage, on a fresh database."""
    engine = make_engine(database_url)
    await upgrade(engine)
    store = SqlStore(engine)
    settings = NotifierSettings(
        kafka_topic_prefix=PREFIX,
        notify_slack_stages=("text", "first", "complete", "failed", "archived"),
        slack_min_interval_seconds=0,
        retry_initial_seconds=0.05,
        retry_max_seconds=0.1,
    )
    channel = SlackBotChannel.create(
        slack.token, channel="#vocals", api_url=slack.api_url, timeout_seconds=5, refs=store
    )
    service = build(settings, store=store, channels=[channel], registry=CollectorRegistry())
    yield service
    await engine.dispose()


async def test_a_task_is_one_message_updated_as_it_moves_on(bot: NotifierService, slack: FakeSlack) -> None:
    """text, first, complete and the archive: one chat.postMessage, then chat.update of that same message."""
    complete = callback("complete")
    events = [callback("text"), callback("first"), complete, track_archived(complete, 0), task_archived(complete)]

    for event in events:
        await bot.notifier.handle(record(event))

    [posted] = slack.accepted(POST)
    updates = slack.accepted(UPDATE)
    assert posted.body["channel"] == "#vocals"
    assert [update.body["ts"] for update in updates] == ["1700000000.000001"] * 3
    assert [update.body["channel"] for update in updates] == [CHANNEL_ID] * 3
    [message] = slack.messages.values()
    assert message["blocks"][0]["text"]["text"] == ":file_cabinet: Archived: Neon Rain"
    assert f"http://archive.test/tasks/{complete.task_id}" in message["blocks"][-1]["text"]["text"]


async def test_a_failure_is_posted_in_the_task_thread(bot: NotifierService, slack: FakeSlack) -> None:
    """After `first`, a failure of the same task is a reply in the thread of the task's message."""
    first = callback("first")
    failure = callback("failed-credits", task_id=first.task_id)

    await bot.notifier.handle(record(first))
    await bot.notifier.handle(record(failure))

    top, reply = slack.accepted(POST)
    assert "thread_ts" not in top.body
    assert reply.body["thread_ts"] == "1700000000.000001"
    assert reply.body["blocks"][0]["text"]["text"] == ":x: Failed: Neon Rain"


async def test_a_deleted_message_is_posted_anew(bot: NotifierService, slack: FakeSlack) -> None:
    """If the task's message was deleted, the next stage posts a new message and later updates use it."""
    await bot.notifier.handle(record(callback("first")))
    slack.messages.clear()

    await bot.notifier.handle(record(callback("complete")))

    assert [request.status for request in slack.received(UPDATE)] == [200]
    assert [request.body["channel"] for request in slack.accepted(POST)] == ["#vocals", "#vocals"]
    assert list(slack.messages) == ["1700000000.000002"]


async def test_redelivered_stage_does_not_touch_the_message_again(bot: NotifierService, slack: FakeSlack) -> None:
    """The same `complete` handled twice updates the message once."""
    await bot.notifier.handle(record(callback("first")))
    await bot.notifier.handle(record(callback("complete")))
    await bot.notifier.handle(record(callback("complete")))

    assert (len(slack.accepted(POST)), len(slack.accepted(UPDATE))) == (1, 1)


async def test_an_unknown_channel_is_a_permanent_refusal(bot: NotifierService, slack: FakeSlack) -> None:
    """chat.postMessage answering channel_not_found raises PermanentError telling the operator what to fix."""
    slack.script(POST, Reply(200, "channel_not_found"))

    with pytest.raises(PermanentError, match="channel_not_found; the channel is gone or the bot is not in it"):
        await bot.notifier.handle(record(callback("first")))


async def test_rate_limited_web_api_waits_and_posts_once(bot: NotifierService, slack: FakeSlack) -> None:
    """chat.postMessage answering 429 with Retry-After: 1 is retried after a second and posts once."""
    slack.script(POST, Reply(429, "ratelimited", retry_after=1))

    await bot.notifier.handle(record(callback("first")))

    refused, accepted = slack.received(POST)
    assert accepted.at - refused.at >= 1.0
    assert len(slack.messages) == 1
