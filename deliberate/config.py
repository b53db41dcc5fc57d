"""Configuration defaults; production values come from the environment (DELIBERATE_*) or instance/config.py."""

from __future__ import annotations

import os

DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused outside debug and tests

SECRET_KEY = DEFAULT_SECRET_KEY
SQLALCHEMY_DATABASE_URI: str | None = None  # filled by create_app: SQLite in the instance folder

LANGUAGES = ("es", "en")
BABEL_DEFAULT_LOCALE = "es"
BABEL_DEFAULT_TIMEZONE = "UTC"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = True  # switched off in debug, testing, or by DELIBERATE_SECURE_COOKIES=0 for plain-HTTP demos

MAX_CONTENT_LENGTH = 2 * 1024 * 1024
#: A Polis export uploaded by the board: each CSV file at most this many bytes (votes.csv of a conversation with
#: 200,000 votes is about 10 MB), and the upload's request at most the three files' worth.
POLIS_FILE_MAX_BYTES = 20_000_000
POLIS_UPLOAD_MAX_BYTES = 3 * POLIS_FILE_MAX_BYTES + 100_000
#: How many reverse proxies stand in front of the app (nginx: 1); their X-Forwarded-* headers are trusted.
PROXY_HOPS = 0
WTF_CSRF_TIME_LIMIT = None  # a form left open all afternoon still submits; the token stays bound to the session

#: Where the throttles count. Unset: in REDIS_URL's Redis when there is one (shared by every worker and machine),
#: else "memory://", which counts per process: refused in production with more than one worker (see WORKERS).
RATELIMIT_STORAGE_URI: str | None = None
RATELIMIT_HEADERS_ENABLED = True
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # while Redis is down, count per process rather than refuse every log-in
#: The Redis the site shares between its processes, e.g. "redis://127.0.0.1:6379/0".
REDIS_URL: str | None = None
#: How many processes serve requests (gunicorn's --workers); None: unknown, read from WEB_CONCURRENCY if set.
WORKERS: int | None = None
#: Failed log-ins per account (the email tried, whoever tries it) and per address they come from: a club hall on
#: one Wi-Fi shares an address, so its limit is higher, and a right password is not held up by others' mistakes.
LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
LOGIN_IP_RATE_LIMIT = "30 per minute;200 per hour"
#: Registrations and password-reset requests (each sends a mail) per email address and per address they come from.
REGISTER_RATE_LIMIT = "3 per hour"
REGISTER_IP_RATE_LIMIT = "30 per hour"
RESET_RATE_LIMIT = "3 per hour"
RESET_IP_RATE_LIMIT = "30 per hour"
#: How long the link that confirms a new account's address stays valid.
EMAIL_CONFIRMATION_HOURS = 48

MAIL_SERVER: str | None = None
MAIL_PORT = 587
MAIL_USERNAME: str | None = None
MAIL_PASSWORD: str | None = None
MAIL_USE_TLS = True
MAIL_SENDER = "deliberate <no-reply@localhost>"
#: The address people reach the site at, e.g. "https://agenda.example.org" (with a path if it is served under one).
#: Links in emails start with it, also those a command sends (there is no request to take the host from).
BASE_URL: str | None = None

#: Background jobs (deliberate.jobs): the queue's name (its keys' prefix in Redis), whether jobs run at once in
#: the process that queues them (None: under tests only), the SQLite file of the embedded queue (None: jobs.sqlite3
#: in the instance folder; with REDIS_URL the queue lives in Redis), the first retry's delay (doubled each time,
#: at most an hour), the tries of a job and of a message, and how long a worker may stay silent before its work is
#: given to another (a killed worker's).
JOBS_QUEUE = "deliberate"
JOBS_IMMEDIATE: bool | None = None
JOBS_SQLITE_PATH: str | None = None
JOBS_RETRY_SECONDS = 30
JOBS_MAX_ATTEMPTS = 6
JOBS_STALE_SECONDS = 300
MAIL_MAX_ATTEMPTS = 30
#: Messages a worker sends over one SMTP connection.
MAIL_BATCH = 100
#: The hour of a federation's own clock at which its members' daily digests go out (weekly ones on its Monday).
DIGEST_HOUR = 7
#: Reactions arriving within this many seconds make one opinion-map recomputation.
OPINION_DEBOUNCE_SECONDS = 30

#: The key that seals ballots while voting is open (any long random text). It must live outside the database and
#: its backups, and must not change while a vote is open. Without it, a key derived from SECRET_KEY is used.
BALLOT_KEY: str | None = None

PASSWORD_RESET_HOURS = 2
INVITATION_DAYS = 14
MIN_PASSWORD_LENGTH = 10
PAGE_SIZE = 25

#: Women's share of the population a federation compares its participation with (INEGI, Mexican migrants in the US).
DEFAULT_PARITY_BASELINE = 0.439

_ENVIRONMENT_KEYS = {
    "DELIBERATE_SECRET_KEY": "SECRET_KEY",
    "DELIBERATE_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "DELIBERATE_RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "DELIBERATE_REDIS_URL": "REDIS_URL",
    "DELIBERATE_WORKERS": "WORKERS",
    "DELIBERATE_MAIL_SERVER": "MAIL_SERVER",
    "DELIBERATE_MAIL_PORT": "MAIL_PORT",
    "DELIBERATE_MAIL_USERNAME": "MAIL_USERNAME",
    "DELIBERATE_MAIL_PASSWORD": "MAIL_PASSWORD",
    "DELIBERATE_MAIL_USE_TLS": "MAIL_USE_TLS",
    "DELIBERATE_MAIL_SENDER": "MAIL_SENDER",
    "DELIBERATE_BASE_URL": "BASE_URL",
    "DELIBERATE_SECURE_COOKIES": "SECURE_COOKIES",
    "DELIBERATE_BALLOT_KEY": "BALLOT_KEY",
    "DELIBERATE_PROXY_HOPS": "PROXY_HOPS",
    "DELIBERATE_JOBS_QUEUE": "JOBS_QUEUE",
    "DELIBERATE_JOBS_STALE_SECONDS": "JOBS_STALE_SECONDS",
    "DELIBERATE_OPINION_DEBOUNCE_SECONDS": "OPINION_DEBOUNCE_SECONDS",
}
_BOOLEAN_KEYS = {"MAIL_USE_TLS", "SECURE_COOKIES"}
_INTEGER_KEYS = {"PROXY_HOPS", "MAIL_PORT", "WORKERS", "JOBS_STALE_SECONDS", "OPINION_DEBOUNCE_SECONDS"}


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, object]:
    """Return the settings given by DELIBERATE_* environment variables, converted to their types."""
    settings: dict[str, object] = {}
    for variable, key in _ENVIRONMENT_KEYS.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        if key in _BOOLEAN_KEYS:
            settings[key] = raw.strip().lower() not in {"0", "false", "no", "off"}
        elif key in _INTEGER_KEYS:
            settings[key] = int(raw)
        else:
            settings[key] = raw
    return settings


def limiter_storage(config) -> str:
    """Return where the throttles count: the storage set, else the site's Redis, else this process's memory."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
