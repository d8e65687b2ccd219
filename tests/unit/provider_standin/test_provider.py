"""The stand-in's API answers like the provider: maintenance, key, rate limit, parameters, credits, then a task."""

import json
import random
from typing import Any

import pytest

from services.plumbing.settings import load
from services.provider_standin.provider import StandinProvider
from services.provider_standin.settings import StandinSettings
from services.provider_standin.tasks import Task, TaskStore
from tests.unit.provider_standin.support import PARAMS

KEY = "Bearer standin-key"


def provider(**settings: str) -> tuple[StandinProvider, list[Task]]:
    started: list[Task] = []
    environ = {f"VOCALS_STANDIN_{name.upper()}": value for name, value in settings.items()}
    built = StandinProvider(
        load(StandinSettings, environ), store=TaskStore(), start=started.append, rng=random.Random(1)
    )
    return built, started


def submit(
    target: StandinProvider, *, key: str | None = KEY, scenario: str | None = None, **changes: Any
) -> dict[str, Any]:
    body = json.dumps({**PARAMS, **changes}).encode()
    return target.submit(body, authorization=key, scenario_header=scenario)


def test_a_valid_submit_creates_and_starts_a_task() -> None:
    """A valid request gets code 200 and a 32-hex taskId; the task is stored and started with its scenario."""
    target, started = provider()
    reply = submit(target, scenario="duplicate")
    task_id = reply["data"]["taskId"]
    assert (reply["code"], reply["msg"], len(task_id)) == (200, "success", 32)
    assert [task.task_id for task in started] == [task_id]
    assert started[0].scenario.duplicates == 1


@pytest.mark.parametrize(
    ("settings", "key", "scenario", "code"),
    [
        ({"maintenance": "true"}, KEY, None, 455),
        ({}, None, None, 401),
        ({}, "Bearer wrong", None, 401),
        ({}, "Basic standin-key", None, 401),
        ({}, KEY, "explode", 400),
        ({}, KEY, "reject=500", 500),
        ({}, KEY, "sign", 400),
        ({"credits": "11"}, KEY, None, 429),
    ],
)
def test_refusals(settings: dict[str, str], key: str | None, scenario: str | None, code: int) -> None:
    """Maintenance, a bad key, a bad scenario, a forced rejection and no credits answer their codes, start nothing."""
    target, started = provider(**settings)
    reply = submit(target, key=key, scenario=scenario)
    assert (reply["code"], reply["data"]) == (code, None)
    assert started == []


def test_the_submit_rate_limit_answers_405() -> None:
    """More submits than the window allows get code 405; the ones within it succeed."""
    target, started = provider(submit_limit="2", submit_window_seconds="60")
    assert [submit(target)["code"] for _ in range(3)] == [200, 200, 405]
    assert len(started) == 2


def test_credits_run_out_and_are_reported() -> None:
    """Each task costs credits; the credit endpoint reports what is left."""
    target, _ = provider(credits="30", credits_per_task="12")
    assert [submit(target)["code"] for _ in range(3)] == [200, 200, 429]
    assert target.credit(authorization=KEY) == {"code": 200, "msg": "success", "data": 6}


def test_record_info_knows_its_tasks_and_caps_polling() -> None:
    """record-info answers a known task, code 400 for an unknown one, and 430 past 3 calls per task per second."""
    target, started = provider()
    task_id = submit(target)["data"]["taskId"]
    replies = [target.record_info(task_id, authorization=KEY)["code"] for _ in range(4)]
    assert replies == [200, 200, 200, 430]
    assert target.record_info("f" * 32, authorization=KEY)["code"] == 400
    assert target.record_info(None, authorization=KEY)["code"] == 400
    assert target.record_info(task_id, authorization="Bearer nope")["code"] == 401
    assert started[0].status == "PENDING"


def test_signing_follows_the_scenario_or_sign_all() -> None:
    """Callbacks are signed when the scenario says `sign` or the stand-in signs all, and only with a key."""
    target, started = provider(signing_key="k")
    submit(target, scenario="sign")
    submit(target)
    assert [target.signs(task) for task in started] == [True, False]
    everything, started_all = provider(signing_key="k", sign_all="true")
    submit(everything)
    assert everything.signs(started_all[0])


def test_links_expire_after_the_configured_time_unless_the_scenario_says_otherwise() -> None:
    """VOCALS_STANDIN_LINK_EXPIRY_SECONDS applies to every task; a scenario's own `expire=` wins."""
    target, started = provider(link_expiry_seconds="90")
    submit(target)
    submit(target, scenario="expire=5")
    assert [task.scenario.expire_after for task in started] == [90.0, 5.0]
