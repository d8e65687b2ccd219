"""`python -m services.receiver`: read VOCALS_* settings, configure logging, serve with uvicorn."""

import gc
import sys

import structlog
import uvicorn

from services.plumbing.logging import configure_logging
from services.plumbing.settings import SettingsError, describe, load
from services.receiver.app import create_app
from services.receiver.settings import ReceiverSettings


def tune_gc() -> None:
    """Freeze what start-up allocated (it never needs collecting) and collect the young generation less often:
    each callback allocates many short-lived objects, and frequent collections cost latency and CPU."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main() -> int:
    try:
        settings = load(ReceiverSettings, service="receiver")
    except SettingsError as exc:
        print(f"receiver: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    structlog.get_logger("receiver").info("starting", **describe(settings))
    tune_gc()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
