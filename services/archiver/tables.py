"""The metadata tables (SQLAlchemy Core): tasks, their tracks, and each task's stage history.

The migrations in `migrations/versions/` create exactly these; a test checks they agree.
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops the zone) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archiver stores UTC times only")
        aware = value.astimezone(UTC)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = sa.JSON(none_as_null=True)
Id = sa.String(128)
Sha = sa.String(64)


def _object_columns(prefix: str) -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{prefix}_key", sa.String(300)),
        sa.Column(f"{prefix}_sha256", Sha),
        sa.Column(f"{prefix}_bytes", sa.BigInteger),
        sa.Column(f"{prefix}_content_type", sa.String(100)),
    ]


tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", Id, primary_key=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("stage_rank", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("callback_type", sa.String(64), nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("msg", sa.Text, nullable=False),
    sa.Column("stage_event_id", sa.String(64), nullable=False),
    sa.Column("first_seen_at", UtcDateTime, nullable=False, index=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("archived_at", UtcDateTime),
    sa.Column("archived_event_id", sa.String(64)),
)

tracks = sa.Table(
    "tracks",
    metadata,
    sa.Column("track_id", Id, primary_key=True),
    sa.Column("task_id", Id, sa.ForeignKey("tasks.task_id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("meta_rank", sa.Integer, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("tags", sa.Text),
    sa.Column("prompt", sa.Text),
    sa.Column("model_name", sa.String(64)),
    sa.Column("lyrics", Json),
    sa.Column("flagged_words", Json),
    sa.Column("created_at", UtcDateTime),
    sa.Column("reported_duration", sa.Float),
    sa.Column("audio_url", sa.Text),
    sa.Column("source_audio_url", sa.Text),
    sa.Column("stream_audio_url", sa.Text),
    sa.Column("image_url", sa.Text),
    sa.Column("extra", Json),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("failure_reason", sa.Text),
    sa.Column("measured_duration", sa.Float),
    sa.Column("audio_format", sa.String(32)),
    sa.Column("audio_bitrate", sa.Integer),
    sa.Column("audio_sample_rate", sa.Integer),
    *_object_columns("audio"),
    *_object_columns("cover"),
    *_object_columns("source"),
    *_object_columns("metadata"),
    sa.Column("callback_event_id", sa.String(64)),
    sa.Column("received_at", UtcDateTime),
    sa.Column("archived_at", UtcDateTime),
    sa.Column("archived_event_id", sa.String(64)),
    sa.Column("published_at", UtcDateTime),
    sa.Column("first_seen_at", UtcDateTime, nullable=False),
)

stage_history = sa.Table(
    "stage_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", Id, sa.ForeignKey("tasks.task_id"), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("callback_type", sa.String(64), nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("msg", sa.Text, nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("task_id", "event_id", name="uq_stage_history_task_event"),
)
