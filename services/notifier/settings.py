"""The notifier's settings: every field is a `VOCALS_<FIELD>` variable."""

from typing import Annotated, Literal

from msgspec import Meta

from schemas.topics import ARCHIVED, CALLBACKS
from services.plumbing.database import DEFAULT_DATABASE_URL
from services.plumbing.kafka import KafkaSettings
from services.plumbing.settings import SettingsError, secret

NoticeStage = Literal["text", "first", "complete", "failed", "archived"]
"""What a notice announces: a callback stage, or `archived` (durable links added after `complete`)."""

Stages = tuple[NoticeStage, ...]


class NotifierSettings(KafkaSettings, frozen=True, kw_only=True):
    """Where the notifier reads from, what it announces where, and how it reaches Slack and SMTP."""

    database_url: Annotated[str, Meta(description="Database that records what was sent (SQLite or PostgreSQL).")] = (
        DEFAULT_DATABASE_URL
    )
    notify_slack_stages: Annotated[
        Stages, Meta(description="Stages announced in Slack, comma-separated; empty turns Slack off.")
    ] = ("first", "complete", "failed", "archived")
    notify_email_stages: Annotated[
        Stages, Meta(description="Stages announced by email, comma-separated; empty turns email off.")
    ] = ("complete", "failed")
    slack_webhook_url: Annotated[str, secret("Slack incoming webhook URL; empty: no webhook messages.")] = ""
    slack_bot_token: Annotated[str, secret("Slack bot token (xoxb-...) for one updated message per task.")] = ""
    slack_channel: Annotated[str, Meta(description="Channel the bot posts in (id or name); needed with a token.")] = ""
    slack_api_url: Annotated[str, Meta(description="Base URL of the Slack Web API.")] = "https://slack.com/api/"
    slack_timeout_seconds: Annotated[float, Meta(description="Longest one Slack request may take.", gt=0)] = 10.0
    slack_min_interval_seconds: Annotated[
        float, Meta(description="Least time between two Slack messages (Slack allows about one a second).", ge=0)
    ] = 1.0
    slack_digest_threshold: Annotated[
        int, Meta(description="Webhook notices waiting at once that are sent as one digest message.", ge=2)
    ] = 3
    smtp_host: Annotated[str, Meta(description="SMTP server; empty: no email.")] = ""
    smtp_port: Annotated[int, Meta(description="SMTP port (587 STARTTLS, 465 TLS, 25 plain).", ge=1, le=65535)] = 587
    smtp_username: Annotated[str, Meta(description="SMTP login; empty: no authentication.")] = ""
    smtp_password: Annotated[str, secret("SMTP password.")] = ""
    smtp_starttls: Annotated[
        Literal["auto", "require", "off"],
        Meta(description="STARTTLS: auto (when offered), require, or off."),
    ] = "auto"
    smtp_use_tls: Annotated[bool, Meta(description="Implicit TLS from the first byte (usually port 465).")] = False
    smtp_from: Annotated[str, Meta(description="Sender address of notification emails.")] = "vocals@localhost"
    smtp_to: Annotated[tuple[str, ...], Meta(description="Recipients, comma-separated; needed with SMTP_HOST.")] = ()
    smtp_timeout_seconds: Annotated[float, Meta(description="Longest one SMTP conversation may take.", gt=0)] = 10.0
    send_deadline_seconds: Annotated[
        float, Meta(description="Longest one channel may spend on one notice, retries included.", gt=0)
    ] = 30.0
    retry_initial_seconds: Annotated[float, Meta(description="First backoff after a transient failure.", gt=0)] = 0.5
    retry_max_seconds: Annotated[float, Meta(description="Longest backoff between two attempts.", gt=0)] = 8.0
    max_concurrency: Annotated[
        int, Meta(description="Tasks notified at once (one task's events always in order).", ge=1)
    ] = 8
    commit_interval_seconds: Annotated[
        float, Meta(description="How often handled offsets are committed (a restart redoes at most this much).", gt=0)
    ] = 1.0
    callbacks_topic: Annotated[
        str, Meta(description="Topic of CallbackReceived events; empty means vocals.callbacks (with the prefix).")
    ] = ""
    archived_topic: Annotated[
        str, Meta(description="Topic of the archiver's events; empty means vocals.archived (with the prefix).")
    ] = ""
    consumer_group: Annotated[str, Meta(description="Kafka consumer group.")] = "vocals-notifier"
    http_host: Annotated[str, Meta(description="Address of /healthz, /readyz and /metrics.")] = "127.0.0.1"
    http_port: Annotated[int, Meta(description="Port of /healthz, /readyz and /metrics (0: any free).", ge=0)] = 8082
    log_level: Annotated[str, Meta(description="Log level: DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    log_format: Annotated[Literal["auto", "json", "console"], Meta(description="auto: JSON unless on a TTY.")] = "auto"

    def callbacks(self) -> str:
        return self.callbacks_topic or self.topic(CALLBACKS)

    def archived(self) -> str:
        return self.archived_topic or self.topic(ARCHIVED)

    def __post_init__(self) -> None:
        if self.slack_bot_token and not self.slack_channel:
            raise SettingsError("VOCALS_SLACK_CHANNEL is required with VOCALS_SLACK_BOT_TOKEN: name the bot's channel")
        if self.smtp_host and not self.smtp_to:
            raise SettingsError("VOCALS_SMTP_TO is required with VOCALS_SMTP_HOST: give at least one recipient")
        if self.retry_max_seconds < self.retry_initial_seconds:
            raise SettingsError("VOCALS_RETRY_MAX_SECONDS is invalid: must be at least VOCALS_RETRY_INITIAL_SECONDS")
