"""Fixtures: a fresh app and database per test, factories, and a log-in helper.

Tests run on SQLite by default; with DELIBERATE_TEST_DATABASE_URL (a PostgreSQL URL) every test runs against
PostgreSQL instead, each pytest-xdist worker in a database of its own.
"""

from __future__ import annotations

import itertools
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

from deliberate import create_app
from deliberate.extensions import db
from deliberate.models import Gender, Membership, MembershipStatus, Organization, OrganizationKind, Role, User

PASSWORD = "correct horse battery"


@event.listens_for(Engine, "connect")
def _fast_sqlite(dbapi_connection, _record) -> None:
    """Skip SQLite's disk syncs in tests: each test's database is thrown away."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = MEMORY")
_counter = itertools.count(1)


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


@pytest.fixture
def create_user(app: Flask) -> Callable[..., User]:
    def create(
        name: str | None = None, *, email: str | None = None, gender: Gender | None = None, is_admin: bool = False,
        locale: str | None = "en",
    ) -> User:
        from werkzeug.security import generate_password_hash

        n = next(_counter)
        with app.app_context():
            user = User(
                email=email or f"user{n}@example.org", display_name=name or f"User {n}",
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), gender=gender,
                is_admin=is_admin, is_deleted=False, locale=locale,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return create


@pytest.fixture
def create_organization(app: Flask) -> Callable[..., Organization]:
    def create(name: str | None = None, *, kind: OrganizationKind = OrganizationKind.FEDERATION,
               parent: Organization | None = None, **details) -> Organization:
        n = next(_counter)
        with app.app_context():
            organization = Organization(
                kind=kind, name=name or f"Org {n}", slug=f"org-{n}", parent_id=parent.id if parent else None,
                description="", **details,
            )
            db.session.add(organization)
            db.session.commit()
            db.session.refresh(organization)
            db.session.expunge(organization)
        return organization

    return create


@pytest.fixture
def add_member(app: Flask) -> Callable[..., Membership]:
    def add(user: User, organization: Organization, role: Role = Role.MEMBER,
            status: MembershipStatus = MembershipStatus.ACTIVE) -> Membership:
        with app.app_context():
            membership = Membership(user_id=user.id, organization_id=organization.id, role=role, status=status)
            db.session.add(membership)
            db.session.commit()
            db.session.refresh(membership)
            db.session.expunge(membership)
        return membership

    return add


@pytest.fixture
def federation_world(create_user, create_organization, add_member) -> dict:
    """Return a federation with two clubs and one person in every role (and an outsider in another club)."""
    federation = create_organization("Federación Demo")
    club = create_organization("Club Jerez", kind=OrganizationKind.CLUB, parent=federation,
                               hometown_municipality="Jerez", us_city="Los Angeles")
    other_club = create_organization("Club Tlaltenango", kind=OrganizationKind.CLUB, parent=federation)
    other_federation = create_organization("Otra Federación")
    foreign_club = create_organization("Club Lejano", kind=OrganizationKind.CLUB, parent=other_federation)
    people = {
        "member": create_user("Member M", gender=Gender.WOMAN),
        "officer": create_user("Officer O", gender=Gender.MAN),
        "board": create_user("Board B", gender=Gender.WOMAN),
        "admin": create_user("Admin A"),
        "other_club_member": create_user("Other Club Member"),
        "outsider": create_user("Outsider X"),
        "stranger": create_user("Stranger S"),
    }
    add_member(people["member"], club)
    add_member(people["officer"], club, Role.OFFICER)
    add_member(people["board"], other_club)
    add_member(people["board"], federation, Role.BOARD)
    add_member(people["admin"], federation, Role.ADMIN)
    add_member(people["other_club_member"], other_club)
    add_member(people["outsider"], foreign_club)
    return {"federation": federation, "club": club, "other_club": other_club, "other_federation": other_federation,
            "foreign_club": foreign_club, **people}


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log a user in through the real form."""
    response = client.post("/account/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def log_in() -> Callable[[FlaskClient, User], None]:
    return login


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
