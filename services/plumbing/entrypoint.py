"""The `__main__` of a long-running consumer service: settings, logging, signals, and an exit code."""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import msgspec
import structlog

from services.plumbing.logging import configure_logging
from services.plumbing.settings import SettingsError, describe, load

S = TypeVar("S", bound=msgspec.Struct)


def run_service(
    name: str,
    settings_type: type[S],
    serve: Callable[[S, asyncio.Event], Awaitable[None]],
    *,
    quiet_loggers: Sequence[str] = (),
) -> int:
    """Load `VOCALS_*` settings (exit 2 with one line if they are wrong), configure logging, and run
    `serve(settings, stop)` until SIGINT/SIGTERM sets `stop`; exit 1 if it fails.

    `quiet_loggers` are library loggers held at WARNING, e.g. because their debug lines carry secrets.
    """
    try:
        settings = load(settings_type, service=name)
    except SettingsError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=getattr(settings, "log_level", "INFO"), log_format=getattr(settings, "log_format", "auto"))
    for logger in quiet_loggers:
        logging.getLogger(logger).setLevel(logging.WARNING)
    log = structlog.get_logger(name)
    log.info("starting", **describe(settings))
    try:
        asyncio.run(_until_signalled(serve, settings))
    except Exception as exc:
        log.exception("stopped", error=str(exc), detail="unfinished records are redelivered when it restarts")
        return 1
    return 0


async def _until_signalled(serve: Callable[[S, asyncio.Event], Awaitable[None]], settings: S) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop)
