"""Opening the metadata database: engine, migrations, repository, and closing it again."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.engine import make_url

from services.archiver.migrate import migrate
from services.archiver.repository import SqlRepository
from services.plumbing.database import make_engine


@contextlib.asynccontextmanager
async def open_repository(url: str) -> AsyncIterator[SqlRepository]:
    """A migrated SqlRepository on `url`; a SQLite file's directory is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        await migrate(engine)
        yield SqlRepository(engine)
    finally:
        await engine.dispose()
