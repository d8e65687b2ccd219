"""Bring the notifier's tables to the newest Alembic revision (run at start-up; idempotent)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration in one transaction, recorded in `alembic_version_notifier`."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite cannot create the file's directory (the default is data/vocals.sqlite3): make it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
