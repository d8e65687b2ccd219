"""Composition root: `build()` wires the archiver from settings (tests pass their own ports), `run()` runs it."""

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

import structlog
import uvicorn
from litestar import Litestar
from prometheus_client import CollectorRegistry

from services.archiver.announce import Links
from services.archiver.api import create_app
from services.archiver.database import open_repository
from services.archiver.download import Downloader, make_client, make_downloader
from services.archiver.metrics import ArchiverMetrics
from services.archiver.publisher import KafkaPublisher, Publisher
from services.archiver.repository import Repository
from services.archiver.service import ArchiveService
from services.archiver.settings import ArchiverSettings
from services.archiver.store import ArchiveStore, make_store
from services.archiver.tracks import TrackArchiver
from services.plumbing.consumer import ConsumerConfig, run_consumer
from services.plumbing.kafka import make_producer

log = structlog.get_logger("services.archiver")


@dataclass(kw_only=True)
class Archiver:
    """The wired service: its handler, stores and registry; `aclose()` releases what `build()` opened."""

    settings: ArchiverSettings
    service: ArchiveService
    repository: Repository
    store: ArchiveStore
    registry: CollectorRegistry
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            group_id=self.settings.consumer_group,
            topics=(self.settings.consumed_topic(),),
            service="archiver",
            max_concurrency=self.settings.max_concurrency,
        )

    def app(self, consuming: asyncio.Event | None = None) -> Litestar:
        """The read API over this archiver's database and store; ready once `consuming` is set."""

        async def readiness() -> tuple[int, dict[str, object]]:
            try:
                await self.repository.ping()
            except Exception as exc:  # readiness reports any failure instead of raising it
                return 503, {"status": "unavailable", "database": type(exc).__name__}
            if consuming is not None and not consuming.is_set():
                return 503, {"status": "starting", "consumer": "waiting for partitions"}
            return 200, {"status": "ready"}

        return create_app(
            self.settings, repository=self.repository, store=self.store, registry=self.registry, readiness=readiness
        )

    async def aclose(self) -> None:
        await self.resources.aclose()


async def build(
    settings: ArchiverSettings,
    *,
    repository: Repository | None = None,
    store: ArchiveStore | None = None,
    downloader: Downloader | None = None,
    publisher: Publisher | None = None,
    registry: CollectorRegistry | None = None,
) -> Archiver:
    """Production adapters unless given: migrated database, obstore, httpx downloads, Kafka producer."""
    registry = registry or CollectorRegistry()
    metrics = ArchiverMetrics(registry)
    resources = contextlib.AsyncExitStack()
    try:
        store = store or make_store(settings)
        if repository is None:
            repository = await resources.enter_async_context(open_repository(settings.database_url))
        if downloader is None:
            client = await resources.enter_async_context(make_client(settings))
            downloader = make_downloader(settings, client, store, metrics)
        if publisher is None:
            producer = make_producer(settings, client_id=f"{settings.kafka_client_id}-archiver")
            await producer.start()
            resources.push_async_callback(producer.stop)
            publisher = KafkaPublisher(producer, settings.published_topic())
    except BaseException:
        await resources.aclose()
        raise
    tracks = TrackArchiver(store, downloader, source_audio=settings.download_source_audio)
    service = ArchiveService(
        repository=repository,
        store=store,
        tracks=tracks,
        publisher=publisher,
        metrics=metrics,
        links=Links(settings.public_url),
        filter_words=settings.content_filter_words,
    )
    return Archiver(
        settings=settings,
        service=service,
        repository=repository,
        store=store,
        registry=registry,
        resources=resources,
    )


async def run(settings: ArchiverSettings) -> None:
    """Consume and serve the read API until SIGTERM/SIGINT; a consumer that gives up stops the process."""
    archiver = await build(settings)
    stop, consuming = asyncio.Event(), asyncio.Event()
    server = _Server(
        uvicorn.Config(
            archiver.app(consuming),
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    try:
        with _signals_set(stop):
            consumer = asyncio.create_task(
                run_consumer(
                    settings,
                    archiver.consumer_config(),
                    archiver.service.handle,
                    registry=archiver.registry,
                    stop=stop,
                    ready=consuming,
                )
            )
            serving = asyncio.create_task(server.serve())
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({consumer, serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
            log.info("archiver stopping", reason="signal" if stop.is_set() else "a component ended")
            stop.set()
            server.should_exit = True
            await serving
            await consumer
    finally:
        await archiver.aclose()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `run()` owns the signals and stops both halves."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def _signals_set(event: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, event.set)
    try:
        yield
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
