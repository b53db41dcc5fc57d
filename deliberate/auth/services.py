"""Accounts: register, authenticate, reset a password, edit the profile, delete an account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from deliberate.domain.errors import Conflict, NotFound, ValidationFailed
from deliberate.extensions import db
from deliberate.mail import external_url, send_mail
from deliberate.models import Gender, Membership, MembershipStatus, PasswordReset, User, utcnow
from deliberate.text import clean_text

# A real hash of a random password: comparing against it costs the same time as a real check, so the
# log-in form does not reveal which emails have accounts.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method="scrypt")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(
    email: str,
    display_name: str,
    password: str,
    *,
    locale: str | None = None,
    gender: Gender | None = None,
    gender_description: str | None = None,
) -> User:
    """Create an account; the email is unique whatever its case."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise Conflict("email_taken")
    user = User(
        email=email,
        display_name=clean_text(display_name),
        password_hash=generate_password_hash(password, method="scrypt"),
        locale=locale,
        gender=gender,
        gender_description=clean_text(gender_description) if gender is Gender.ANOTHER else None,
        is_admin=False,
        is_deleted=False,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:  # two registrations of one address at the same moment
        db.session.rollback()
        raise Conflict("email_taken") from error
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose email and password match, recording the log-in, or None."""
    user = find_user_by_email(email)
    if user is None or user.is_deleted:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Email a single-use reset link if the address has an account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or user.is_deleted:
        return
    token = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(
        PasswordReset(user=user, token_hash=hash_token(token), expires_at=utcnow() + timedelta(hours=hours))
    )
    db.session.commit()
    link = external_url("auth.reset_password", token=token)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Reset your deliberate password")
        body = _(
            "Hello %(name)s,\n\nTo choose a new password, open this link within %(hours)d hours:\n\n%(link)s\n\n"
            "If you did not ask for this, ignore this message: your password stays the same.",
            name=user.display_name,
            hours=hours,
            link=link,
        )
    send_mail(user.email, subject, body)


def _usable_reset(token: str) -> PasswordReset:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow() or reset.user.is_deleted:
        raise NotFound("password_reset")
    return reset


def check_reset_token(token: str) -> User:
    """Return the user a reset token belongs to, if it is still usable."""
    return _usable_reset(token).user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token and spend the token (and any other open one)."""
    reset = _usable_reset(token)
    user = reset.user
    user.password_hash = generate_password_hash(new_password, method="scrypt")
    now = utcnow()
    for other in db.session.scalars(
        select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    ):
        other.used_at = now
    db.session.commit()
    return user


def update_profile(
    user: User,
    *,
    display_name: str,
    locale: str | None,
    gender: Gender | None,
    gender_description: str | None,
    contact_public: str | None,
) -> None:
    """Save the member's profile."""
    name = clean_text(display_name)
    if not name:
        raise ValidationFailed("display_name", "required")
    user.display_name = name
    user.locale = locale
    user.gender = gender
    user.gender_description = clean_text(gender_description) if gender is Gender.ANOTHER else None
    user.contact_public = clean_text(contact_public) or None
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one."""
    if not check_password_hash(user.password_hash, current_password):
        raise ValidationFailed("current_password", "wrong")
    user.password_hash = generate_password_hash(new_password, method="scrypt")
    db.session.commit()


def make_admin(email: str, display_name: str, password: str | None) -> tuple[User, bool | None]:
    """Make the account with this email a site administrator, creating it when a password is given.

    Returns the user and whether it was created; (user, None) means a new account was needed but no acceptable
    password was given, and nothing was written.
    """
    user = find_user_by_email(email)
    created = user is None
    if user is None:
        if password is None:
            return User(email=normalise_email(email), display_name=display_name), None
        user = User(
            email=normalise_email(email),
            display_name=clean_text(display_name) or "Administrator",
            password_hash=generate_password_hash(password, method="scrypt"),
            is_deleted=False,
        )
        db.session.add(user)
    user.is_admin = True
    db.session.commit()
    return user, created


def set_locale(user: User, locale: str) -> None:
    """Remember the member's language."""
    user.locale = locale
    db.session.commit()


def delete_account(user: User, password: str) -> None:
    """Erase the person's data; their contributions stay, shown as a former member's."""
    if not check_password_hash(user.password_hash, password):
        raise ValidationFailed("password", "wrong")
    user.is_deleted = True
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@invalid"
    user.display_name = ""
    user.password_hash = "!"  # noqa: S105 - matches no password
    user.gender = None
    user.gender_description = None
    user.contact_public = None
    user.locale = None
    for membership in db.session.scalars(select(Membership).where(Membership.user_id == user.id)):
        membership.status = MembershipStatus.REMOVED
        membership.removal_reason = "account deleted"
    db.session.commit()
