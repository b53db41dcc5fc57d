"""Translated error pages, and the one mapping from a service's refusal (a domain exception) to words.

Views call ``refusal(error)`` for the words of a flash message and ``field_error(form, error)`` to show a
``ValidationFailed`` beside its field; any domain exception a view leaves unhandled becomes a translated 4xx page
here, never a 500. Values the database refuses (out of range, NUL) become a 400 the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from deliberate import audit
from deliberate.domain.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PhaseClosed,
    ValidationFailed,
)
from deliberate.extensions import db
from deliberate.i18n import page_federation
from deliberate.labels import phase_name
from deliberate.models import User
from deliberate.permissions import is_board

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("We could not find that page. It may have been moved or removed.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    409: (_l("Not possible now"), _l("This cannot be done now. Reload the page to see the current state.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    422: (_l("Please check what you sent"),
          _l("Something you sent cannot be accepted. Go back: what you wrote is still in the form.")),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side. Nothing you wrote was lost; please try again."),
    ),
}

#: Why a value was refused (ValidationFailed.code), said to the person who typed it.
FIELD_MESSAGES = {
    "required": _l("Please write something first: markup and spaces alone count as nothing."),
    "too_long": _l("This text is too long. Please shorten it: your text is still here."),
    "invalid": _l("This value is not valid."),
    "out_of_range": _l("This value is out of range."),
    "out_of_order": _l("The dates must be in the order of the phases."),
    "in_the_past": _l("Choose a moment in the future."),
    "wrong": _l("This is not right."),
}

#: Why an action collided with the current state (Conflict.reason); others get the 409 page's words.
CONFLICT_MESSAGES = {
    "duplicate": _l("This has already been done."),
    "stale": _l("Someone changed this while you were looking. Reload the page to see the current state."),
    "already_active": _l("You are already a member of this club."),
    "already_pending": _l("Your request is already waiting for the club's officers."),
    "not_pending": _l("This request was already decided."),
    "already_removed": _l("This membership was already removed."),
    "not_active": _l("Only active memberships can be changed."),
    "not_visible": _l("This demand is hidden or withdrawn."),
    "already_hidden": _l("This is already hidden."),
    "not_hidden": _l("This is not hidden."),
    "no_open_reports": _l("There are no open reports on this."),
}

#: Why the acting person may not do this (PermissionDenied.reason); others get the 403 page's words.
PERMISSION_MESSAGES = {
    "own_argument": _l("You cannot up-vote your own argument."),
}


def refusal(error: DomainError, words: Mapping[str, str] | None = None) -> str:
    """Choose the translated words for a service's refusal, and write the refusal to the audit log.

    ``words`` can name one reason or code more precisely for the page at hand (a "duplicate" report: "You have
    already reported this.").
    """
    record_refusal(error)
    reason = getattr(error, "reason", None) or getattr(error, "code", None)
    if words and reason in words:
        return str(words[reason])
    if isinstance(error, ValidationFailed):
        return str(FIELD_MESSAGES.get(error.code, FIELD_MESSAGES["invalid"]))
    if isinstance(error, PhaseClosed):
        return _("This consultation does not accept this in its current phase (%(phase)s).",
                 phase=phase_name(error.phase))
    if isinstance(error, InvalidTransition):
        return _("A consultation can only move one phase forward. Nothing was changed.")
    if isinstance(error, PermissionDenied):
        return str(PERMISSION_MESSAGES.get(error.reason, MESSAGES[403][1]))
    if isinstance(error, NotFound):
        return _("We could not find what you asked for. It may have been removed or may have expired.")
    if isinstance(error, Conflict):
        return str(CONFLICT_MESSAGES.get(error.reason, MESSAGES[409][1]))
    return str(MESSAGES[409][1])


def record_refusal(error: DomainError) -> None:
    """Write an action's refusal to the audit log of the federation its page belongs to, once per request.

    Only a refused action (not a page read) of a logged-in person is written: the route, the kind of refusal and
    its code. The person is named only when they act for the federation's board; a member's refusals stay
    anonymous (a refused second ballot must not tell the board who voted). The failed action's changes are rolled
    back first, so the entry is all that is committed.
    """
    if not has_request_context() or request.method in ("GET", "HEAD") or "refusal_recorded" in g:
        return
    if not current_user.is_authenticated:
        return
    federation = page_federation()
    if federation is None:
        return
    g.refusal_recorded = True
    code = getattr(error, "reason", None) or getattr(error, "code", None) or ""
    field = getattr(error, "field", None)
    db.session.rollback()
    actor = db.session.get(User, current_user.id) if is_board(current_user, federation) else None
    audit.record(db.session.merge(federation), actor, "request.refused",
                 request.url_rule.rule if request.url_rule else request.path,
                 facts={"kind": type(error).__name__, "code": str(code), **({"field": field} if field else {})})
    db.session.commit()


def field_error(form, error: ValidationFailed, message: str | None = None) -> None:
    """Show a ValidationFailed beside the field it names (or the form's first field), keeping what was typed."""
    fields = [field for name, field in form._fields.items() if name != "csrf_token"]
    field = form._fields.get(error.field) or (fields[0] if fields else None)
    if field is not None:
        field.errors = [*field.errors, message or refusal(error)]


def status_of(error: DomainError) -> int:
    """Return the HTTP status that answers a refusal."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, ValidationFailed):
        return 422
    return 409


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

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        """Answer a refusal no view handled with its translated words, never a 500."""
        db.session.rollback()
        return render_error(status_of(error), refusal(error))

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def refused_value(error: Exception):
        """Answer a value the database (or a date) cannot hold with a 400: it came from the request."""
        db.session.rollback()
        current_app.logger.warning("refused a value out of range: %s", error, exc_info=error)
        return render_error(400)

    @app.errorhandler(500)
    def server_error(error: Exception):
        db.session.rollback()
        return render_error(500)
