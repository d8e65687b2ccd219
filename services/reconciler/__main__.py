"""`python -m services.reconciler`: read VOCALS_* settings, configure logging, consume, poll, serve ops."""

import asyncio
import logging
import signal
import sys

import structlog

from services.plumbing.logging import configure_logging
from services.plumbing.settings import SettingsError, describe, load
from services.reconciler.app import run
from services.reconciler.settings import ReconcilerSettings

log = structlog.get_logger("reconciler")


def main() -> int:
    try:
        settings = load(ReconcilerSettings, service="reconciler")
    except SettingsError as exc:
        print(f"reconciler: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll is ours, with the outcome
    log.info("starting", **describe(settings))
    try:
        asyncio.run(_serve(settings))
    except Exception as exc:
        log.exception("stopped", error=str(exc), detail="unfinished records are redelivered when it restarts")
        return 1
    return 0


async def _serve(settings: ReconcilerSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run(settings, stop=stop)


if __name__ == "__main__":
    raise SystemExit(main())
