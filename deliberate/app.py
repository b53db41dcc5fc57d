"""The app factory: configuration, extensions, blueprints and the commands that need the app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from deliberate import config as default_config
from deliberate import errors, extensions, i18n, labels, mail, routing, security, text
from deliberate.agenda.views import bp as agenda_bp
from deliberate.assemblies.views import bp as assemblies_bp
from deliberate.audit import sentences
from deliberate.auth.sessions import load_user
from deliberate.auth.views import bp as auth_bp
from deliberate.ballots.views import bp as ballots_bp
from deliberate.commands import register_commands
from deliberate.consolidation.views import bp as consolidation_bp
from deliberate.consultations.views import bp as consultations_bp
from deliberate.deliberation.views import bp as deliberation_bp
from deliberate.demands.views import bp as demands_bp
from deliberate.events.views import bp as events_bp
from deliberate.health.views import bp as health_bp
from deliberate.jobs import queue as job_queue
from deliberate.jobs.views import bp as jobs_bp
from deliberate.mentoring.views import bp as mentoring_bp
from deliberate.notifications.views import bp as notifications_bp
from deliberate.opinion.views import bp as opinion_bp
from deliberate.ops import logs as request_log
from deliberate.ops import proxy
from deliberate.ops.views import bp as ops_bp
from deliberate.organizations.views import bp as organizations_bp
from deliberate.programmes.views import bp as programmes_bp
from deliberate.volunteers.views import bp as volunteers_bp

PACKAGE = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE.parent
#: In a checkout, templates, static files and migrations sit at the repository's root; an installed package
#: carries them inside itself (the build copies them there, see setup.py).
IS_CHECKOUT = (PROJECT_ROOT / "setup.cfg").is_file() and not (PACKAGE / "templates").is_dir()


def asset_path(name: str) -> Path:
    """Return the folder of the templates, static files or migrations, in a checkout or in an installed package."""
    return (PROJECT_ROOT if IS_CHECKOUT else PACKAGE) / name


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands."""
    instance = os.environ.get("DELIBERATE_INSTANCE_PATH") or (str(PROJECT_ROOT / "instance") if IS_CHECKOUT else None)
    app = Flask(
        __package__,  # "deliberate": the app keeps the package's name (its logger, its root path)
        instance_path=instance,  # an installed package: Flask's own place, under the environment's prefix
        instance_relative_config=True,
        template_folder=str(asset_path("templates")),
        static_folder=str(asset_path("static")),
    )
    app.config.from_object(default_config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(default_config.from_environment())
    else:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "deliberate.sqlite3")

    security.init_app(app)  # first: no other request hook runs while the secret key is the default one
    routing.init_app(app)  # before the blueprints: their routes use its bounded converters
    request_log.init_app(app)
    proxy.init_app(app)
    extensions.db.init_app(app)
    app.config.setdefault("MIGRATIONS_DIRECTORY", str(asset_path("migrations")))  # see extensions.migrations
    extensions.csrf.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    app.jinja_env.filters["markdown"] = text.markdown_filter
    app.jinja_env.globals.update(audit_detail=sentences.describe, audit_subject=sentences.describe_subject)
    errors.init_app(app)
    mail.init_app(app)
    job_queue.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    register_commands(app)
    return app


def _init_login(app: Flask) -> None:
    login_manager = extensions.login_manager
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    login_manager.user_loader(load_user)  # "id:token" of a log-in that has not been ended


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(organizations_bp)
    app.register_blueprint(auth_bp, url_prefix="/account")
    for bp in (demands_bp, deliberation_bp, consultations_bp, notifications_bp, consolidation_bp, opinion_bp,
               ballots_bp, assemblies_bp, agenda_bp, ops_bp, jobs_bp, programmes_bp, events_bp, health_bp,
               mentoring_bp, volunteers_bp):
        app.register_blueprint(bp)
