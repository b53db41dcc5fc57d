"""Fixtures: a fresh app and database per test; the factories come from tests/factories.py.

Tests run on SQLite by default; with DELIBERATE_TEST_DATABASE_URL (a PostgreSQL URL) every test runs against
PostgreSQL instead, each pytest-xdist worker in a database of its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from deliberate.app import create_app
from deliberate.extensions import db
from tests.factories import (  # noqa: F401 - fixtures, registered for every test by being imported here
    add_member,
    assembly_world,
    create_organization,
    create_user,
    federation_world,
    log_in,
    tallied,
)


@event.listens_for(Engine, "connect")
def _fast_sqlite(dbapi_connection, _record) -> None:
    """Skip SQLite's disk syncs in tests: each test's database is thrown away."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = MEMORY")


def _postgres_url(worker: str) -> str | None:
    """Return this worker's PostgreSQL URL, creating its database once."""
    base = os.environ.get("DELIBERATE_TEST_DATABASE_URL")
    if not base:
        return None
    url = make_url(base)
    if worker in ("", "master"):
        return base
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> str | None:
    return _postgres_url(os.environ.get("PYTEST_XDIST_WORKER", ""))


@pytest.fixture
def app_config(tmp_path: Path, database_url: str | None) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
    }


@pytest.fixture
def app(app_config: dict, tmp_path: Path) -> Iterator[Flask]:
    """Return a fresh app with an empty schema; its context is not pushed (see STYLE.md)."""
    os.environ["DELIBERATE_INSTANCE_PATH"] = str(tmp_path / "instance")
    application = create_app(app_config)
    application.extensions["mail_outbox"] = []
    with application.app_context():
        if db.engine.dialect.name != "sqlite":  # each SQLite test has a new file; PostgreSQL is reused
            db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(app: Flask, app_config: dict) -> Iterator[Callable[..., Flask]]:
    """Return a factory of extra apps on the same database (other settings); their engines are closed after."""
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        extra = create_app({**app_config, **overrides})
        extra.extensions["mail_outbox"] = []
        made.append(extra)
        return extra

    yield make
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a browser that asks for English pages (Spanish tests ask for Spanish explicitly)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def outbox(app: Flask) -> list:
    return app.extensions["mail_outbox"]


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """Push an app context for tests that call services directly."""
    with app.app_context():
        yield app


def pytest_collection_modifyitems(config, items):
    """Leave the PostgreSQL-only tests (marker ``postgres``) to the PostgreSQL pass: a SQLite pass deselects them."""
    if os.environ.get("DELIBERATE_TEST_DATABASE_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("postgres")])
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    """Say where this run's browser screenshots are, and sum up its axe-core checks (kept here, in the top conftest,
    because under xdist the controller that prints the summary never loads tests/browser/conftest.py)."""
    ran = {report.nodeid.rsplit("::", 1)[-1] for outcome in ("passed", "failed")
           for report in terminalreporter.stats.get(outcome, [])
           if report.when == "call" and report.nodeid.startswith("tests/browser/")}
    if not ran:
        return
    from browser.conftest import SCREENSHOTS
    terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")
    checks = [page for name in sorted(ran) if (SCREENSHOTS / name / "axe.json").exists()
              for page in json.loads((SCREENSHOTS / name / "axe.json").read_text())]
    if checks:
        failing = sum(1 for page in checks if page["serious_or_critical"])
        terminalreporter.write_line(
            f"axe-core: {len(checks)} page checks, {failing} with serious or critical violations "
            f"(per journey: {SCREENSHOTS}/*/axe.json)")
        other = Counter((f["impact"], f["id"]) for page in checks for f in page.get("findings", [])
                        if f["impact"] not in ("serious", "critical"))
        if other:
            terminalreporter.write_line("axe-core, other findings (pages): " + ", ".join(
                f"{rule} ({impact}) {count}" for (impact, rule), count in sorted(other.items())))
