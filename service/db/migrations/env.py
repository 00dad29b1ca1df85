"""Alembic environment: uses the connection the service hands over, else the settings' URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from listenlens.service.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from listenlens.config import load_settings

    url = config.get_main_option("sqlalchemy.url") or load_settings().service.resolved_database_url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    from listenlens.config import load_settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or load_settings().service.resolved_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
