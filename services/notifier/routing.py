"""Which channels exist (from settings) and which stages go to which of them."""

from collections.abc import Sequence

from services.notifier.log_channel import LogChannel
from services.notifier.mail import EmailChannel, SmtpServer
from services.notifier.pacing import Pacer
from services.notifier.ports import Channel, MessageRefs
from services.notifier.service import Routes
from services.notifier.settings import NoticeStage, NotifierSettings
from services.notifier.slack_bot import SlackBotChannel
from services.notifier.slack_webhook import SlackWebhookChannel

SLACK_CHANNELS = frozenset({SlackWebhookChannel.name, SlackBotChannel.name})


def default_channels(settings: NotifierSettings, *, refs: MessageRefs) -> list[Channel]:
    """Every channel the settings configure; the log channel alone when none is."""
    channels: list[Channel] = []
    if settings.slack_webhook_url:
        channels.append(
            SlackWebhookChannel.create(settings.slack_webhook_url, timeout_seconds=settings.slack_timeout_seconds)
        )
    if settings.slack_bot_token:
        channels.append(
            SlackBotChannel.create(
                settings.slack_bot_token,
                channel=settings.slack_channel,
                api_url=settings.slack_api_url,
                timeout_seconds=settings.slack_timeout_seconds,
                refs=refs,
            )
        )
    if settings.smtp_host:
        channels.append(EmailChannel(_smtp_server(settings), sender=settings.smtp_from, recipients=settings.smtp_to))
    return channels or [LogChannel()]


def routes(settings: NotifierSettings, channels: Sequence[Channel]) -> Routes:
    """Stage -> the pacers of the channels that announce it; Slack channels are paced, email is not."""
    table: dict[NoticeStage, list[Pacer]] = {}
    for channel in channels:
        pacer = _pacer(settings, channel)
        for stage in stages_for(settings, channel.name):
            table.setdefault(stage, []).append(pacer)
    return table


def stages_for(settings: NotifierSettings, channel_name: str) -> tuple[NoticeStage, ...]:
    if channel_name in SLACK_CHANNELS:
        return settings.notify_slack_stages
    if channel_name == EmailChannel.name:
        return settings.notify_email_stages
    return tuple(dict.fromkeys((*settings.notify_slack_stages, *settings.notify_email_stages)))


def _pacer(settings: NotifierSettings, channel: Channel) -> Pacer:
    if channel.name in SLACK_CHANNELS:
        return Pacer(
            channel, interval=settings.slack_min_interval_seconds, digest_threshold=settings.slack_digest_threshold
        )
    return Pacer(channel, interval=0.0, digest_threshold=None)


def _smtp_server(settings: NotifierSettings) -> SmtpServer:
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls,
        timeout_seconds=settings.smtp_timeout_seconds,
    )
