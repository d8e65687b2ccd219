"""The archiver's settings: one frozen Struct built from `VOCALS_*` variables."""

from typing import Annotated, Literal

import msgspec

from schemas.topics import ARCHIVED, CALLBACKS
from services.plumbing.database import DEFAULT_DATABASE_URL
from services.plumbing.kafka import KafkaSettings
from services.plumbing.settings import secret

MiB = 1024 * 1024


class ArchiverSettings(KafkaSettings, frozen=True, kw_only=True):
    """Everything the archiver reads from the environment; see the README table."""

    database_url: Annotated[
        str, msgspec.Meta(description="SQLAlchemy async URL of the metadata database (SQLite or PostgreSQL).")
    ] = DEFAULT_DATABASE_URL
    archive_url: Annotated[
        str,
        msgspec.Meta(description="Where objects go: file://<dir> (relative or absolute) or s3://bucket/prefix."),
    ] = "file://./data/archive"
    s3_endpoint: Annotated[
        str, msgspec.Meta(description="S3-compatible endpoint URL (MinIO, moto); empty means AWS.")
    ] = ""
    s3_region: Annotated[str, msgspec.Meta(description="S3 region.")] = "us-east-1"
    s3_access_key_id: Annotated[str, msgspec.Meta(description="S3 access key id; empty uses the default chain.")] = ""
    s3_secret_access_key: Annotated[str, secret("S3 secret access key; never logged.")] = ""
    s3_allow_http: Annotated[bool, msgspec.Meta(description="Allow plain-HTTP S3 endpoints (local MinIO only).")] = (
        False
    )
    download_max_bytes: Annotated[
        int, msgspec.Meta(ge=1, description="Largest file the archiver downloads, in bytes; larger is refused.")
    ] = 100 * MiB
    download_connect_timeout_s: Annotated[
        float, msgspec.Meta(gt=0, description="Seconds to establish a download connection.")
    ] = 10.0
    download_read_timeout_s: Annotated[
        float, msgspec.Meta(gt=0, description="Seconds the download may wait for the next bytes.")
    ] = 30.0
    download_total_timeout_s: Annotated[
        float, msgspec.Meta(gt=0, description="Seconds one download attempt may take in all.")
    ] = 600.0
    download_attempts: Annotated[
        int, msgspec.Meta(ge=1, le=20, description="Attempts per file on transient failures (5xx, 429, timeouts).")
    ] = 5
    download_retry_initial_s: Annotated[
        float, msgspec.Meta(ge=0, description="First backoff between download attempts, in seconds.")
    ] = 0.5
    download_retry_max_s: Annotated[
        float, msgspec.Meta(ge=0, description="Cap of the backoff (and of a honoured Retry-After), in seconds.")
    ] = 30.0
    download_source_audio: Annotated[
        bool, msgspec.Meta(description="Also keep the provider's source audio (`source_audio_url`).")
    ] = False
    allowed_hosts: Annotated[
        tuple[str, ...],
        msgspec.Meta(
            description="Hosts, IPs or CIDR ranges downloads may reach even if private (tests, private CDNs).",
        ),
    ] = ()
    content_filter_words: Annotated[
        tuple[str, ...],
        msgspec.Meta(description="Words that flag a track (title, tags, prompt); flagged tracks are still kept."),
    ] = ()
    max_concurrency: Annotated[
        int, msgspec.Meta(ge=1, le=256, description="Callbacks (of different tasks) archived at the same time.")
    ] = 8
    callbacks_topic: Annotated[
        str, msgspec.Meta(description="Topic the archiver consumes; empty means vocals.callbacks (with the prefix).")
    ] = ""
    archived_topic: Annotated[
        str, msgspec.Meta(description="Topic the archiver publishes; empty means vocals.archived (with the prefix).")
    ] = ""
    consumer_group: Annotated[str, msgspec.Meta(description="Kafka consumer group.")] = "vocals-archiver"
    public_url: Annotated[
        str, msgspec.Meta(description="Base URL of the read API, used for links in archived events.")
    ] = "http://127.0.0.1:8081"
    http_host: Annotated[str, msgspec.Meta(description="Address the read API listens on.")] = "127.0.0.1"
    http_port: Annotated[int, msgspec.Meta(ge=0, le=65535, description="Port of the read API.")] = 8081
    log_level: Annotated[str, msgspec.Meta(description="Log level: DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    log_format: Annotated[
        Literal["auto", "json", "console"],
        msgspec.Meta(description="auto: JSON unless on a TTY; json; console."),
    ] = "auto"

    def consumed_topic(self) -> str:
        return self.callbacks_topic or self.topic(CALLBACKS)

    def published_topic(self) -> str:
        return self.archived_topic or self.topic(ARCHIVED)
