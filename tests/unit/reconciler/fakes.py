"""Hand-written fakes of the reconciler's ports: an in-memory store, a scripted provider, a list publisher."""

import json
from dataclasses import dataclass, field
from typing import Any

from schemas.events import CallbackReceived, Stage
from schemas.polling import RecordInfoReply, parse_record_info
from services.reconciler.publisher import PublishError
from services.reconciler.store import FINAL_STAGES, Watch, rank


@dataclass
class Row:
    task_id: str
    stage_rank: int
    final: bool
    source: str
    first_seen_at: float
    next_poll_at: float
    polls: int = 0
    failed_polls: int = 0
    last_status: str | None = None
    gave_up: bool = False


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}

    async def observe(self, task_id: str, *, stage: Stage | None, at: float, source: str, poll_at: float) -> None:
        if task_id not in self.rows:
            self.rows[task_id] = Row(task_id, rank(stage), stage in FINAL_STAGES, source, at, poll_at)
        else:
            self._progress(task_id, stage)

    async def due(self, now: float, limit: int) -> list[Watch]:
        rows = sorted(
            (r for r in self.rows.values() if not r.final and not r.gave_up and r.next_poll_at <= now),
            key=lambda r: r.next_poll_at,
        )
        return [
            Watch(
                task_id=r.task_id,
                stage_rank=r.stage_rank,
                first_seen_at=r.first_seen_at,
                polls=r.polls,
                failed_polls=r.failed_polls,
            )
            for r in rows[:limit]
        ]

    async def polled(
        self, task_id: str, *, status: str | None, stage: Stage | None, next_poll_at: float, failed: bool = False
    ) -> None:
        row = self.rows[task_id]
        row.polls, row.last_status, row.next_poll_at = row.polls + 1, status, next_poll_at
        row.failed_polls = row.failed_polls + 1 if failed else 0
        self._progress(task_id, stage)

    async def give_up(self, task_id: str, at: float) -> None:
        self.rows[task_id].gave_up = True

    async def watched(self) -> int:
        return sum(1 for r in self.rows.values() if not r.final and not r.gave_up)

    async def ping(self) -> None:
        return None

    def _progress(self, task_id: str, stage: Stage | None) -> None:
        row = self.rows[task_id]
        if stage is not None and rank(stage) > row.stage_rank:
            row.stage_rank, row.final = rank(stage), stage in FINAL_STAGES


@dataclass
class ScriptedProvider:
    """record-info answers from a script per task: a status (with tracks) or an exception to raise."""

    answers: dict[str, list[Any]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def record_info(self, task_id: str) -> RecordInfoReply:
        self.asked.append(task_id)
        answer = self.answers[task_id].pop(0) if len(self.answers[task_id]) > 1 else self.answers[task_id][0]
        if isinstance(answer, Exception):
            raise answer
        return record_info(task_id, answer)


def record_info(task_id: str, status: str, error_code: int | None = None) -> RecordInfoReply:
    tracks = None
    if status in ("FIRST_SUCCESS", "SUCCESS"):
        tracks = [
            {"id": f"{task_id}-t{i}", "audioUrl": f"https://cdn.test/{task_id}-{i}.mp3", "duration": 30.0}
            for i in range(2)
        ]
    data = {
        "taskId": task_id,
        "status": status,
        "response": {"sunoData": tracks},
        "errorCode": error_code,
        "errorMessage": None,
    }
    return parse_record_info(json.dumps({"code": 200, "msg": "success", "data": data}).encode())


class ListPublisher:
    def __init__(self) -> None:
        self.published: list[CallbackReceived] = []
        self.down = False

    async def publish(self, event: CallbackReceived) -> None:
        if self.down:
            raise PublishError("broker down (fake)")
        self.published.append(event)
