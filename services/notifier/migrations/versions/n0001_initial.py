"""The notifier's first tables: sent records, task state, archived track links.

Revision ID: n0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "n0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifier_sent",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("task_id", sa.String(128), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        comment="One row per (event, channel) a channel accepted: the exactly-once record.",
    )
    op.create_index("ix_notifier_sent_task_id", "notifier_sent", ["task_id"])
    op.create_table(
        "notifier_tasks",
        sa.Column("task_id", sa.String(128), primary_key=True),
        sa.Column("stage_rank", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stage_event_id", sa.String(64), nullable=True),
        sa.Column("notice", sa.Text, nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archive_url", sa.Text, nullable=True),
        sa.Column("slack_channel", sa.String(64), nullable=True),
        sa.Column("slack_ts", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        comment="Per task: highest stage announced (and by which event), last notice, archive, Slack message.",
    )
    op.create_table(
        "notifier_archived_tracks",
        sa.Column("task_id", sa.String(128), primary_key=True),
        sa.Column("track_id", sa.String(128), primary_key=True),
        sa.Column("audio_url", sa.Text, nullable=True),
        sa.Column("cover_url", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        comment="Durable links of archived tracks, from TrackArchived events.",
    )


def downgrade() -> None:
    op.drop_table("notifier_archived_tracks")
    op.drop_table("notifier_tasks")
    op.drop_index("ix_notifier_sent_task_id", table_name="notifier_sent")
    op.drop_table("notifier_sent")
