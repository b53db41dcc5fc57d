"""The ``deliberate`` command: Flask's commands, the app's own (deliberate/commands.py) and those that need no app.

This module imports none of the site: ``deliberate tally`` recounts a ballots file without building the app, and
the app, found by its import path as ``flask --app`` finds it, is built only for a command that needs it.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, locate_app, pass_script_info
from flask.cli import run_command as flask_run_command

from deliberate.ballots.cli import tally_command
from deliberate.security import InsecureConfiguration, refuse_default_secret_key

#: Where the app factory is, as ``flask --app`` takes it: imported only when a command needs the app.
APP_FACTORY = ("deliberate.app", "create_app")


def _create_app() -> Flask:
    return locate_app(*APP_FACTORY)


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Manage the deliberate application."""


@pass_script_info
def _run(info: ScriptInfo, **options: Any) -> None:
    """Refuse the default secret key before the server starts, then run Flask's own ``run``."""
    try:
        app = info.load_app()
    except Exception:  # Flask's run reports it, and keeps the reloader's handling of a broken app
        app = None
    if app is not None:
        try:
            refuse_default_secret_key(app)
        except InsecureConfiguration as error:
            raise click.ClickException(str(error)) from None
    flask_run_command.callback(**options)


main.add_command(tally_command)  # needs no app: the group finds it before building one
# Replaces the `run` that FlaskGroup adds: same options and help, but it refuses to serve with the default secret
# key at once instead of answering every request with 503 (the guard in deliberate/security.py).
main.add_command(click.Command("run", callback=_run, params=flask_run_command.params, help=flask_run_command.help,
                               short_help=flask_run_command.short_help))
