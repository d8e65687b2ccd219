"""The reconciler's composition root: `build(settings)` wires store, provider client, publisher, consumer
handler and poller (tests pass their own ports); `run()` consumes, polls and serves /healthz /readyz /metrics.
"""

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog
import uvicorn
from litestar import Litestar
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import make_url

from schemas.topics import CALLBACKS, SUBMITTED
from services.plumbing.consumer import ConsumerConfig, run_consumer
from services.plumbing.database import make_engine
from services.plumbing.http import ops_routes
from services.plumbing.kafka import make_producer
from services.provider_client import ProviderClient
from services.reconciler.metrics import ReconcilerMetrics
from services.reconciler.pacing import Pacer
from services.reconciler.poller import Poller, StatusSource, Timing
from services.reconciler.publisher import KafkaPublisher, Publisher
from services.reconciler.settings import ReconcilerSettings
from services.reconciler.store import SqlWatchStore, WatchStore
from services.reconciler.tracking import Tracker

log = structlog.get_logger("reconciler")


@dataclass(kw_only=True)
class Reconciler:
    settings: ReconcilerSettings
    store: WatchStore
    tracker: Tracker
    poller: Poller
    registry: CollectorRegistry
    consuming: asyncio.Event = field(default_factory=asyncio.Event)
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            group_id=self.settings.reconciler_group,
            topics=(self.settings.topic(CALLBACKS), self.settings.topic(SUBMITTED)),
            service="reconciler",
            max_concurrency=8,
        )

    async def readiness(self) -> tuple[int, dict[str, object]]:
        """200 once partitions are assigned and the database answers; 503 with the reason otherwise."""
        if not self.consuming.is_set():
            return 503, {"status": "starting", "reason": "waiting for Kafka partitions"}
        try:
            await self.store.ping()
        except Exception as exc:  # readiness reports any failure instead of raising it
            return 503, {"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"}
        return 200, {"status": "ready", "watched": await self.store.watched()}

    async def aclose(self) -> None:
        await self.resources.aclose()


async def build(
    settings: ReconcilerSettings,
    *,
    store: WatchStore | None = None,
    source: StatusSource | None = None,
    publisher: Publisher | None = None,
    registry: CollectorRegistry | None = None,
) -> Reconciler:
    """Production adapters unless given: SQL store (tables created), provider client, Kafka producer."""
    registry = registry or CollectorRegistry()
    resources = contextlib.AsyncExitStack()
    try:
        store = store or await _sql_store(settings, resources)
        if source is None:
            client = ProviderClient(
                settings.provider_base_url, settings.provider_api_key, timeout=settings.provider_timeout_seconds
            )
            resources.push_async_callback(client.aclose)
            source = client
        if publisher is None:
            producer = make_producer(settings, client_id=f"{settings.kafka_client_id}-reconciler")
            await producer.start()
            resources.push_async_callback(producer.stop)
            publisher = KafkaPublisher(producer, settings.topic(CALLBACKS), source=settings.reconciler_source)
    except BaseException:
        await resources.aclose()
        raise
    poller = Poller(
        store=store,
        source=source,
        publisher=publisher,
        metrics=ReconcilerMetrics(registry),
        pacer=Pacer(settings.poll_rate_per_second),
        timing=Timing(
            interval=settings.poll_interval_seconds,
            give_up_after=settings.give_up_after_seconds,
            scan_every=settings.scan_interval_seconds,
        ),
        concurrency=settings.poll_concurrency,
    )
    tracker = Tracker(store, submitted_topic=settings.topic(SUBMITTED), poll_after=settings.poll_after_seconds)
    return Reconciler(
        settings=settings, store=store, tracker=tracker, poller=poller, registry=registry, resources=resources
    )


async def run(settings: ReconcilerSettings, *, reconciler: Reconciler | None = None, stop: asyncio.Event) -> None:
    """Consume, poll and serve until `stop` is set or a part ends (a consumer out of retries stops it all)."""
    reconciler = reconciler or await build(settings)
    server = _OpsServer(
        uvicorn.Config(
            Litestar(route_handlers=ops_routes(reconciler.registry, reconciler.readiness), logging_config=None),
            host=settings.reconciler_http_host,
            port=settings.reconciler_http_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    parts = [
        asyncio.create_task(
            run_consumer(
                settings,
                reconciler.consumer_config(),
                reconciler.tracker.handle,
                registry=reconciler.registry,
                stop=stop,
                ready=reconciler.consuming,
            ),
            name="reconciler-consumer",
        ),
        asyncio.create_task(reconciler.poller.run(stop), name="reconciler-poller"),
        asyncio.create_task(server.serve(), name="reconciler-ops"),
        asyncio.create_task(stop.wait(), name="reconciler-stop"),
    ]
    try:
        await asyncio.wait(parts, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping", reason="signal" if stop.is_set() else "a part ended")
    finally:
        stop.set()
        server.should_exit = True
        results = await asyncio.gather(*parts, return_exceptions=True)
        await reconciler.aclose()
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def _sql_store(settings: ReconcilerSettings, resources: contextlib.AsyncExitStack) -> SqlWatchStore:
    _sqlite_directory(settings.database_url)
    engine = make_engine(settings.database_url)
    resources.push_async_callback(engine.dispose)
    store = SqlWatchStore(engine)
    await store.create_tables()
    return store


def _sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class _OpsServer(uvicorn.Server):
    """uvicorn without its own signal handling: `__main__` owns SIGINT/SIGTERM and sets `stop`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
