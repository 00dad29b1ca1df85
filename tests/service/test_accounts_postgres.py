"""The users and sessions migration on PostgreSQL (127.0.0.1:5432, database ``test``, a schema of its own)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from service_helpers import postgres_schema

pytestmark = [pytest.mark.scaleout]


@pytest.fixture
def pg_url():
    with postgres_schema() as url:
        yield url


def test_users_and_sessions_migrate_down_and_up_on_postgres(pg_url):
    from alembic import command
    from alembic.config import Config

    from listenlens.service.db import database
    from listenlens.service.db.database import Database
    from listenlens.service.domain.accounts import Viewer, create_user, verify_sign_in
    from listenlens.service.domain.sessions import end_session, read_session, start_session

    db = Database(pg_url)
    try:
        db.migrate()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "ui_sessions"} <= tables
        with db.session() as s:
            user = create_user(s, "acme", "lead@acme.test", "a long enough password", role="admin")
            viewer = Viewer.of_user(user, "acme")
            token = start_session(s, viewer, hours=1)
        with db.session() as s:
            assert verify_sign_in(s, "lead@acme.test", "a long enough password", max_failures=5, lockout_s=60)
            assert read_session(s, token).viewer.email == "lead@acme.test"
            end_session(s, token)
        with db.session() as s:
            assert read_session(s, token) is None

        cfg = Config(str(database._HERE / "alembic.ini"))
        cfg.set_main_option("script_location", str(database._HERE / "migrations"))
        with db.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
            conn.commit()
        assert not {"users", "ui_sessions"} & set(inspect(db.engine).get_table_names())
        db.migrate()
        assert {"users", "ui_sessions"} <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
