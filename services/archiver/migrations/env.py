"""Alembic environment: runs on the connection `services.archiver.migrate` hands over."""

from alembic import context

from services.archiver.migrate import VERSION_TABLE
from services.archiver.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the archiver's migrations with `python -m services.archiver migrate`")
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
