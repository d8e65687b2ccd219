"""Callbacks go out like the provider's: retried up to 3 times then dropped, signed on demand, in plan order."""

import json
from collections.abc import Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry

from services.provider_standin.metrics import StandinMetrics
from services.provider_standin.plan import Delays
from services.provider_standin.runner import Runner
from services.provider_standin.sender import CallbackSender
from services.receiver.auth import Authenticator
from tests.unit.provider_standin.support import BASE, task_with


class Receiver:
    """An httpx transport standing in for the receiver: answers `statuses` in turn, then 200."""

    def __init__(self, *statuses: int, error: Exception | None = None) -> None:
        self.statuses = list(statuses)
        self.error = error
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200, json={"status": "received"})

    def stages(self) -> list[str]:
        return [json.loads(r.content)["data"]["callbackType"] for r in self.requests]


def sender(
    receiver: Callable[[httpx.Request], httpx.Response], registry: CollectorRegistry, key: str = ""
) -> CallbackSender:
    http = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    return CallbackSender(http, StandinMetrics(registry), base_url=BASE, retries=3, retry_delay=0.0, signing_key=key)


async def test_a_failing_callback_is_retried_three_times_then_dropped() -> None:
    """Four attempts in all (first + 3 retries), each recorded, then the callback is given up and counted."""
    registry = CollectorRegistry()
    receiver = Receiver(503, 500, 502, 504)
    task = task_with(steps=1)
    assert await sender(receiver, registry).deliver(task, "text", 0, signed=False) is False
    assert [a.outcome for a in task.attempts] == ["http_503", "http_500", "http_502", "http_504"]
    assert registry.get_sample_value("vocals_standin_callbacks_dropped_total", {"stage": "text"}) == 1
    assert (
        registry.get_sample_value("vocals_standin_callback_attempts_total", {"stage": "text", "outcome": "http_error"})
        == 4
    )


async def test_a_retry_that_succeeds_stops_the_retries() -> None:
    """A callback answered 200 on its third attempt is delivered and not sent again."""
    receiver = Receiver(500, 500)
    task = task_with(steps=1)
    assert await sender(receiver, CollectorRegistry()).deliver(task, "text", 0, signed=False) is True
    assert [a.outcome for a in task.attempts] == ["http_500", "http_500", "delivered"]
    assert len(receiver.requests) == 3


@pytest.mark.parametrize(
    ("error", "outcome"), [(httpx.ReadTimeout("slow"), "timeout"), (httpx.ConnectError("refused"), "unreachable")]
)
async def test_timeouts_and_refused_connections_are_failures(error: Exception, outcome: str) -> None:
    """A receiver that does not answer in time, or cannot be reached, fails the attempt like an error reply."""
    task = task_with(steps=1)
    await sender(Receiver(error=error), CollectorRegistry()).deliver(task, "text", 0, signed=False)
    assert [a.outcome for a in task.attempts] == [outcome] * 4


async def test_an_outage_fails_every_attempt_without_calling_the_receiver() -> None:
    """During a task's outage window every attempt fails as unreachable and nothing reaches the receiver."""
    receiver = Receiver()
    task = task_with("outage=3600", steps=1)
    assert await sender(receiver, CollectorRegistry()).deliver(task, "text", 0, signed=False) is False
    assert [a.outcome for a in task.attempts] == ["outage"] * 4
    assert receiver.requests == []


async def test_signed_callbacks_pass_the_receivers_signature_check() -> None:
    """The stand-in's X-Webhook-Signature is accepted by the receiver's own Authenticator with the same key."""
    receiver = Receiver()
    task = task_with("sign", steps=1)
    await sender(receiver, CollectorRegistry(), key="shared-key").deliver(task, "text", 0, signed=True)
    [request] = receiver.requests
    check = Authenticator(tokens=(), signing_keys=("shared-key",), tolerance_seconds=300)
    timestamp, signature = request.headers["x-webhook-timestamp"], request.headers["x-webhook-signature"]
    assert (
        check.check(token=None, timestamp=timestamp, signature=signature, body=request.content, now=int(timestamp))
        is None
    )
    wrong = Authenticator(tokens=(), signing_keys=("other",), tolerance_seconds=300)
    assert wrong.check(token=None, timestamp=timestamp, signature=signature, body=request.content, now=int(timestamp))


async def run_plan(scenario: str, upload_ok: bool = True) -> tuple[Receiver, list[str]]:
    receiver = Receiver()
    task = task_with(scenario, delay=0.0)

    async def upload(_: str) -> bool:
        return upload_ok

    runner = Runner(sender(receiver, CollectorRegistry()), Delays(0, 0, 0), signs=lambda _: False, upload_ok=upload)
    runner.start(task)
    await runner.idle()
    return receiver, [task.status, str(task.error_code)]


async def test_the_runner_delivers_the_stages_in_order_with_duplicates() -> None:
    """A plain task's callbacks arrive text, first, complete; `duplicate` sends each twice in a row."""
    receiver, (status, _) = await run_plan("duplicate")
    assert receiver.stages() == ["text", "text", "first", "first", "complete", "complete"]
    assert status == "SUCCESS"


async def test_the_runner_reorders_and_skips() -> None:
    """`reorder` delivers complete, first, text; `skip=text+first` delivers only complete."""
    reordered, _ = await run_plan("reorder")
    skipped, _ = await run_plan("skip=text+first")
    assert reordered.stages() == ["complete", "first", "text"]
    assert skipped.stages() == ["complete"]


async def test_an_unreachable_instrumental_fails_the_task_with_451() -> None:
    """When uploadUrl cannot be downloaded the task fails with code 451 instead of generating."""
    receiver, (status, code) = await run_plan("", upload_ok=False)
    assert (status, code) == ("GENERATE_AUDIO_FAILED", "451")
    assert receiver.stages() == ["failed"]
