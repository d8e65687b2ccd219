"""Tasks, tracks and stage history.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = sa.DateTime(timezone=True)
Json = sa.JSON(none_as_null=True)


def _objects(prefix: str) -> list[sa.Column[object]]:
    return [
        sa.Column(f"{prefix}_key", sa.String(300)),
        sa.Column(f"{prefix}_sha256", sa.String(64)),
        sa.Column(f"{prefix}_bytes", sa.BigInteger),
        sa.Column(f"{prefix}_content_type", sa.String(100)),
    ]


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(128), primary_key=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("stage_rank", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("callback_type", sa.String(64), nullable=False),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("msg", sa.Text, nullable=False),
        sa.Column("stage_event_id", sa.String(64), nullable=False),
        sa.Column("first_seen_at", Time, nullable=False),
        sa.Column("last_seen_at", Time, nullable=False),
        sa.Column("archived_at", Time),
        sa.Column("archived_event_id", sa.String(64)),
    )
    op.create_index("ix_tasks_first_seen_at", "tasks", ["first_seen_at"])
    op.create_table(
        "tracks",
        sa.Column("track_id", sa.String(128), primary_key=True),
        sa.Column("task_id", sa.String(128), sa.ForeignKey("tasks.task_id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("meta_rank", sa.Integer, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("tags", sa.Text),
        sa.Column("prompt", sa.Text),
        sa.Column("model_name", sa.String(64)),
        sa.Column("lyrics", Json),
        sa.Column("flagged_words", Json),
        sa.Column("created_at", Time),
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
        *_objects("audio"),
        *_objects("cover"),
        *_objects("source"),
        *_objects("metadata"),
        sa.Column("callback_event_id", sa.String(64)),
        sa.Column("received_at", Time),
        sa.Column("archived_at", Time),
        sa.Column("archived_event_id", sa.String(64)),
        sa.Column("published_at", Time),
        sa.Column("first_seen_at", Time, nullable=False),
    )
    op.create_index("ix_tracks_task_id", "tracks", ["task_id"])
    op.create_table(
        "stage_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(128), sa.ForeignKey("tasks.task_id"), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("callback_type", sa.String(64), nullable=False),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("msg", sa.Text, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.UniqueConstraint("task_id", "event_id", name="uq_stage_history_task_event"),
    )


def downgrade() -> None:
    op.drop_table("stage_history")
    op.drop_index("ix_tracks_task_id", "tracks")
    op.drop_table("tracks")
    op.drop_index("ix_tasks_first_seen_at", "tasks")
    op.drop_table("tasks")
