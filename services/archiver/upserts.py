"""The archiver's idempotent writes as statements built once per dialect (SQLite and PostgreSQL share them).

A task's progress only moves to a stage of higher rank; a track's facts from a later stage win, and an
earlier stage only fills what is still unknown; a callback enters the history once per event id.
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from services.archiver.tables import stage_history, tasks, tracks

TASK_PROGRESS = ("stage", "stage_rank", "status", "callback_type", "code", "msg", "stage_event_id")
TRACK_FACTS = (
    "title",
    "tags",
    "prompt",
    "model_name",
    "lyrics",
    "flagged_words",
    "created_at",
    "reported_duration",
    "audio_url",
    "source_audio_url",
    "stream_audio_url",
    "image_url",
    "extra",
)


@dataclass(frozen=True)
class Upserts:
    task: sa.Executable
    history: sa.Executable
    track: sa.Executable


def upserts_for(dialect_name: str) -> Upserts:
    insert: Any = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return Upserts(task=_task(insert), history=insert(stage_history).on_conflict_do_nothing(), track=_track(insert))


def _earliest(new: sa.ColumnElement[Any], old: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.case((new < old, new), else_=old)


def _task(insert: Any) -> sa.Executable:
    statement = insert(tasks)
    new, old = statement.excluded, tasks.c
    further = new.stage_rank > old.stage_rank
    update: dict[str, sa.ColumnElement[Any]] = {
        name: sa.case((further, new[name]), else_=old[name]) for name in TASK_PROGRESS
    }
    update["first_seen_at"] = _earliest(new.first_seen_at, old.first_seen_at)
    update["last_seen_at"] = sa.case((new.last_seen_at > old.last_seen_at, new.last_seen_at), else_=old.last_seen_at)
    return statement.on_conflict_do_update(index_elements=[old.task_id], set_=update)  # type: ignore[no-any-return]


def _track(insert: Any) -> sa.Executable:
    statement = insert(tracks)
    new, old = statement.excluded, tracks.c
    newer = new.meta_rank >= old.meta_rank
    update: dict[str, Any] = {
        name: sa.case((newer, sa.func.coalesce(new[name], old[name])), else_=sa.func.coalesce(old[name], new[name]))
        for name in TRACK_FACTS
    }
    update["meta_rank"] = sa.case((newer, new.meta_rank), else_=old.meta_rank)
    update["position"] = sa.case((newer, new.position), else_=old.position)
    update["first_seen_at"] = _earliest(new.first_seen_at, old.first_seen_at)
    return statement.on_conflict_do_update(index_elements=[old.track_id], set_=update)  # type: ignore[no-any-return]
