"""Storage of the service's state: the engine and sessions, the tables, and their Alembic migrations."""
