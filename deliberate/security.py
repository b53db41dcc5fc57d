"""HTTP hardening: security headers and safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

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
    app.after_request(add_security_headers)
    secure = app.config["SECURE_COOKIES"] and not app.debug and not app.testing
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.jinja_env.globals["current_path"] = lambda: request.full_path.rstrip("?")
