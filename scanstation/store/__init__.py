"""The station database: SQLAlchemy 2 tables, Alembic migrations, and the engine/session factory."""

from scanstation.store.db import Store, open_store

__all__ = ["Store", "open_store"]
