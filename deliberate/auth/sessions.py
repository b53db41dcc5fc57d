"""Log-ins that can be ended: each one is a UserSession row whose token the session and remember-me cookies carry.

Flask-Login keeps ``User.get_id()``, "id:token", in the session and in the remember-me cookie. Loading the user
looks the token up: once its row is deleted (log-out, a password change or reset, "log out everywhere", a deleted
account) or expired, a replayed cookie logs nobody in. The helpers here write without committing; the services
in deliberate.auth.services commit.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, bindparam, delete, select

from deliberate.extensions import db
from deliberate.models import User, utcnow
from deliberate.models.accounts import UserSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    """Return how long a log-in lasts: a remember-me cookie's life, else the session cookie's longest life."""
    if remember:
        return current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    return current_app.permanent_session_lifetime


def open_session(user: User, *, remember: bool) -> None:
    """Add a log-in for the user and give the object its token (for login_user); the caller commits."""
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_hash(token), expires_at=now + _lifetime(remember)))
    user.session_token = token


def end_session(user: User) -> None:
    """End the log-in the user object was loaded for; the caller commits."""
    if user.session_token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _hash(user.session_token)))


def end_sessions(user: User, *, keep_current: bool) -> None:
    """End every log-in of the user, or every other one; the caller commits."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_current and user.session_token:
        statement = statement.where(UserSession.token_hash != _hash(user.session_token))
    db.session.execute(statement)


@functools.cache
def _live_session_user() -> Select:
    """Select the person of a live log-in (``token_hash``, ``user_id``, ``now``): one query, built once per process,
    since every request of a logged-in member starts with it."""
    return select(User).join(UserSession, UserSession.user_id == User.id).where(
        UserSession.token_hash == bindparam("token_hash"), UserSession.user_id == bindparam("user_id"),
        UserSession.expires_at > bindparam("now"))


def load_user(session_id: str) -> User | None:
    """Return the user of a live log-in from "id:token" (Flask-Login's user loader), else None."""
    user_id, _, token = session_id.partition(":")
    if not token or not (user_id.isascii() and user_id.isdigit()):
        return None  # also a cookie from before log-ins had tokens: log in once more
    user = db.session.scalar(_live_session_user(),
                             {"token_hash": _hash(token), "user_id": int(user_id), "now": utcnow()})
    if user is None or user.is_deleted or not user.is_email_confirmed:
        return None
    user.session_token = token
    return user
