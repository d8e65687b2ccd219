"""`python -m services.archiver [run|migrate]`: run the archiver (consumer + read API), or only migrate its tables."""

import asyncio
import sys

import structlog
from sqlalchemy.engine import make_url

from services.archiver.app import run
from services.archiver.database import open_repository
from services.archiver.settings import ArchiverSettings
from services.archiver.store import StoreConfigError
from services.plumbing.logging import configure_logging
from services.plumbing.settings import SettingsError, describe, load

USAGE = "usage: python -m services.archiver [run|migrate]"


async def migrate_only(settings: ArchiverSettings) -> None:
    async with open_repository(settings.database_url):
        pass


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command not in ("run", "migrate"):
        print(f"unknown command {command!r}; {USAGE}", file=sys.stderr)
        return 2
    try:
        settings = load(ArchiverSettings, service="archiver")
    except SettingsError as exc:
        print(f"archiver cannot start: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    log = structlog.get_logger("services.archiver")
    shown = describe(settings) | {"database_url": _without_password(settings.database_url)}
    try:
        if command == "migrate":
            asyncio.run(migrate_only(settings))
            log.info("archiver tables are up to date", database_url=shown["database_url"])
            return 0
        log.info("archiver starting", settings=shown)
        asyncio.run(run(settings))
    except StoreConfigError as exc:
        print(f"archiver cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


def _without_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
