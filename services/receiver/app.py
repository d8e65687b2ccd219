"""The receiver's composition root: `create_app(settings)` builds the Litestar app with Kafka and the spool."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import structlog
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from prometheus_client import CollectorRegistry

from services.plumbing.http import ops_routes
from services.receiver.asgi import callback_route
from services.receiver.auth import Authenticator
from services.receiver.delivery import Delivery
from services.receiver.intake import Incoming, Intake, Reply
from services.receiver.metrics import ReceiverMetrics
from services.receiver.openapi import document_callback_route
from services.receiver.publisher import KafkaPublisher, Publisher
from services.receiver.settings import ReceiverSettings
from services.receiver.spool import Spool

log = structlog.get_logger("receiver")
CALLBACK_PATH = "/callbacks/vocals"


def create_app(
    settings: ReceiverSettings,
    *,
    publisher: Publisher | None = None,
    registry: CollectorRegistry | None = None,
) -> Litestar:
    """The receiver app; production adapters by default, tests pass their own publisher."""
    registry = registry or CollectorRegistry()
    metrics = ReceiverMetrics(registry)
    publisher = publisher or KafkaPublisher(settings, max_in_flight=settings.max_in_flight)
    spool = Spool(settings.spool_path, max_events=settings.spool_max_events)
    metrics.spool_events.set_function(spool.depth)
    metrics.spool_oldest_age.set_function(spool.oldest_age)
    delivery = Delivery(
        publisher,
        spool,
        metrics,
        publish_timeout=settings.publish_timeout_seconds,
        dedup_capacity=settings.dedup_capacity,
    )
    intake = Intake(
        authenticator=Authenticator(
            tokens=settings.callback_tokens,
            signing_keys=settings.signing_keys,
            tolerance_seconds=settings.signature_tolerance_seconds,
        ),
        delivery=delivery,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        ce_source=settings.ce_source,
        topic_prefix=settings.kafka_topic_prefix,
    )

    async def receive_callback(request: Incoming) -> Reply:
        started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        reply = await intake.handle(request)
        elapsed = time.perf_counter() - started
        metrics.request_duration.observe(elapsed)
        if reply.status != 200:
            metrics.rejections.labels(reply.reason).inc()
        log.info("callback", status=reply.status, outcome=reply.reason, duration_ms=round(elapsed * 1000, 2))
        return reply

    async def readiness() -> tuple[int, dict[str, object]]:
        healthy = publisher.connected and delivery.kafka_healthy
        depth = spool.depth()
        state = "ready" if healthy and depth == 0 else "degraded"
        if depth >= settings.spool_max_events:
            state = "unavailable"
        body: dict[str, object] = {
            "status": state,
            "kafka": "connected" if healthy else "unreachable",
            "spool_events": depth,
            "spool_oldest_age_seconds": round(spool.oldest_age(), 3),
        }
        return (503 if state == "unavailable" else 200), body

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await spool.open()
        await publisher.start()
        drainer = asyncio.create_task(delivery.drain_forever(), name="spool-drainer")
        try:
            yield
        finally:
            drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drainer
            await publisher.stop()
            await spool.close()

    app = Litestar(
        route_handlers=[callback_route(CALLBACK_PATH, receive_callback), *ops_routes(registry, readiness)],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(title="vocals receiver", version="1.0.0", path="/schema"),
        request_max_body_size=settings.max_body_bytes + 1,
        debug=False,
        logging_config=None,  # logging is configured once, by __main__ (structlog), not by Litestar
    )
    document_callback_route(app, CALLBACK_PATH)
    return app
