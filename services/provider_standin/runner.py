"""Running a task's plan in time: status changes at their moments, callbacks sent in the background.

Each callback (and each of its duplicate copies, one after the other) is its own asyncio task, so a
callback being retried never holds back the next stage, just as with the provider.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
import structlog

from services.provider_standin.plan import Delays, Send, Step, plan
from services.provider_standin.sender import CallbackSender
from services.provider_standin.tasks import Task

log = structlog.get_logger("standin")
UploadCheck = Callable[[str], Awaitable[bool]]


class Runner:
    def __init__(
        self, sender: CallbackSender, delays: Delays, *, signs: Callable[[Task], bool], upload_ok: UploadCheck | None
    ) -> None:
        self._sender = sender
        self._delays = delays
        self._signs = signs
        self._upload_ok = upload_ok
        self._running: set[asyncio.Task[None]] = set()

    def start(self, task: Task) -> None:
        self._spawn(self.run(task), f"task-{task.task_id}")

    async def run(self, task: Task) -> None:
        started = time.monotonic()
        if self._upload_ok is not None and not await self._upload_ok(str(task.params["uploadUrl"])):
            log.warning("upload unreachable", task_id=task.task_id, detail="the task fails with code 451")
            task.scenario = replace(task.scenario, fail="451", fail_at="text")
            task.plan = plan(task.scenario, self._delays)
        events: list[tuple[float, int, Step | Send]] = [(s.at, 0, s) for s in task.plan.steps]
        events += [(s.at, 1, s) for s in task.plan.sends]
        for at, _, event in sorted(events, key=lambda item: item[:2]):
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            if isinstance(event, Step):
                task.advance(event, time.time())
                log.info("task status", task_id=task.task_id, status=task.status)
            else:
                self._spawn(self._send(task, event), f"send-{task.task_id}-{event.stage}")

    async def _send(self, task: Task, send: Send) -> None:
        for copy in range(send.copies):
            await self._sender.deliver(task, send.stage, copy, signed=self._signs(task))

    async def aclose(self) -> None:
        for running in self._running:
            running.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until every task ran its plan and every callback was delivered or dropped (for tests)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        running = asyncio.ensure_future(work)
        running.set_name(name)
        self._running.add(running)
        running.add_done_callback(self._running.discard)


def upload_checker(http: httpx.AsyncClient, timeout: float) -> UploadCheck:
    """Fetch the instrumental like the provider does; any failure to get it is code 451 later."""

    async def upload_ok(url: str) -> bool:
        try:
            async with http.stream("GET", url, timeout=timeout) as response:
                if not response.is_success:
                    return False
                async for _ in response.aiter_bytes():
                    break
                return True
        except httpx.HTTPError:
            return False

    return upload_ok
