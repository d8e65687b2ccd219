"""The stand-in's memory of a task: what was asked, what the plan is, how far it got, what was delivered.

Kept in memory only: restarting the stand-in forgets every task (record-info then answers code 400).
"""

import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from services.provider_standin.plan import Plan, Step
from services.provider_standin.scenario import Scenario

FREQUENCIES = (440.0, 554.37)
"""A and C sharp: the two tracks of a task sound different."""


@dataclass
class GeneratedTrack:
    id: str
    duration: float
    frequency: float
    cover: str
    """The cover's format: jpeg or png."""
    created_ms: int
    ready_at: float | None = None
    """Wall-clock time its audio became available; None while it is being generated."""


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of one callback copy, as the stand-in saw it."""

    stage: str
    copy: int
    attempt: int
    outcome: str
    """delivered, http_<status>, timeout, unreachable or outage."""
    at: float
    signed: bool


@dataclass
class Task:
    task_id: str
    params: dict[str, Any]
    scenario: Scenario
    plan: Plan
    created_at: float
    tracks: tuple[GeneratedTrack, ...]
    status: str = "PENDING"
    finished_tracks: int = 0
    error_code: int | None = None
    error_message: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    polls: deque[float] = field(default_factory=deque)

    @property
    def callback_url(self) -> str:
        return str(self.params["callBackUrl"])

    def advance(self, step: Step, now: float) -> None:
        """Take the step: new status, newly finished tracks become downloadable, a failure's code and message."""
        self.status = step.status
        for track in self.tracks[self.finished_tracks : step.finished_tracks]:
            track.ready_at = now
        self.finished_tracks = max(self.finished_tracks, step.finished_tracks)
        failure = self.plan.failure
        if failure is not None and step.status == failure.status:
            self.error_code, self.error_message = failure.code, failure.msg

    def outage_active(self, now: float) -> bool:
        return now < self.created_at + self.scenario.outage

    def link_expired(self, track: GeneratedTrack, now: float) -> bool:
        expiry = self.scenario.expire_after
        return expiry is not None and track.ready_at is not None and now > track.ready_at + expiry

    def track(self, track_id: str) -> GeneratedTrack | None:
        return next((track for track in self.tracks if track.id == track_id), None)


def new_task(params: dict[str, Any], scenario: Scenario, plan: Plan, *, durations: tuple[float, float]) -> Task:
    """A task with a fresh 32-hex id and two tracks (UUID ids, one JPEG and one PNG cover)."""
    now = time.time()
    tracks = tuple(
        GeneratedTrack(
            id=str(uuid.uuid4()),
            duration=durations[index],
            frequency=FREQUENCIES[index],
            cover=("jpeg", "png")[index],
            created_ms=int(now * 1000) + index * 7_000,
        )
        for index in range(2)
    )
    return Task(uuid.uuid4().hex, params, scenario, plan, now, tracks)


def track_durations(rng: random.Random, scenario: Scenario, shortest: float, longest: float) -> tuple[float, float]:
    """Both tracks' durations in seconds (two decimals): the scenario's, else drawn between the bounds."""
    if scenario.duration is not None:
        return scenario.duration, scenario.duration
    first, second = (round(rng.uniform(shortest, longest), 2) for _ in range(2))
    return first, second


class TaskStore:
    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        self._tasks[task.task_id] = task

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def all(self) -> list[Task]:
        return list(self._tasks.values())
