"""The operational endpoints every service exposes: /healthz, /readyz and /metrics."""

from collections.abc import Awaitable, Callable

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Readiness = Callable[[], Awaitable[tuple[int, dict[str, object]]]]
"""Returns (HTTP status, body): 200 when the service can do its work, 503 when it cannot."""


def ops_routes(registry: CollectorRegistry, readiness: Readiness) -> list[HTTPRouteHandler]:
    """Route handlers for liveness, readiness and Prometheus scraping of `registry`."""

    @get("/healthz", sync_to_thread=False, include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", include_in_schema=False)
    async def readyz() -> Response[dict[str, object]]:
        status, body = await readiness()
        return Response(body, status_code=status)

    @get("/metrics", sync_to_thread=False, include_in_schema=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [healthz, readyz, metrics]
