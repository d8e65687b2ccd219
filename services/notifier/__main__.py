"""`python -m services.notifier`: read VOCALS_* settings, configure logging, consume and notify."""

import asyncio
import logging
import signal
import sys

import stamina.instrumentation
import structlog

from services.notifier.app import run
from services.notifier.settings import NotifierSettings
from services.plumbing.logging import configure_logging
from services.plumbing.settings import SettingsError, describe, load

log = structlog.get_logger("notifier")


def main() -> int:
    try:
        settings = load(NotifierSettings, service="notifier")
    except SettingsError as exc:
        print(f"notifier: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)  # its debug lines carry the webhook URL and token
    stamina.instrumentation.set_on_retry_hooks([])  # the notifier counts and logs its own retries
    log.info("starting", **describe(settings))
    try:
        asyncio.run(_serve(settings))
    except Exception as exc:
        log.exception("stopped", error=str(exc), detail="unfinished events are redelivered when it restarts")
        return 1
    return 0


async def _serve(settings: NotifierSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run(settings, stop=stop)


if __name__ == "__main__":
    raise SystemExit(main())
