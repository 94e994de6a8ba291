"""Alembic environment: migrate the database named by the `sqlalchemy.url` option or settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from plexcare.config import get_settings
from plexcare.db import Base, make_engine
from plexcare.schema import load_all_models

load_all_models()
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    supplied = context.config.attributes.get("connection")
    if supplied is not None:
        _run(supplied)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `plexcare db upgrade`")
run_migrations_online()
