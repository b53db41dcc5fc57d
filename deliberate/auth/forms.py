"""Account forms."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Optional, ValidationError

from deliberate.auth.passwords import password_problem
from deliberate.domain.gender import Gender
from deliberate.forms import CleanText, MaxChars, choices

#: One way not to answer: the empty choice, stored as no gender. Gender.UNDISCLOSED, which earlier forms offered
#: beside it, is counted exactly like no answer in every gender table and check (never as a woman or a man), and
#: shows as this choice.
GENDER_CHOICES = [
    (Gender.WOMAN.value, _l("Woman")),
    (Gender.MAN.value, _l("Man")),
    (Gender.NON_BINARY.value, _l("Non-binary")),
    (Gender.ANOTHER.value, _l("Another (describe it below)")),
    ("", _l("Prefer not to say")),
]
LANGUAGE_CHOICES = [("es", "Español"), ("en", "English")]


class StrongPassword:
    """Refuse short or common passwords, with the reason."""

    MESSAGES = {
        "short": _l("Use at least %(n)d characters."),
        "common": _l("This password is too common; choose one that is harder to guess."),
        "email": _l("Do not use your email address as your password."),
    }

    def __init__(self, email_field: str | None = "email") -> None:
        self.email_field = email_field

    def __call__(self, form, field) -> None:
        email = getattr(form, self.email_field).data if self.email_field and hasattr(form, self.email_field) else None
        problem = password_problem(field.data or "", email)
        if problem:
            raise ValidationError(str(self.MESSAGES[problem]) % {"n": current_app.config["MIN_PASSWORD_LENGTH"]})


def gender_value(raw: str | None) -> Gender | None:
    return Gender(raw) if raw else None


def gender_choice(gender: Gender | None) -> str:
    """Return the choice that shows a stored gender ("" for no answer, also the older "undisclosed")."""
    return "" if gender is None or gender is Gender.UNDISCLOSED else gender.value


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), MaxChars(80), CleanText()])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), MaxChars(254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))]
    )
    locale = SelectField(_l("Language"), choices=choices(LANGUAGE_CHOICES))
    gender = RadioField(_l("Gender (optional)"), choices=choices(GENDER_CHOICES), default="", validate_choice=True)
    gender_description = StringField(_l("Your own description"), validators=[Optional(), MaxChars(80), CleanText()])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), MaxChars(254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), MaxChars(254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword(None)])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))]
    )


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), MaxChars(80), CleanText()])
    locale = SelectField(_l("Language"), choices=choices(LANGUAGE_CHOICES))
    gender = RadioField(_l("Gender (optional)"), choices=choices(GENDER_CHOICES), default="", validate_choice=True)
    gender_description = StringField(_l("Your own description"), validators=[Optional(), MaxChars(80), CleanText()])
    contact_public = StringField(
        _l("Contact for the leaders' directory (optional)"),
        validators=[Optional(), MaxChars(200), CleanText()],
        description=_l("Shown only to members of your federation, and only if you fill it in."),
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword(None)])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))]
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=choices(LANGUAGE_CHOICES))
    next = HiddenField()
