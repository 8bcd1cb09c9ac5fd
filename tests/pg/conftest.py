"""A real PostgreSQL server for the whole test session (started here, stopped at the end), and a fresh
database per test."""

from __future__ import annotations

import pytest

from tests.pg.server import TempPostgres


@pytest.fixture(scope="session")
def pg_server():
    server = TempPostgres().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """An empty database on the session's server (no schema yet)."""
    return pg_server.create_database()


@pytest.fixture
def pg_db(pg_url) -> str:
    """A database with the station schema, made by the admin command's code (``scanstation db upgrade``)."""
    from scanstation.store.db import upgrade

    upgrade(pg_url)
    return pg_url
