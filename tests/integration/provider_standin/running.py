"""The stand-in, a restartable receiver and the reconciler, served for real in the test's event loop."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from prometheus_client import CollectorRegistry

from devtools.kafka import create_topics
from schemas.topics import ARCHIVED, CALLBACKS, QUARANTINE, SUBMITTED
from services.plumbing.settings import load
from services.provider_standin.app import create_app as create_standin
from services.provider_standin.runner import Runner
from services.provider_standin.settings import StandinSettings
from services.receiver.app import create_app as create_receiver
from services.receiver.settings import ReceiverSettings
from services.reconciler.app import Reconciler, build, run
from services.reconciler.settings import ReconcilerSettings
from tests.integration.receiver.running import TOKEN, free_port

WAIT_S = 30.0
API_KEY = "it-standin-key"
SIGNING_KEY = "it-signing-key"
FAST_STANDIN = {
    "text_delay_seconds": "0.2",
    "first_delay_seconds": "0.3",
    "complete_delay_seconds": "0.3",
    "track_min_seconds": "2",
    "track_max_seconds": "3",
    "callback_retries": "3",
    "callback_retry_delay_seconds": "0.4",
    "callback_timeout_seconds": "5",
}
"""Stages 0.2 s apart-ish; a failed callback is retried after 0.4, 0.8 and 1.6 s, so it is dropped ~2.8 s later."""


async def wait_for(check: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT_S) -> None:  # noqa: ASYNC109 - on expiry it names what did not happen
    """Poll `check` every 50 ms until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true within {timeout} s")
        await asyncio.sleep(0.05)


async def new_prefix(bootstrap: str) -> str:
    """A fresh VOCALS_KAFKA_TOPIC_PREFIX with its callbacks, archived, quarantine and submitted topics created."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    names = {CALLBACKS: 3, ARCHIVED: 3, QUARANTINE: 1, SUBMITTED: 3}
    await create_topics(bootstrap, {prefix + name: partitions for name, partitions in names.items()})
    return prefix


def sample_sum(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels match `labels` (label values not given are summed over)."""
    return sum(
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


class Served:
    """One ASGI app under uvicorn on a fixed loopback port; `stop()` and `start()` again like a restart."""

    def __init__(self, make_app: Callable[[], Litestar], port: int) -> None:
        self._make_app = make_app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.app: Litestar | None = None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = self._make_app()
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._serving = asyncio.create_task(self._server.serve())
        server = self._server

        async def started() -> bool:
            assert self._serving is not None
            if self._serving.done():
                self._serving.result()
            return server.started

        await wait_for(started, f"uvicorn serving on port {self.port}")

    async def stop(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
            self._server = self._serving = None


@dataclass
class Standin:
    served: Served
    settings: StandinSettings
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def runner(self) -> Runner:
        assert self.served.app is not None
        runner: Runner = self.served.app.state.runner
        return runner

    async def task(self, task_id: str) -> dict[str, Any]:
        reply: dict[str, Any] = (await self.http.get(f"/standin/tasks/{task_id}")).raise_for_status().json()
        return reply

    async def attempts(self, task_id: str, stage: str) -> list[str]:
        return [a["outcome"] for a in (await self.task(task_id))["attempts"] if a["stage"] == stage]

    def upload_url(self) -> str:
        return f"{self.url}/samples/instrumental.mp3"


@asynccontextmanager
async def running_standin(**overrides: str) -> AsyncIterator[Standin]:
    """The stand-in on a free port with fast timings; `overrides` are settings without the `standin_` prefix."""
    port = free_port()
    values = FAST_STANDIN | {"port": str(port), "public_url": f"http://127.0.0.1:{port}", "api_keys": API_KEY}
    values |= {"signing_key": SIGNING_KEY} | overrides
    settings = load(StandinSettings, {f"VOCALS_STANDIN_{k.upper()}": v for k, v in values.items()})
    served = Served(lambda: create_standin(settings), port)
    await served.start()
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        try:
            yield Standin(served, settings, http)
        finally:
            await served.stop()


class Receiver:
    """The real receiver on a fixed port; stop() it for an outage, start() it again."""

    def __init__(self, tmp_path: Path, bootstrap: str, prefix: str) -> None:
        port = free_port()
        environ = {
            "VOCALS_CALLBACK_TOKENS": TOKEN,
            "VOCALS_SIGNING_KEYS": SIGNING_KEY,
            "VOCALS_KAFKA_BOOTSTRAP": bootstrap,
            "VOCALS_KAFKA_TOPIC_PREFIX": prefix,
            "VOCALS_SPOOL_PATH": str(tmp_path / f"spool-{port}.sqlite3"),
            "VOCALS_PORT": str(port),
        }
        self.settings = load(ReceiverSettings, environ)
        self.registries: list[CollectorRegistry] = []
        """One per start: each receiver process has its own metrics, as after a real restart."""
        self.served = Served(self._app, port)
        self.callback_url = f"{self.served.url}/callbacks/vocals?token={TOKEN}"
        self.signed_url = f"{self.served.url}/callbacks/vocals"

    def _app(self) -> Litestar:
        self.registries.append(CollectorRegistry())
        return create_receiver(self.settings, registry=self.registries[-1])

    def metric(self, name: str, **labels: str) -> float:
        """A sample summed over every start, and over label values not given."""
        return sum(sample_sum(registry, name, **labels) for registry in self.registries)

    async def start(self) -> None:
        await self.served.start()
        async with httpx.AsyncClient(base_url=self.served.url) as http:

            async def connected() -> bool:
                return bool((await http.get("/readyz")).json()["kafka"] == "connected")

            await wait_for(connected, "the receiver connected to Kafka")

    async def stop(self) -> None:
        await self.served.stop()


@asynccontextmanager
async def running_receiver(tmp_path: Path, bootstrap: str, prefix: str) -> AsyncIterator[Receiver]:
    receiver = Receiver(tmp_path, bootstrap, prefix)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def reconciler_environ(
    *, bootstrap: str, prefix: str, database_url: str, standin: Standin, **overrides: str
) -> dict[str, str]:
    """A reconciler polling the stand-in quickly, reading the `prefix`ed topics with its own group and table."""
    values = {
        "kafka_bootstrap": bootstrap,
        "kafka_topic_prefix": prefix,
        "reconciler_group": f"reconciler-{uuid.uuid4().hex[:10]}",
        "database_url": database_url,
        "provider_base_url": standin.url,
        "provider_api_key": API_KEY,
        "poll_after_seconds": "1",
        "poll_interval_seconds": "0.5",
        "poll_rate_per_second": "20",
        "scan_interval_seconds": "0.1",
        "reconciler_http_port": "0",
    } | overrides
    return {f"VOCALS_{key.upper()}": value for key, value in values.items()}


@asynccontextmanager
async def running_reconciler(environ: dict[str, str]) -> AsyncIterator[Reconciler]:
    """`run()` in this event loop until the block ends; yields once its partitions are assigned."""
    settings = load(ReconcilerSettings, environ)
    reconciler = await build(settings)
    stop = asyncio.Event()
    running = asyncio.create_task(run(settings, reconciler=reconciler, stop=stop))

    async def assigned() -> bool:
        if running.done():
            running.result()
        return reconciler.consuming.is_set()

    await wait_for(assigned, "the reconciler got its partitions")
    try:
        yield reconciler
    finally:
        stop.set()
        await running
