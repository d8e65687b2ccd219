"""Building stand-in tasks for unit tests without HTTP."""

from services.provider_standin.plan import Delays, plan
from services.provider_standin.scenario import parse
from services.provider_standin.tasks import Task, new_task

BASE = "http://standin.test"
PARAMS = {
    "uploadUrl": "https://example.com/instrumental.mp3",
    "prompt": "[Verse]\nNeon rain",
    "title": "Neon Rain",
    "style": "synthwave",
    "negativeTags": "",
    "callBackUrl": "http://receiver.test/callbacks/vocals?token=t",
    "model": "V4_5PLUS",
}


def task_with(
    scenario: str = "", *, steps: int = 0, durations: tuple[float, float] = (3.0, 4.0), delay: float = 1.0
) -> Task:
    """A task with `scenario`, advanced through its first `steps` steps."""
    parsed = parse(scenario)
    task = new_task(dict(PARAMS), parsed, plan(parsed, Delays(delay, delay, delay)), durations=durations)
    for step in task.plan.steps[:steps]:
        task.advance(step, now=1_000.0)
    return task
