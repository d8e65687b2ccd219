"""The reconciler's settings: every field is a `VOCALS_<FIELD>` variable (`VOCALS_RECONCILER_<FIELD>` wins).

Its own knobs are named `reconciler_*`, so they never take a value meant for another service under `make dev`.
"""

from typing import Annotated, Literal

from msgspec import Meta

from services.plumbing.database import DEFAULT_DATABASE_URL
from services.plumbing.kafka import KafkaSettings
from services.plumbing.settings import SettingsError, secret


class ReconcilerSettings(KafkaSettings, frozen=True, kw_only=True):
    """Which provider to poll, when a task counts as late, how often and how fast to poll it."""

    provider_base_url: Annotated[str, Meta(description="The provider's API base URL.")] = "https://api.sunoapi.org"
    provider_api_key: Annotated[str, secret("The provider's API key (Bearer).")] = ""
    provider_timeout_seconds: Annotated[float, Meta(description="Longest one call to the provider may take.", gt=0)] = (
        15.0
    )
    database_url: Annotated[
        str, Meta(description="Database of watched tasks (SQLite or PostgreSQL); table `reconciler_tasks`.")
    ] = DEFAULT_DATABASE_URL
    poll_after_seconds: Annotated[
        float, Meta(description="A task not final this long after it was first seen is polled.", ge=0)
    ] = 600.0
    poll_interval_seconds: Annotated[
        float, Meta(description="Time between two polls of one task (the provider advises 30 s).", ge=0.5)
    ] = 30.0
    poll_rate_per_second: Annotated[
        float, Meta(description="record-info calls per second at most, all tasks together.", gt=0)
    ] = 2.0
    poll_concurrency: Annotated[int, Meta(description="record-info calls in flight at once at most.", ge=1)] = 4
    give_up_after_seconds: Annotated[
        float, Meta(description="A task still not final this long after it was first seen is no longer polled.", gt=0)
    ] = 86_400.0
    scan_interval_seconds: Annotated[float, Meta(description="How often the due tasks are looked up.", gt=0)] = 1.0
    reconciler_group: Annotated[str, Meta(description="The reconciler's Kafka consumer group.")] = "vocals-reconciler"
    reconciler_source: Annotated[str, Meta(description="CloudEvents `source` of the events it publishes.")] = (
        "/vocals/reconciler"
    )
    reconciler_http_host: Annotated[str, Meta(description="Address of /healthz, /readyz and /metrics.")] = "127.0.0.1"
    reconciler_http_port: Annotated[
        int, Meta(description="Port of /healthz, /readyz and /metrics (0: any free).", ge=0, le=65535)
    ] = 8083
    log_level: Annotated[str, Meta(description="Log level: DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    log_format: Annotated[Literal["auto", "json", "console"], Meta(description="auto: JSON unless on a TTY.")] = "auto"

    def __post_init__(self) -> None:
        if not self.provider_api_key:
            raise SettingsError(
                "VOCALS_PROVIDER_API_KEY is required but not set: the reconciler polls record-info with it"
            )
        if self.give_up_after_seconds <= self.poll_after_seconds:
            raise SettingsError(
                "VOCALS_GIVE_UP_AFTER_SECONDS is invalid: must be longer than VOCALS_POLL_AFTER_SECONDS"
            )
