"""Alembic migrations of the archiver's tables; version table `alembic_version_archiver`."""
