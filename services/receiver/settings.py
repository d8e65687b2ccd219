"""The receiver's settings: every field is a `VOCALS_<FIELD>` variable."""

from typing import Annotated, Literal

from msgspec import Meta

from services.plumbing.kafka import KafkaSettings
from services.plumbing.settings import SettingsError, secret


class ReceiverSettings(KafkaSettings, frozen=True, kw_only=True):
    """How the receiver listens, authenticates, publishes and spools."""

    host: Annotated[str, Meta(description="Address the receiver listens on.")] = "127.0.0.1"
    port: Annotated[int, Meta(description="Port the receiver listens on.", ge=1, le=65535)] = 8080
    public_url: Annotated[
        str, Meta(description="The receiver's URL as the provider reaches it (shown by `make dev`).")
    ] = "http://127.0.0.1:8080"
    callback_tokens: Annotated[
        tuple[str, ...],
        secret("Accepted `?token=` values, comma-separated; several at once allow rotation."),
    ] = ()
    signing_keys: Annotated[
        tuple[str, ...],
        secret("HMAC keys for providers that sign (X-Webhook-Signature), comma-separated."),
    ] = ()
    signature_tolerance_seconds: Annotated[
        int, Meta(description="How far X-Webhook-Timestamp may be from now, either way.", ge=1)
    ] = 300
    max_body_bytes: Annotated[int, Meta(description="Largest callback body accepted; larger gets 413.", ge=1024)] = (
        262_144
    )
    publish_timeout_seconds: Annotated[
        float, Meta(description="Longest a callback waits for Kafka before it is spooled instead.", gt=0)
    ] = 8.0
    max_in_flight: Annotated[int, Meta(description="Concurrent Kafka sends at most; more wait their turn.", ge=1)] = 512
    spool_path: Annotated[str, Meta(description="SQLite file that keeps events while Kafka is unreachable.")] = (
        "data/receiver-spool.sqlite3"
    )
    spool_max_events: Annotated[int, Meta(description="Spooled events at most; beyond it callbacks get 503.", ge=1)] = (
        100_000
    )
    dedup_capacity: Annotated[
        int, Meta(description="Recently published event ids remembered to drop duplicates.", ge=0)
    ] = 100_000
    ce_source: Annotated[str, Meta(description="CloudEvents `source` attribute of published events.")] = (
        "/vocals/receiver"
    )
    log_level: Annotated[str, Meta(description="Log level: DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    log_format: Annotated[Literal["auto", "json", "console"], Meta(description="auto: JSON unless on a TTY.")] = "auto"

    def __post_init__(self) -> None:
        if not self.callback_tokens and not self.signing_keys:
            raise SettingsError(
                "VOCALS_CALLBACK_TOKENS is required but not set (or set VOCALS_SIGNING_KEYS): "
                "the receiver refuses to accept unauthenticated callbacks"
            )
