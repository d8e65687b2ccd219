"""The stand-in's composition root: `create_app(settings)` wires the provider, its runner and its routes."""

import contextlib
import random
from collections.abc import AsyncIterator

import httpx
from litestar import Litestar
from litestar.exceptions import HTTPException
from prometheus_client import CollectorRegistry

from services.plumbing.http import ops_routes
from services.provider_standin.api import api_routes, file_routes, inspection_routes, provider_error
from services.provider_standin.metrics import StandinMetrics
from services.provider_standin.provider import StandinProvider
from services.provider_standin.runner import Runner, upload_checker
from services.provider_standin.sender import CallbackSender
from services.provider_standin.settings import StandinSettings
from services.provider_standin.tasks import TaskStore


def create_app(settings: StandinSettings, *, registry: CollectorRegistry | None = None) -> Litestar:
    """The stand-in as an ASGI app; `app.state` holds its runner (tests await `runner.idle()`), store and registry."""
    registry = registry or CollectorRegistry()
    metrics = StandinMetrics(registry)
    store = TaskStore()
    http = httpx.AsyncClient(timeout=settings.standin_callback_timeout_seconds, follow_redirects=False)
    seed = settings.standin_random_seed or None
    provider = StandinProvider(settings, store=store, start=lambda task: runner.start(task), rng=random.Random(seed))
    sender = CallbackSender(
        http,
        metrics,
        base_url=settings.standin_public_url,
        retries=settings.standin_callback_retries,
        retry_delay=settings.standin_callback_retry_delay_seconds,
        signing_key=settings.standin_signing_key,
    )
    checker = (
        upload_checker(http, settings.standin_upload_timeout_seconds) if settings.standin_fetch_upload_url else None
    )
    runner = Runner(sender, provider.delays, signs=provider.signs, upload_ok=checker)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await runner.aclose()
            await http.aclose()

    async def readiness() -> tuple[int, dict[str, object]]:
        return 200, {"status": "ready", "tasks": len(store.all())}

    app = Litestar(
        logging_config=None,  # logging is configured once, by __main__ (structlog), not by Litestar
        route_handlers=[
            *api_routes(provider, metrics),
            *file_routes(store, metrics),
            *inspection_routes(store),
            *ops_routes(registry, readiness),
        ],
        lifespan=[lifespan],
        exception_handlers={HTTPException: provider_error},
        openapi_config=None,
        debug=False,
    )
    app.state.runner = runner
    app.state.store = store
    app.state.registry = registry
    return app
