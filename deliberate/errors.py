"""Translated error pages."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from deliberate.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("We could not find that page. It may have been moved or removed.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side. Nothing you wrote was lost; please try again."),
    ),
}


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=message or default), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400, _l("This form has expired or was sent from another page. Please reload the page and send it again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    @app.errorhandler(500)
    def server_error(error: Exception):
        db.session.rollback()
        return render_error(500)
