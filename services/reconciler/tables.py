"""The reconciler's one table: every task it heard of, how far it is known to be, and when to poll it next.

Times are unix seconds (floats) so SQLite and PostgreSQL compare them alike. Created at start-up if missing;
a later change to it should bring Alembic in, as the archiver and notifier do.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

tasks = sa.Table(
    "reconciler_tasks",
    metadata,
    sa.Column("task_id", sa.String(128), primary_key=True),
    sa.Column("stage", sa.String(16), nullable=True),
    sa.Column("stage_rank", sa.Integer, nullable=False),
    sa.Column("final", sa.Boolean, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("first_seen_at", sa.Float, nullable=False),
    sa.Column("next_poll_at", sa.Float, nullable=False),
    sa.Column("polls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed_polls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_status", sa.String(64), nullable=True),
    sa.Column("gave_up", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_reconciler_tasks_due", "final", "gave_up", "next_poll_at"),
)
