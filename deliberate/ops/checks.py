"""Checks of a running configuration, shared by ``deliberate doctor`` and ``/readyz``: plain words, and how to fix.

Each check returns :class:`Finding` values; an ``error`` means the site must not serve like this, a ``warning`` that
it works but something a federation would regret (mail lost, limits per process, no TLS).
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import text

from deliberate.config import DEFAULT_SECRET_KEY
from deliberate.extensions import db, migrations

ERROR, WARNING, OK = "error", "warning", "ok"


@dataclass(frozen=True)
class Finding:
    level: str
    topic: str
    message: str


def _storage(app: Flask) -> str:
    """Return where the rate limits count: their own storage, else the shared Redis, else each process's memory."""
    return app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"


def _workers(app: Flask | None = None) -> int:
    """Return how many worker processes serve the site: the WORKERS setting, else WEB_CONCURRENCY (gunicorn)."""
    configured = app.config.get("WORKERS") if app is not None else None
    if isinstance(configured, int) and configured > 0:
        return configured
    for variable in ("DELIBERATE_WORKERS", "WEB_CONCURRENCY"):
        value = os.environ.get(variable, "")
        if value.isdigit():
            return int(value)
    return 1


def configuration(app: Flask) -> Iterator[Finding]:
    """Check the secret key, the site's address, cookies over TLS, the ballot key and the rate-limit storage."""
    config = app.config
    if config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        yield Finding(ERROR, "secret key", "The secret key is the public default. Set DELIBERATE_SECRET_KEY, e.g. "
                      "python -c 'import secrets; print(secrets.token_hex())'.")
    elif len(str(config["SECRET_KEY"])) < 32:
        yield Finding(WARNING, "secret key", "The secret key is short: use at least 32 random characters.")
    else:
        yield Finding(OK, "secret key", "set")
    base = config.get("BASE_URL")
    if not base:
        yield Finding(ERROR, "address", "DELIBERATE_BASE_URL is not set: links in emails and feeds would take "
                      "the host a request names. Set it to the site's address, e.g. https://agenda.example.org.")
    else:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            yield Finding(ERROR, "address", f"DELIBERATE_BASE_URL ({base}) is not an http(s) address.")
        elif parts.scheme == "https" and not config.get("SECURE_COOKIES", True):
            yield Finding(ERROR, "cookies", "The site is served over HTTPS but DELIBERATE_SECURE_COOKIES=0 lets "
                          "log-in cookies travel over plain HTTP: remove that setting.")
        elif parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
            yield Finding(WARNING, "address", f"{base} is plain HTTP: passwords and ballots would cross the "
                          "network unencrypted. Serve it over HTTPS behind a reverse proxy (docs/deploy.md).")
        else:
            yield Finding(OK, "address", base)
    if not config.get("BALLOT_KEY"):
        yield Finding(WARNING, "ballot key", "DELIBERATE_BALLOT_KEY is not set: ballots are sealed with a key derived "
                      "from the secret key. Set a key of its own, kept out of backups (docs/ballot-secrecy.md).")
    else:
        yield Finding(OK, "ballot key", "set")
    workers = _workers(app)
    if _storage(app).startswith("memory://") and workers > 1:
        yield Finding(ERROR, "rate limits", f"{workers} workers keep their log-in limits apart in memory: set "
                      "DELIBERATE_REDIS_URL=redis://… so that they share them.")
    if not config.get("MAIL_SERVER"):
        yield Finding(WARNING, "mail", "No mail server (DELIBERATE_MAIL_SERVER): invitations and password resets "
                      "are not sent.")


def services(app: Flask) -> Iterator[Finding]:
    """Check that the database answers and is at the latest migration, and that Redis answers when it is used."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the database is the finding
        yield Finding(ERROR, "database", f"The database does not answer: {type(error).__name__}.")
        return
    yield from _migrations(app)
    for url in dict.fromkeys(u for u in (app.config.get("REDIS_URL"), _storage(app)) if u):
        if url.startswith(("redis://", "rediss://")):
            yield from _redis(url)


def _migrations(app: Flask) -> Iterator[Finding]:
    from alembic.runtime.migration import MigrationContext  # Alembic: only migrations and this check load it
    from alembic.script import ScriptDirectory

    directory = migrations(app).directory
    heads = set(ScriptDirectory(directory).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        yield Finding(ERROR, "migrations", f"The database is at {', '.join(sorted(current)) or 'no revision'}, the "
                      f"code at {', '.join(sorted(heads))}: run `deliberate db upgrade`.")
    else:
        yield Finding(OK, "migrations", "current")


def _redis(url: str) -> Iterator[Finding]:
    import redis  # 0.15 s to load: only the readiness check and the job queue (through Huey) need it

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        yield Finding(ERROR, "redis", f"Redis ({urlsplit(url).hostname}) does not answer: {type(error).__name__}.")
    else:
        yield Finding(OK, "redis", "answers")


def installation(app: Flask) -> Iterator[Finding]:
    """Check the compiled Spanish catalogue and the time zone data."""
    catalogue = Path(app.root_path) / "translations" / "es" / "LC_MESSAGES" / "messages.mo"
    source = catalogue.with_suffix(".po")
    if not catalogue.is_file():
        yield Finding(ERROR, "languages", "The Spanish catalogue is not compiled: pages would be in English only. "
                      "Run `make translations` (or install a built package).")
    elif source.is_file() and source.stat().st_mtime > catalogue.stat().st_mtime + 1:
        yield Finding(WARNING, "languages", "The Spanish catalogue is older than its source: run `make translations`.")
    else:
        yield Finding(OK, "languages", "compiled")
    try:
        zoneinfo.ZoneInfo("America/Los_Angeles")
    except zoneinfo.ZoneInfoNotFoundError:
        yield Finding(ERROR, "time zones", "No time zone data: install the tzdata package.")
    else:
        yield Finding(OK, "time zones", "present")


def everything(app: Flask) -> list[Finding]:
    return [*configuration(app), *services(app), *installation(app)]
