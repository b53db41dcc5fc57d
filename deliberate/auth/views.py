"""Account pages: register, log in and out, reset a password, profile, language, delete."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
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
from deliberate.domain.errors import NotFound, ValidationFailed
from deliberate.errors import render_error
from deliberate.extensions import limiter
from deliberate.security import safe_next
from deliberate.tasks import services as tasks

bp = Blueprint("auth", __name__)


def _setting(name: str):
    return lambda: current_app.config[name]


def _hashed(kind: str, value: str) -> str:
    """Return a limit's key: keyed with the secret, so the limiter's storage holds no email and no IP address."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return f"{kind}:" + hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def _email_key() -> str:
    """Key a limit by the email tried, whoever tries it and from wherever."""
    return _hashed("email", services.normalise_email(request.form.get("email", ""))[:254])


def _address_key() -> str:
    """Key a limit by the address the request comes from (a whole club hall behind one Wi-Fi shares one)."""
    return _hashed("ip", get_remote_address())


def _failed(response: Response) -> bool:
    """Count only refused attempts (a wrong password answers 422): members who log in fine use up nothing."""
    return response.status_code == 422


def _sent(response: Response) -> bool:
    """Count only the requests that sent a mail (they redirect), not a form sent back to be corrected."""
    return response.status_code == 302


def _per_email_and_address(email_limit: str, address_limit: str, deduct_when):
    """Apply a limit per email tried and a higher one per address the requests come from (a club hall shares one)."""
    def decorate(view):
        view = limiter.limit(_setting(email_limit), key_func=_email_key, methods=["POST"], deduct_when=deduct_when,
                             scope="email")(view)
        return limiter.limit(_setting(address_limit), key_func=_address_key, methods=["POST"],
                             deduct_when=deduct_when, scope="address")(view)
    return decorate


@bp.app_errorhandler(RateLimitExceeded)
def throttled(error: RateLimitExceeded):
    """Say that there were too many attempts, and when to try again (also in the Retry-After header)."""
    resets = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    wait = max(1, math.ceil(max(resets) - time.time())) if resets else 60
    # Rounded up: trying again when the page says must work.
    delay = timedelta(seconds=wait) if wait < 60 else timedelta(minutes=math.ceil(wait / 60))
    message = _("You have tried too many times in a short while. Try again in %(delay)s.",
                delay=format_timedelta(delay, threshold=1))
    response = make_response(render_error(429, message))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/register", methods=["GET", "POST"])
@_per_email_and_address("REGISTER_RATE_LIMIT", "REGISTER_IP_RATE_LIMIT", _sent)
def register():
    """Start an account; the same answer whether or not the address already has one (its owner gets a mail)."""
    if current_user.is_authenticated:
        return redirect(url_for("organizations.index"))
    form = RegisterForm(locale=session.get("locale") or request.accept_languages.best_match(["es", "en"], "es"))
    if form.validate_on_submit():
        services.register_user(
            form.email.data,
            form.display_name.data,
            form.password.data,
            locale=form.locale.data,
            gender=gender_value(form.gender.data),
            gender_description=form.gender_description.data,
            next_path=safe_next(request.args.get("next")),
        )
        flash(_("We have sent a message to %(email)s. Open the link in it to finish creating your account "
                "(if it does not arrive within a few minutes, look in your spam folder).",
                email=services.normalise_email(form.email.data)), "info")
        return redirect(url_for(".login"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Finish creating an account with the emailed link (a button: a mail scanner opening the link changes nothing)."""
    if request.method == "GET":
        return render_template("auth/confirm_email.html")
    try:
        user, next_path = services.confirm_email(token)
    except NotFound:
        flash(_("This link has expired or was already used. Log in, or register again."), "warning")
        return redirect(url_for(".login"))
    login_user(user)
    flash(_("Welcome, %(name)s! Now join your club.", name=user.display_name), "success")
    return redirect(safe_next(next_path) or url_for("organizations.index"))


@bp.route("/login", methods=["GET", "POST"])
@_per_email_and_address("LOGIN_RATE_LIMIT", "LOGIN_IP_RATE_LIMIT", _failed)
def login():
    """Log in with email and password."""
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, remember=form.remember.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(form.next.data) or url_for("organizations.index"))
        form.password.errors.append(_("Wrong email or password."))
        form.password.errors.append(_("If you have just created your account, first open the link we emailed you."))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out: this log-in ends on the server too, so its cookies stop working even if copied."""
    if current_user.is_authenticated:
        services.log_out(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("organizations.index"))


@bp.post("/logout-elsewhere")
@login_required
def log_out_elsewhere():
    """End every other log-in of the account (a lost phone, a shared computer), keeping this one."""
    services.log_out_elsewhere(current_user)
    flash(_("You are logged out on every other device."), "success")
    return redirect(url_for(".profile"))


@bp.route("/reset", methods=["GET", "POST"])
@_per_email_and_address("RESET_RATE_LIMIT", "RESET_IP_RATE_LIMIT", _sent)
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
        logout_user()  # its log-in ended with all the others
        flash(_("Your password has been changed and every device was logged out. You can log in now."), "success")
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
        "auth/profile.html", form=form, password_form=ChangePasswordForm(), memberships=current_user.memberships,
        now=tasks.now_for(current_user, tasks.federations_of(current_user)),
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
            flash(_("Your password has been changed, and every other device was logged out."), "success")
            return redirect(url_for(".profile"))
    return render_template(
        "auth/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=form,
        memberships=current_user.memberships,
        now=tasks.now_for(current_user, tasks.federations_of(current_user)),
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
