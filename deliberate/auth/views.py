"""Account pages: register, log in and out, reset a password, profile, language, delete."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from deliberate.auth import services
from deliberate.auth.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    LanguageForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    gender_choice,
    gender_value,
)
from deliberate.domain.errors import Conflict, NotFound, ValidationFailed
from deliberate.extensions import limiter
from deliberate.security import safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account."""
    if current_user.is_authenticated:
        return redirect(url_for("organizations.index"))
    form = RegisterForm(locale=session.get("locale") or request.accept_languages.best_match(["es", "en"], "es"))
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data,
                form.display_name.data,
                form.password.data,
                locale=form.locale.data,
                gender=gender_value(form.gender.data),
                gender_description=form.gender_description.data,
            )
        except Conflict:
            form.email.errors.append(_("An account with this email already exists. Log in or reset your password."))
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Now join your club.", name=user.display_name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("organizations.index"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in with email and password."""
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(form.next.data) or url_for("organizations.index"))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("organizations.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def request_reset():
    """Ask for a password-reset link by email."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(_("If an account uses this address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for(".login"))
    return render_template("auth/request_reset.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the emailed link."""
    try:
        services.check_reset_token(token)
    except NotFound:
        flash(_("This link has expired or was already used. Ask for a new one."), "warning")
        return redirect(url_for(".request_reset"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        flash(_("Your password has been changed. You can log in now."), "success")
        return redirect(url_for(".login"))
    return render_template("auth/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Edit the member's name, language, gender and directory contact."""
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.gender.data = gender_choice(current_user.gender)
        form.locale.data = current_user.locale or "es"
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data,
            locale=form.locale.data,
            gender=gender_value(form.gender.data),
            gender_description=form.gender_description.data,
            contact_public=form.contact_public.data,
        )
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for(".profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=ChangePasswordForm(), memberships=current_user.memberships
    ), 422 if form.errors else 200


@bp.post("/password")
@login_required
def change_password():
    """Change the password, knowing the current one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationFailed:
            form.current_password.errors.append(_("The current password is not right."))
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for(".profile"))
    return render_template(
        "auth/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=form,
        memberships=current_user.memberships,
    ), 422


@bp.post("/language")
def set_language():
    """Switch the interface language, for the session and for the member's account."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            services.set_locale(current_user, form.locale.data)
    return redirect(safe_next(form.next.data) or url_for("organizations.index"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete the account after confirming the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data)
        except ValidationFailed:
            form.password.errors.append(_("The password is not right."))
        else:
            logout_user()
            session.pop("locale", None)
            flash(_("Your account has been deleted. Your contributions remain, shown as a former member's."), "info")
            return redirect(url_for("organizations.index"))
    return render_template("auth/delete_account.html", form=form), 422 if form.errors else 200
