"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

import importlib
import sqlite3
import time

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Pool, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

from deliberate.config import limiter_storage

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Make SQLite enforce foreign keys (with their ON DELETE rules) and wait on a busy lock instead of failing."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()


#: A pooled connection left unused longer than this is checked with a round trip before it is handed out (a
#: database restarted meanwhile, or a proxy's idle timeout, has closed it, and the pool then opens a new one). One
#: used moments ago is not: checking every connection at every request cost each cast a round trip and a twentieth
#: of its CPU. A restart in the middle of busy traffic fails the requests that meet it, as it always has, and the
#: pool then replaces all its connections.
IDLE_CHECK_SECONDS = 10.0


@event.listens_for(Pool, "checkin")
def _note_idle(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _check_idle(dbapi_connection, record, _proxy) -> None:
    """Check a connection that sat idle in the pool; a dead one is replaced (DisconnectionError makes the pool
    open another)."""
    idle_since = record.info.pop("idle_since", None)
    if idle_since is None or time.monotonic() - idle_since < IDLE_CHECK_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()  # the check's own transaction: the connection is handed out idle
    except Exception as error:  # noqa: BLE001 - whatever the driver raises, the connection is not usable
        raise DisconnectionError() from error


def dialect_insert(model):
    """Return an INSERT into ``model`` with ON CONFLICT for the session's database (PostgreSQL, SQLite), else None.

    Taken from the dialect's package, which the engine has loaded already: importing PostgreSQL's on SQLite would
    cost a tenth of a second at every start.
    """
    name = db.session.get_bind().dialect.name
    if name not in ("postgresql", "sqlite"):
        return None
    return importlib.import_module(f"sqlalchemy.dialects.{name}").insert(model)


def migrations(app: Flask):
    """Return the app's Flask-Migrate configuration, attaching Flask-Migrate to the app the first time.

    Attached when first needed (the ``db`` commands, the readiness check, a test migrating its database), not in
    create_app: Flask-Migrate imports Alembic, a tenth of a second that no page and no other command needs.
    """
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate  # imports Alembic

        Migrate(app, db, directory=app.config["MIGRATIONS_DIRECTORY"], command="db")
    return app.extensions["migrate"]


login_manager = LoginManager()
# "basic": a log-in seen from another address or browser is marked not fresh, and stays logged in. "strong" would
# log it out, and members' phones change address whenever they move between Wi-Fi and mobile data. A stolen
# cookie is handled by ending log-ins instead (deliberate.auth.sessions), and the password is asked again before
# changing it or deleting the account.
login_manager.session_protection = "basic"
csrf = CSRFProtect()
babel = Babel()


class SharedLimiter(Limiter):
    """Flask-Limiter, counting in the site's Redis whenever one is configured (every worker sees every attempt)."""

    def init_app(self, app) -> None:
        app.config["RATELIMIT_STORAGE_URI"] = limiter_storage(app.config)
        super().init_app(app)


limiter = SharedLimiter(key_func=get_remote_address)


def select_locale() -> str:
    """Choose the page language: the member's choice, else the session's, else the browser's, else Spanish."""
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages, default=current_app.config["BABEL_DEFAULT_LOCALE"])
