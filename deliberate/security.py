"""HTTP hardening: no serving with an unsafe configuration, security headers, safe redirects."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _

from deliberate.config import DEFAULT_SECRET_KEY, limiter_storage

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class InsecureConfiguration(RuntimeError):
    """Raised when the app would serve requests with a configuration that is unsafe in production."""


def _checked(app: Flask) -> bool:
    return not (app.debug or app.testing)


def refuse_default_secret_key(app: Flask) -> None:
    """Raise InsecureConfiguration when the app is about to serve, outside debug and tests, with the default key.

    The key signs session cookies and CSRF tokens, and the default one is public: anyone could forge a log-in.
    Only serving signs anything, so the check is made where serving starts (wsgi.py, the ``run`` command) and
    before every request; commands such as ``tally`` or ``db upgrade`` run without a key.
    """
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and _checked(app):
        raise InsecureConfiguration(
            "Refusing to serve with the default secret key. Set DELIBERATE_SECRET_KEY in the environment or "
            "SECRET_KEY in instance/config.py (for example: python -c 'import secrets; print(secrets.token_hex())')."
        )


def refuse_missing_base_url(app: Flask) -> None:
    """Raise InsecureConfiguration when the app would serve, outside debug and tests, without DELIBERATE_BASE_URL.

    Without it, links in mail (password resets, invitations) and in the Atom feeds take the host the request
    names, and anyone can send a request naming theirs.
    """
    if not app.config.get("BASE_URL") and _checked(app):
        raise InsecureConfiguration(
            "Refusing to serve without the site's address: set DELIBERATE_BASE_URL (for example "
            "https://agenda.example.org). Without it, a request with a forged Host header would put another site's "
            "address in password-reset links and in the feeds."
        )


def worker_count(app: Flask) -> int | None:
    """Return how many processes serve requests: DELIBERATE_WORKERS, else gunicorn's WEB_CONCURRENCY, else None."""
    if app.config.get("WORKERS"):
        return int(app.config["WORKERS"])
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(raw) if raw.isdigit() else None


def refuse_per_process_throttle(app: Flask) -> None:
    """Raise InsecureConfiguration when throttles count in each process's memory while several processes serve.

    Each worker would then allow the full number of attempts: with 4 workers, 4 times as many wrong passwords.
    """
    workers = worker_count(app)
    if limiter_storage(app.config).startswith("memory://") and workers and workers > 1 and _checked(app):
        raise InsecureConfiguration(
            f"Refusing to serve with {workers} workers while the log-in throttle counts in each worker's memory: "
            "set DELIBERATE_REDIS_URL (or DELIBERATE_RATELIMIT_STORAGE_URI) to a Redis, such as "
            "redis://127.0.0.1:6379/0, or serve with one worker."
        )


def refuse_insecure_configuration(app: Flask) -> None:
    """Raise InsecureConfiguration for anything that must be set before serving in production (see above)."""
    refuse_default_secret_key(app)
    refuse_missing_base_url(app)
    refuse_per_process_throttle(app)


def warn_unknown_worker_count(app: Flask) -> None:
    """Say, at start-up, that throttles count per process when the number of workers is not known."""
    if limiter_storage(app.config).startswith("memory://") and worker_count(app) is None and _checked(app):
        app.logger.warning(
            "The log-in throttle counts in this process's memory. With more than one worker, set "
            "DELIBERATE_REDIS_URL to a Redis shared by all of them; set DELIBERATE_WORKERS to the number of "
            "workers so that a mistake is refused at start-up."
        )


def _is_local(host: str) -> bool:
    """Tell whether a request's Host names this machine (the demo of ``make run``, a browser test)."""
    name = urlsplit("//" + host).hostname or ""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refuse_requests_while_insecure() -> Response | None:
    """Answer 503 to every request while the configuration is unsafe, before anything reads or signs a cookie.

    A site without DELIBERATE_BASE_URL still serves pages asked for by this machine's own name (the local demo):
    a link made from such a request points back to the machine that opens it.
    """
    try:
        refuse_default_secret_key(current_app)
        refuse_per_process_throttle(current_app)
        if not _is_local(request.host):
            refuse_missing_base_url(current_app)
    except InsecureConfiguration as error:
        current_app.logger.error("%s", error)
        config = current_app.config
        # The language comes from the browser alone: the session cookie cannot be trusted with a public key.
        with force_locale(request.accept_languages.best_match(config["LANGUAGES"], config["BABEL_DEFAULT_LOCALE"])):
            message = _("This site cannot serve pages until its administrator finishes its configuration.")
        return Response(message, 503, mimetype="text/plain")
    return None


def add_security_headers(response: Response) -> Response:
    """Attach the headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def safe_next(target: str | None) -> str | None:
    """Return target when it is a path on this site, else None (an open redirect is refused)."""
    if not target or target.startswith(("//", "\\")) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


def init_app(app: Flask) -> None:
    """Register the hardening; called before the extensions, so that the checks run before their hooks."""
    app.before_request(refuse_requests_while_insecure)
    app.after_request(add_security_headers)
    secure = app.config["SECURE_COOKIES"] and not app.debug and not app.testing
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.jinja_env.globals["current_path"] = lambda: request.full_path.rstrip("?")
