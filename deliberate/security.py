"""HTTP hardening: no serving with the development secret key, security headers, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _

from deliberate.config import DEFAULT_SECRET_KEY

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
    """Raised when the app would serve requests with the development secret key."""


def refuse_default_secret_key(app: Flask) -> None:
    """Raise InsecureConfiguration when the app is about to serve, outside debug and tests, with the default key.

    The key signs session cookies and CSRF tokens, and the default one is public: anyone could forge a log-in.
    Only serving signs anything, so the check is made where serving starts (wsgi.py, the ``run`` command) and
    before every request; commands such as ``tally`` or ``db upgrade`` run without a key.
    """
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (app.debug or app.testing):
        raise InsecureConfiguration(
            "Refusing to serve with the default secret key. Set DELIBERATE_SECRET_KEY in the environment or "
            "SECRET_KEY in instance/config.py (for example: python -c 'import secrets; print(secrets.token_hex())')."
        )


def refuse_requests_without_secret_key() -> Response | None:
    """Answer 503 to every request while the key is the default one, before anything reads or signs a cookie."""
    try:
        refuse_default_secret_key(current_app)
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
    """Register the hardening; called before the extensions, so that the key check runs before their hooks."""
    app.before_request(refuse_requests_without_secret_key)
    app.after_request(add_security_headers)
    secure = app.config["SECURE_COOKIES"] and not app.debug and not app.testing
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.jinja_env.globals["current_path"] = lambda: request.full_path.rstrip("?")
