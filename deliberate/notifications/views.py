"""The notifications page: my notifications, newest first; mark one or all read; the unread count for the nav."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from deliberate.extensions import db
from deliberate.models import Notification
from deliberate.notifications import services
from deliberate.routing import db_int

bp = Blueprint("notifications", __name__)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token."""


@bp.app_context_processor
def _notification_helpers() -> dict:
    """Give templates the sentence of a notification (made from its stored facts, no query)."""
    return {"describe_notification": services.describe}


@bp.before_app_request
def _count_unread() -> None:
    """Count the person's unread notifications once per page, for the menu (static files need no count)."""
    if request.endpoint != "static" and current_user.is_authenticated:
        g.unread_notifications = services.unread_count(current_user)


@bp.get("/notifications")
@login_required
def index():
    """List my notifications, newest first, twenty a page."""
    page = services.page_for(current_user, request.args.get("page", 1, type=db_int))
    return render_template("notifications/index.html", page=page, form=EmptyForm(),
                           unread=services.unread_count(current_user))


def _safe_link(link: str | None) -> str:
    """Follow only links inside this site."""
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return url_for(".index")


@bp.post("/notifications/<int:notification_id>/<any(open, read):action>")
@login_required
def mark(notification_id: int, action: str):
    """Mark one notification read, then open what it is about (or come back to the list)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not services.mark_read(current_user, notification_id):
        abort(404)
    if action == "open":
        return redirect(_safe_link(db.session.get(Notification, notification_id).link))
    return redirect(url_for(".index", page=request.args.get("page", 1, type=db_int)))


@bp.post("/notifications/read-all")
@login_required
def mark_all():
    """Mark all my notifications read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user)
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for(".index"))
