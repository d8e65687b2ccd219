"""Alembic environment for the notifier's tables; run by `services.notifier.migrate.upgrade`.

The connection comes in through `config.attributes["connection"]` (an async engine's sync connection),
and the version table is the notifier's own, so services sharing one database migrate independently.
"""

from alembic import context

from services.notifier.tables import metadata

VERSION_TABLE = "alembic_version_notifier"


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the notifier's migrations run through services.notifier.migrate.upgrade(engine), "
            "which passes the connection in; offline (SQL script) mode is not supported"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
