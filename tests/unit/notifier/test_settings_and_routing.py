"""Settings from VOCALS_* variables, the channels they configure, and which stages go where."""

from __future__ import annotations

import msgspec
import pytest

from services.notifier.routing import default_channels, routes
from services.notifier.settings import NotifierSettings
from services.plumbing.settings import SettingsError, describe, load
from tests.unit.notifier.fakes import FakeStore


def test_defaults_route_failures_and_completion_everywhere_and_text_nowhere() -> None:
    """With Slack and SMTP configured: first/complete/failed/archived in Slack, complete/failed by email."""
    settings = load(
        NotifierSettings,
        {
            "VOCALS_SLACK_WEBHOOK_URL": "https://hooks.test/x",
            "VOCALS_SMTP_HOST": "mail.test",
            "VOCALS_SMTP_TO": "a@x,b@x",
        },
    )

    table = routes(settings, default_channels(settings, refs=FakeStore()))

    by_stage = {stage: sorted(pacer.name for pacer in pacers) for stage, pacers in table.items()}
    assert by_stage == {
        "first": ["slack_webhook"],
        "complete": ["email", "slack_webhook"],
        "failed": ["email", "slack_webhook"],
        "archived": ["slack_webhook"],
    }
    assert settings.smtp_to == ("a@x", "b@x")


def test_nothing_configured_means_the_log_channel_for_every_routed_stage() -> None:
    """Without Slack or SMTP, the log channel takes every stage either channel would have announced."""
    settings = load(NotifierSettings, {})

    channels = default_channels(settings, refs=FakeStore())

    assert [channel.name for channel in channels] == ["log"]
    assert sorted(routes(settings, channels)) == ["archived", "complete", "failed", "first"]


def test_bot_mode_and_webhook_can_run_side_by_side() -> None:
    """A bot token and a webhook URL give two Slack channels sharing the Slack stages."""
    settings = load(
        NotifierSettings,
        {
            "VOCALS_SLACK_WEBHOOK_URL": "https://hooks.test/x",
            "VOCALS_SLACK_BOT_TOKEN": "xoxb-1",
            "VOCALS_SLACK_CHANNEL": "C1",
        },
    )

    assert [channel.name for channel in default_channels(settings, refs=FakeStore())] == ["slack_webhook", "slack_bot"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"VOCALS_SLACK_BOT_TOKEN": "xoxb-1"}, "VOCALS_SLACK_CHANNEL is required with VOCALS_SLACK_BOT_TOKEN"),
        ({"VOCALS_SMTP_HOST": "mail.test"}, "VOCALS_SMTP_TO is required with VOCALS_SMTP_HOST"),
        ({"VOCALS_NOTIFY_SLACK_STAGES": "first,done"}, "VOCALS_NOTIFY_SLACK_STAGES is invalid"),
        ({"VOCALS_SMTP_STARTTLS": "maybe"}, "VOCALS_SMTP_STARTTLS is invalid"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(environ: dict[str, str], message: str) -> None:
    """A missing or malformed value fails with one line naming the variable."""
    with pytest.raises(SettingsError, match=message):
        load(NotifierSettings, environ)


def test_secrets_are_masked_when_settings_are_logged() -> None:
    """The webhook URL, bot token and SMTP password show only whether they are set."""
    settings = load(
        NotifierSettings,
        {"VOCALS_SLACK_WEBHOOK_URL": "https://hooks.test/secret", "VOCALS_SMTP_PASSWORD": "pw"},
    )

    shown = describe(settings)

    assert (shown["slack_webhook_url"], shown["slack_bot_token"], shown["smtp_password"]) == (
        "<set>",
        "<unset>",
        "<set>",
    )
    assert "secret" not in repr(shown)


def test_every_setting_is_described_for_the_readme_table() -> None:
    """Each field has a description, so the README's settings table can be generated from them."""
    (_, definitions) = msgspec.json.schema_components([NotifierSettings])
    properties = definitions["NotifierSettings"]["properties"]

    assert [name for name, schema in properties.items() if not schema.get("description")] == []
    assert "notify_slack_stages" in properties


def test_topics_follow_the_prefix_unless_named() -> None:
    """The consumed topics are the prefixed vocals topics, or exactly the names given (shared with the archiver)."""
    prefixed = load(NotifierSettings, {"VOCALS_KAFKA_TOPIC_PREFIX": "staging."})
    named = load(NotifierSettings, {"VOCALS_CALLBACKS_TOPIC": "cb", "VOCALS_ARCHIVED_TOPIC": "ar"})

    assert (prefixed.callbacks(), prefixed.archived()) == ("staging.vocals.callbacks", "staging.vocals.archived")
    assert (named.callbacks(), named.archived()) == ("cb", "ar")
