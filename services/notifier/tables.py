"""The notifier's tables (prefixed `notifier_`: the database may be shared with the archiver).

Changes go through an Alembic migration in `migrations/versions/`; this module is its target metadata.
"""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

sent = Table(
    "notifier_sent",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("task_id", String(128), nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    comment="One row per (event, channel) a channel accepted: the exactly-once record.",
)

tasks = Table(
    "notifier_tasks",
    metadata,
    Column("task_id", String(128), primary_key=True),
    Column("stage_rank", Integer, nullable=False, default=0, server_default="0"),
    Column("stage_event_id", String(64), nullable=True),
    Column("notice", Text, nullable=True),
    Column("archived_at", DateTime(timezone=True), nullable=True),
    Column("archive_url", Text, nullable=True),
    Column("slack_channel", String(64), nullable=True),
    Column("slack_ts", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    comment="Per task: highest stage announced (and by which event), last notice, archive, Slack message.",
)

archived_tracks = Table(
    "notifier_archived_tracks",
    metadata,
    Column("task_id", String(128), primary_key=True),
    Column("track_id", String(128), primary_key=True),
    Column("audio_url", Text, nullable=True),
    Column("cover_url", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    comment="Durable links of archived tracks, from TrackArchived events.",
)
