"""SlackWebhookChannel against a local server that answers like Slack's incoming webhook."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import CollectorRegistry

from services.notifier.delivery import RetryPolicy, deliver
from services.notifier.metrics import NotifierMetrics
from services.notifier.notice import notice_for_callback
from services.notifier.pacing import Pacer
from services.notifier.ports import PermanentError, TransientSendError
from services.notifier.slack_webhook import SlackWebhookChannel
from tests.fixtures.slack import WEBHOOK, FakeSlack, Reply
from tests.fixtures.smtp import free_port
from tests.unit.notifier.fakes import callback

NOTICE = notice_for_callback(callback("complete"), archive=None, known_title=None)


def webhook(slack: FakeSlack) -> SlackWebhookChannel:
    return SlackWebhookChannel.create(slack.webhook_url, timeout_seconds=5)


async def test_a_notice_is_posted_as_block_kit_with_a_text_fallback(slack: FakeSlack) -> None:
    """The webhook receives the notice's blocks, its fallback text, and unfurling switched off."""
    await webhook(slack).send(NOTICE)

    [request] = slack.accepted(WEBHOOK)
    assert request.body["text"] == "Complete: Neon Rain (task 3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b)"
    assert request.body["blocks"][0]["text"]["text"] == ":white_check_mark: Complete: Neon Rain"
    assert (request.body["unfurl_links"], request.body["unfurl_media"]) == (False, False)


async def test_rate_limited_then_accepted_posts_exactly_one_message_after_retry_after(slack: FakeSlack) -> None:
    """429 with Retry-After: 1, then ok: one accepted message, sent at least a second after the 429."""
    slack.script(WEBHOOK, Reply(429, "rate_limited", retry_after=1))
    registry = CollectorRegistry()
    pacer = Pacer(webhook(slack), interval=0, digest_threshold=None)

    await deliver(pacer, NOTICE, policy=RetryPolicy(deadline_seconds=10), metrics=NotifierMetrics(registry))

    refused, accepted = slack.received(WEBHOOK)
    assert (refused.status, accepted.status) == (429, 200)
    assert len(slack.accepted(WEBHOOK)) == 1
    assert accepted.at - refused.at >= 1.0
    labels = {"channel": "slack_webhook", "reason": "rate_limited"}
    assert registry.get_sample_value("vocals_notifier_retries_total", labels) == 1


async def test_server_errors_are_retried_until_accepted(slack: FakeSlack) -> None:
    """Two 500s then ok: three requests, one accepted message."""
    slack.script(WEBHOOK, Reply(500, "rollup_error"), Reply(503, "service_unavailable"))
    pacer = Pacer(webhook(slack), interval=0, digest_threshold=None)
    policy = RetryPolicy(deadline_seconds=10, initial_seconds=0.05, max_seconds=0.1)

    await deliver(pacer, NOTICE, policy=policy, metrics=NotifierMetrics(CollectorRegistry()))

    assert [request.status for request in slack.received(WEBHOOK)] == [500, 503, 200]


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (Reply(400, "invalid_payload"), "HTTP 400 invalid_payload; the notifier built a message Slack cannot read"),
        (Reply(404, "channel_not_found"), "HTTP 404 channel_not_found; the channel is gone"),
        (Reply(410, "channel_is_archived"), "HTTP 410 channel_is_archived; the channel is archived"),
        (Reply(403, "action_prohibited"), "HTTP 403 action_prohibited; check the Slack settings"),
    ],
)
async def test_refusals_are_permanent_and_say_what_to_do(slack: FakeSlack, reply: Reply, says: str) -> None:
    """Slack's permanent refusals raise PermanentError naming the code and the next step."""
    slack.script(WEBHOOK, reply)

    with pytest.raises(PermanentError) as refused:
        await webhook(slack).send(NOTICE)

    assert says in refused.value.reason


async def test_a_removed_webhook_is_permanent_and_the_url_is_never_shown(slack: FakeSlack) -> None:
    """A webhook URL Slack no longer knows answers no_service; the error does not contain the secret URL."""
    channel = SlackWebhookChannel.create(slack.webhook_url + "-revoked", timeout_seconds=5)

    with pytest.raises(PermanentError, match="HTTP 404 no_service; the webhook was removed") as refused:
        await channel.send(NOTICE)

    assert slack.secret not in str(refused.value)


async def test_an_unreachable_webhook_is_retryable() -> None:
    """Nothing listening on the port: a retryable `connection` error, not a crash."""
    channel = SlackWebhookChannel.create(f"http://127.0.0.1:{free_port()}/services/x", timeout_seconds=2)

    with pytest.raises(TransientSendError) as failure:
        await channel.send(NOTICE)

    assert failure.value.reason == "connection"


async def test_a_burst_through_the_pacer_becomes_one_digest_message(slack: FakeSlack) -> None:
    """Four notices queued behind one sent a moment ago go to the webhook as a single digest."""
    pacer = Pacer(webhook(slack), interval=0.5, digest_threshold=3)
    names = ["first", "failed-credits", "failed-unknown-code", "complete-string-time", "error-null-data"]
    notices = [notice_for_callback(callback(name), archive=None, known_title=None) for name in names]
    await pacer.send(notices[0])
    started = time.monotonic()

    await asyncio.gather(*(pacer.send(notice) for notice in notices[1:]))

    _single, digest = slack.accepted(WEBHOOK)
    assert digest.body["blocks"][0]["text"]["text"] == ":bell: 4 task updates"
    assert len(digest.body["blocks"]) == 5
    assert digest.at - started >= 0.4
