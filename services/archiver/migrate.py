"""Apply the archiver's Alembic migrations: the same code path on SQLite and PostgreSQL.

Two instances starting together must not both create the tables: PostgreSQL takes an advisory lock,
SQLite a file lock next to the database file.
"""

import asyncio
import contextlib
import fcntl
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_archiver"
"""The archiver's own Alembic version table, so other services can keep theirs in the same database."""
_PG_LOCK_ID = 0x766F63616C73  # "vocals": one constant every archiver instance agrees on


async def migrate(engine: AsyncEngine) -> None:
    """Bring the archiver's tables to the newest revision (a no-op when they already are)."""
    async with _sqlite_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        await connection.run_sync(_upgrade)


def _upgrade(connection: sa.Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@contextlib.asynccontextmanager
async def _sqlite_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
