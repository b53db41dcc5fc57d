"""Notify members: add Notification rows to the caller's transaction and email each person in their language.

``notify`` never commits: the calling service commits, and the emails go out only after that commit succeeds (a
rolled-back transaction sends nothing). Without a mail server, ``send_mail`` writes the messages to the log.

Kinds and the params their texts use (missing params are tolerated):

- ``phase_changed``: ``consultation_id``, ``title_es``, ``title_en``, ``phase`` (the new phase's value)
- ``phase_stepped_back``: the same, and the board's ``reason``
- ``argument_on_my_demand``: ``demand_id``, ``demand_title``, ``side`` (``"for"`` or ``"against"``)
- ``content_hidden`` (to the author): ``subject_type`` (``"demand"`` or ``"argument"``), ``title`` (the demand's
  title), ``reason``
- ``content_kept`` (to the people who reported it): ``subject_type``, ``title``
- ``demand_linked`` (to the author, from the consolidation workspace): ``demand_id``, ``demand_title``, ``status``
  (``linked``, ``own_item``, ``out_of_scope`` or ``answered`` when the board answered their objection),
  ``item_title_es`` / ``item_title_en`` (linked), ``reason`` (out of scope), ``days`` (the objection window)
- ``event_seat`` (a seat freed up and went to the first person waiting), ``event_cancelled``, ``event_reminder``:
  ``event_id``, ``title_es``, ``title_en``
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from deliberate import labels
from deliberate.extensions import db
from deliberate.mail import absolute_link, send_mail
from deliberate.models import Notification, User, utcnow

_PENDING_MAIL = "deliberate_pending_notification_mail"


def notify(users: Iterable[User], kind: str, params: dict, link: str | None) -> None:
    """Add one notification per person to the current transaction, and queue their emails until it commits."""
    params = dict(params or {})
    seen: set[int] = set()
    pending = db.session.info.setdefault(_PENDING_MAIL, [])
    for user in users:
        if user is None or user.id in seen or user.is_deleted or user.is_pseudonymous:
            continue
        seen.add(user.id)
        notification = Notification(user_id=user.id, kind=kind, params=params, link=link)
        db.session.add(notification)
        pending.append(_compose(user, notification))


def _compose(user: User, notification: Notification) -> tuple[str, str, str]:
    """Write one person's email in their own language: (address, subject, body)."""
    link = absolute_link(notification.link) if notification.link else None
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = describe(notification)
        subject = _("deliberate: %(text)s", text=_shorten(text, 90))
        parts = [_("Hello %(name)s,", name=user.display_name), text]
        if link:
            parts.append(_("See it here: %(link)s", link=link))
        parts.append(_("You receive this message because you take part in a federation on deliberate."))
    return user.email, subject, "\n\n".join(parts)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@event.listens_for(Session, "after_commit")
def _send_pending_mail(session: Session) -> None:
    pending = session.info.pop(_PENDING_MAIL, None)
    for address, subject, body in pending or ():
        try:
            send_mail(address, subject, body)
        except OSError:  # the notification is stored; a mail server that is down must not break the page
            current_app.logger.exception("Could not send a notification email to %s", address)


@event.listens_for(Session, "after_rollback")
def _drop_pending_mail(session: Session) -> None:
    session.info.pop(_PENDING_MAIL, None)


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def describe(notification: Notification) -> str:
    """Return the notification's text in the current language."""
    params = notification.params or {}
    kind = notification.kind
    if kind == "phase_changed":
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        return _("The consultation “%(title)s” has moved to a new phase: %(phase)s.",
                 title=title, phase=labels.phase_name(params.get("phase", "")))
    if kind == "phase_stepped_back":
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        return _("The board moved the consultation “%(title)s” back to the phase %(phase)s. Reason: %(reason)s",
                 title=title, phase=labels.phase_name(params.get("phase", "")), reason=params.get("reason", ""))
    if kind in ("programme_status", "programme_update"):
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        if kind == "programme_update":
            return _("The programme “%(title)s” has a new update.", title=title)
        reason = params.get("reason")
        if reason:
            return _("The programme “%(title)s” has a new status: %(status)s. Reason: %(reason)s", title=title,
                     status=labels.programme_status_name(params.get("status")), reason=reason)
        return _("The programme “%(title)s” has a new status: %(status)s.", title=title,
                 status=labels.programme_status_name(params.get("status")))
    if kind in ("event_seat", "event_cancelled", "event_reminder"):
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        if kind == "event_seat":
            return _("A seat freed up at “%(title)s”: it is yours now.", title=title)
        if kind == "event_reminder":
            return _("Reminder: “%(title)s” is coming soon, and you have a seat.", title=title)
        return _("The event “%(title)s” was called off.", title=title)
    if kind == "mentoring_paired":
        return _("The board made a mentoring pairing with you: see who, and record your meetings.")
    if kind == "argument_on_my_demand":
        title = params.get("demand_title", "")
        if params.get("side") == "against":
            return _("Someone wrote an argument against your demand “%(title)s”.", title=title)
        return _("Someone wrote an argument in favour of your demand “%(title)s”.", title=title)
    is_argument = (params.get("subject_type") or params.get("subject")) == "argument"
    if kind == "content_hidden":
        title, reason = params.get("title", ""), params.get("reason", "")
        if is_argument:
            return _("The board hid your argument on “%(title)s”. Reason: %(reason)s", title=title, reason=reason)
        return _("The board hid your demand “%(title)s”. Reason: %(reason)s", title=title, reason=reason)
    if kind == "content_kept":
        title = params.get("title", "")
        if is_argument:
            return _("The board reviewed the argument on “%(title)s” that you reported and decided to keep it.",
                     title=title)
        return _("The board reviewed the demand “%(title)s” that you reported and decided to keep it.", title=title)
    if kind == "demand_linked":
        title, status = params.get("demand_title", ""), params.get("status")
        if status == "answered":
            return _("The board answered your objection about your demand “%(title)s”.", title=title)
        if status == "out_of_scope":
            return _("The board set your demand “%(title)s” aside as out of scope. Reason: %(reason)s You may "
                     "object within %(days)s days.", title=title, reason=params.get("reason", ""),
                     days=params.get("days", ""))
        locale = _locale()
        item = labels.in_language(params.get("item_title_es"), params.get("item_title_en"), locale)
        return _("The board linked your demand “%(title)s” to the agenda item “%(item)s”. You may object within "
                 "%(days)s days.", title=title, item=item, days=params.get("days", ""))
    return _("You have a new notification.")


def unread_count(user: User) -> int:
    """Return how many notifications the person has not read yet."""
    if user is None or not user.is_authenticated:
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def page_for(user: User, page: int, per_page: int = 20):
    """Return one page of the person's notifications, newest first."""
    return db.paginate(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()),
        page=page, per_page=per_page, error_out=False,
    )


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of the person's notifications read; return False when it is not theirs or does not exist."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return False
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return True


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0
