"""The notifier's composition root: `build(settings)` wires channels, store and handler; `run()` runs it.

Production adapters are the defaults; tests pass their own store, channels or registry.
"""

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import structlog
import uvicorn
from litestar import Litestar
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifier.decoding import Decoder
from services.notifier.delivery import RetryPolicy
from services.notifier.metrics import NotifierMetrics
from services.notifier.migrate import ensure_sqlite_directory, upgrade
from services.notifier.ports import Channel, NotifierStore
from services.notifier.routing import default_channels, routes, stages_for
from services.notifier.service import Notifier
from services.notifier.settings import NotifierSettings
from services.notifier.store import SqlStore
from services.plumbing.consumer import ConsumerConfig, run_consumer
from services.plumbing.database import make_engine
from services.plumbing.http import ops_routes

log = structlog.get_logger("notifier")


@dataclass(kw_only=True)
class NotifierService:
    settings: NotifierSettings
    notifier: Notifier
    store: NotifierStore
    channels: Sequence[Channel]
    registry: CollectorRegistry
    engine: AsyncEngine | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def readiness(self) -> tuple[int, dict[str, object]]:
        """200 once partitions are assigned and the database answers; 503 with the reason otherwise."""
        if not self.ready.is_set():
            return 503, {"status": "starting", "reason": "waiting for Kafka partitions"}
        try:
            await self.store.ping()
        except Exception as exc:
            return 503, {"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"}
        return 200, {"status": "ready", "channels": [channel.name for channel in self.channels]}

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
        if self.engine is not None:
            await self.engine.dispose()


def build(
    settings: NotifierSettings,
    *,
    store: NotifierStore | None = None,
    channels: Sequence[Channel] | None = None,
    registry: CollectorRegistry | None = None,
) -> NotifierService:
    """The notifier with production adapters unless given: SQL store, Slack/SMTP (or log) channels."""
    engine = None
    if store is None:
        engine = make_engine(settings.database_url)
        store = SqlStore(engine)
    channels = list(channels) if channels is not None else default_channels(settings, refs=store)
    registry = registry or CollectorRegistry()
    notifier = Notifier(
        store=store,
        routes=routes(settings, channels),
        decoder=Decoder(callbacks_topic=settings.callbacks(), archived_topic=settings.archived()),
        policy=RetryPolicy(
            deadline_seconds=settings.send_deadline_seconds,
            initial_seconds=settings.retry_initial_seconds,
            max_seconds=settings.retry_max_seconds,
        ),
        metrics=NotifierMetrics(registry),
    )
    return NotifierService(
        settings=settings, notifier=notifier, store=store, channels=channels, registry=registry, engine=engine
    )


async def run(
    settings: NotifierSettings, *, service: NotifierService | None = None, stop: asyncio.Event | None = None
) -> None:
    """Migrate, serve /healthz /readyz /metrics, and consume until `stop` is set (or retries run out)."""
    if service is None:
        ensure_sqlite_directory(settings.database_url)
        service = build(settings)
    try:
        if service.engine is not None:
            await upgrade(service.engine)
        _announce(service)
        server, serving = _start_ops_server(service)
        try:
            await run_consumer(
                settings,
                consumer_config(settings),
                service.notifier.handle,
                registry=service.registry,
                stop=stop,
                ready=service.ready,
            )
        finally:
            server.should_exit = True
            await serving
    finally:
        await service.close()


def consumer_config(settings: NotifierSettings) -> ConsumerConfig:
    return ConsumerConfig(
        group_id=settings.consumer_group,
        topics=(settings.callbacks(), settings.archived()),
        service="notifier",
        max_concurrency=settings.max_concurrency,
        commit_interval_s=settings.commit_interval_seconds,
    )


def _announce(service: NotifierService) -> None:
    names = [channel.name for channel in service.channels]
    log.info("channels", stages={name: list(stages_for(service.settings, name)) for name in names})
    if names == ["log"]:
        log.warning(
            "no_channel_configured",
            detail="no Slack or SMTP configured: notices are written to this log instead of sent; set "
            "VOCALS_SLACK_WEBHOOK_URL, VOCALS_SLACK_BOT_TOKEN or VOCALS_SMTP_HOST to send them",
        )


class _OpsServer(uvicorn.Server):
    """uvicorn without its own signal handling: `__main__` owns SIGINT/SIGTERM and stops the consumer."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _start_ops_server(service: NotifierService) -> tuple[uvicorn.Server, "asyncio.Task[None]"]:
    app = Litestar(route_handlers=ops_routes(service.registry, service.readiness), logging_config=None)
    settings = service.settings
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_level="warning", access_log=False, lifespan="off"
    )
    server = _OpsServer(config)
    return server, asyncio.create_task(server.serve())
