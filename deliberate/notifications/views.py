"""The notifications page: my notifications, newest first; mark one or all read; the unread count for the nav;
how I want each topic delivered; the one-click unsubscribe of an email's link (no log-in: a signed token)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField

from deliberate import labels
from deliberate.extensions import csrf, db
from deliberate.forms import choices
from deliberate.mail import read_unsubscribe_token
from deliberate.models import Delivery, Notification
from deliberate.notifications import services
from deliberate.routing import db_int

bp = Blueprint("notifications", __name__)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token."""


class PreferencesForm(FlaskForm):
    """One choice of delivery per topic."""


for _topic, _label in labels.TOPIC_NAMES.items():
    setattr(PreferencesForm, _topic, RadioField(
        _label, choices=choices((delivery.value, label) for delivery, label in labels.DELIVERY_NAMES.items()),
        default=Delivery.IMMEDIATE.value))


@bp.app_context_processor
def _notification_helpers() -> dict:
    """Give templates the sentence of a notification (made from its stored facts, no query)."""
    return {"describe_notification": services.describe}


@bp.before_app_request
def _count_unread() -> None:
    """Count the person's unread notifications once per page, for the menu (static files need no count).

    Only for a page asked for (GET): a form sent (POST) answers with a redirect to a page that counts, and one sent
    back with errors names the notifications without their number (a cast, 50 at once, is a POST).
    """
    if request.method in ("GET", "HEAD") and request.endpoint != "static" and current_user.is_authenticated:
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


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Choose, per topic, an email at once, a daily or weekly summary, or the site only."""
    form = PreferencesForm()
    if form.validate_on_submit():
        services.set_preferences(current_user.id, {topic: Delivery(form[topic].data) for topic in services.TOPICS})
        flash(_("Your choices are saved."), "success")
        return redirect(url_for(".settings"))
    if request.method == "GET":
        for topic, delivery in services.preferences_of(current_user).items():
            form[topic].data = delivery.value
    return render_template("notifications/settings.html", form=form, topics=list(services.TOPICS)), \
        422 if form.errors else 200


@bp.get("/notifications/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """Ask to confirm stopping these emails (opening a link changes nothing: mail scanners open links)."""
    if read_unsubscribe_token(token) is None:
        abort(404)
    return render_template("notifications/unsubscribe.html", token=token, done=False)


@bp.post("/notifications/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" with no session; the token is the proof
def unsubscribe(token: str):
    """Stop the emails the token names; the notifications stay on the site."""
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    services.unsubscribe(*found)
    return render_template("notifications/unsubscribe.html", token=token, done=True)
