"""Can this process take an upload right now? Each store it writes is written once, quickly.

- database: a write transaction is opened and rolled back (on SQLite it takes the
  write lock, waiting at most a second; on PostgreSQL a read-only server fails it);
- storage: a small file is written under the recordings location and removed;
- tmp: likewise in the temp folder uploads are checked in.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text

_PROBE_BYTES = b"listenlens readiness probe\n"


def check_ready(runtime) -> dict[str, str]:
    return {"database": _check(_database, runtime), "storage": _check(_storage, runtime),
            "tmp": _check(_tmp, runtime)}


def _check(probe, runtime) -> str:
    try:
        probe(runtime)
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": ")
    return "ok"


def _database(runtime) -> None:
    with runtime.db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout=1000")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, as an upload takes it
                conn.exec_driver_sql("ROLLBACK")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(runtime.settings.db_busy_timeout_s * 1000)}")
            return
        with conn.begin():
            conn.execute(text("SET LOCAL statement_timeout = 2000"))
            conn.execute(text("CREATE TEMPORARY TABLE listenlens_readyz (x int) ON COMMIT DROP"))
            conn.execute(text("INSERT INTO listenlens_readyz VALUES (1)"))
            if conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
                raise RuntimeError("the database is read-only")


def _storage(runtime) -> None:
    runtime.storage.check_writable()


def _tmp(runtime) -> None:
    probe = Path(runtime.tmp_dir) / f"readyz-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(_PROBE_BYTES)
    finally:
        probe.unlink(missing_ok=True)
