"""`python -m services.provider_standin`: read VOCALS_STANDIN_* settings, configure logging, serve."""

import logging
import sys

import structlog
import uvicorn

from services.plumbing.logging import configure_logging
from services.plumbing.settings import SettingsError, describe, load
from services.provider_standin.app import create_app
from services.provider_standin.settings import StandinSettings


def main() -> int:
    try:
        settings = load(StandinSettings)
    except SettingsError as exc:
        print(f"provider stand-in: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines would log callback URLs and their tokens
    structlog.get_logger("standin").info("starting", **describe(settings))
    uvicorn.run(
        create_app(settings),
        host=settings.standin_host,
        port=settings.standin_port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
