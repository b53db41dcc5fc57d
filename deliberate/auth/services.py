"""Accounts: register, confirm an address, log in and out, reset a password, edit the profile, delete an account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from deliberate.auth.sessions import end_session, end_sessions, open_session
from deliberate.domain.errors import NotFound, ValidationFailed
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.mail import external_url, queue_mail
from deliberate.models import Membership, MembershipStatus, PasswordReset, User, utcnow
from deliberate.text import clean_text


@cache
def _dummy_hash() -> str:
    """Return a real hash of a random password, made once per process at the first log-in that needs it.

    Comparing against it costs the same time as a real check, so the log-in form does not reveal which emails have
    accounts. Made when first needed, not on import: scrypt takes a tenth of a second, at every start of every
    command.
    """
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


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
    next_path: str | None = None,
) -> None:
    """Start an account and mail the link that confirms its address; for a known address, mail its owner instead.

    Both cases answer the same, cost about the same time and send one message, so registering cannot tell whether
    an address has an account. The email is unique whatever its case.
    """
    email = normalise_email(email)
    password_hash = generate_password_hash(password, method="scrypt")  # also for a known address: the same time
    existing = find_user_by_email(email)
    if existing is not None:
        _mail_existing_owner(existing)
        return
    user = User(
        email=email,
        display_name=clean_text(display_name),
        password_hash=password_hash,
        locale=locale,
        gender=gender,
        gender_description=clean_text(gender_description) if gender is Gender.ANOTHER else None,
        is_admin=False,
        is_deleted=False,
        is_email_confirmed=False,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # two registrations of one address at the same moment: the other one mails
        db.session.rollback()
        return
    _mail_confirmation(user, next_path)


def _confirmation_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="deliberate.confirm-email")


def confirmation_link(user: User, next_path: str | None = None) -> str:
    """Return the link that confirms a new account's address (signed, so nothing is stored)."""
    token = _confirmation_signer().dumps({"user": user.id, "next": next_path})
    return external_url("auth.confirm_email", token=token)


def _mail_confirmation(user: User, next_path: str | None) -> None:
    hours = current_app.config["EMAIL_CONFIRMATION_HOURS"]
    link = confirmation_link(user, next_path)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Confirm your deliberate account")
        body = _(
            "Hello %(name)s,\n\nTo finish creating your account, open this link within %(hours)d hours:\n\n"
            "%(link)s\n\nIf you did not create an account, ignore this message: nobody can use one with your "
            "address until the link is opened.",
            name=user.display_name,
            hours=hours,
            link=link,
        )
    queue_mail(user.email, subject, body, user_id=user.id)
    db.session.commit()


def _mail_existing_owner(user: User) -> None:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Someone tried to create an account with your address")
        body = _(
            "Hello %(name)s,\n\nSomeone tried to create a deliberate account with this email address, which "
            "already has one. Nothing was changed.\n\nIf it was you, log in:\n\n%(login)s\n\nIf you do not "
            "remember your password, or never opened the link that finishes creating the account, choose a new "
            "password here:\n\n%(reset)s\n\nIf it was not you, you can ignore this message.",
            name=user.display_name or user.email,
            login=external_url("auth.login"),
            reset=external_url("auth.request_reset"),
        )
    queue_mail(user.email, subject, body, user_id=user.id)
    db.session.commit()


def confirm_email(token: str) -> tuple[User, str | None]:
    """Confirm a new account's address with its emailed link and log it in; return it and where to go next.

    A link works once, while the account is waiting for it (NotFound otherwise, also when it has expired).
    """
    max_age = current_app.config["EMAIL_CONFIRMATION_HOURS"] * 3600
    try:
        data = _confirmation_signer().loads(token, max_age=max_age)
        user = db.session.get(User, int(data["user"]))
    except (BadData, KeyError, TypeError, ValueError, OverflowError):
        raise NotFound("email_confirmation") from None
    if user is None or user.is_deleted or user.is_email_confirmed:
        raise NotFound("email_confirmation")
    user.is_email_confirmed = True
    user.last_login_at = utcnow()
    open_session(user, remember=False)
    db.session.commit()
    return user, data.get("next")


def authenticate(email: str, password: str, *, remember: bool = False) -> User | None:
    """Return the user whose email and password match, with a new log-in opened for login_user, or None.

    An account whose address is not confirmed yet answers like a wrong password: the person who registered it
    may not own the address.
    """
    user = find_user_by_email(email)
    if user is None or user.is_deleted:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_email_confirmed:
        return None
    user.last_login_at = utcnow()
    open_session(user, remember=remember)
    db.session.commit()
    return user


def log_out(user: User) -> None:
    """End this log-in: its cookies no longer log anyone in, even replayed."""
    end_session(user)
    db.session.commit()


def log_out_elsewhere(user: User) -> None:
    """End every other log-in of the user (a lost phone, a shared computer), keeping this one."""
    end_sessions(user, keep_current=True)
    db.session.commit()


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
    queue_mail(user.email, subject, body, user_id=user.id)
    db.session.commit()


def _usable_reset(token: str) -> PasswordReset:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow() or reset.user.is_deleted:
        raise NotFound("password_reset")
    return reset


def check_reset_token(token: str) -> User:
    """Return the user a reset token belongs to, if it is still usable."""
    return _usable_reset(token).user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token, spend the token (and any other open one), end every log-in."""
    reset = _usable_reset(token)
    user = reset.user
    user.password_hash = generate_password_hash(new_password, method="scrypt")
    user.is_email_confirmed = True  # the link reached the address
    end_sessions(user, keep_current=False)
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
    """Replace the password after checking the current one, and end every other log-in."""
    if not check_password_hash(user.password_hash, current_password):
        raise ValidationFailed("current_password", "wrong")
    user.password_hash = generate_password_hash(new_password, method="scrypt")
    end_sessions(user, keep_current=True)
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
    end_sessions(user, keep_current=False)
    db.session.commit()
