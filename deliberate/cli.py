"""The ``deliberate`` command: Flask's commands, the app's own (deliberate/commands.py) and those that need no app.

This module imports none of the site: ``deliberate tally``, ``opinion-map`` and ``cluster`` read their files
without building the app, ``deliberate --help`` lists every command without building it, and the app, found by
its import path as ``flask --app`` finds it, is built only for a command that needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, locate_app, pass_script_info
from flask.cli import run_command as flask_run_command

from deliberate.security import InsecureConfiguration, refuse_default_secret_key

#: Where the app factory is, as ``flask --app`` takes it: imported only when a command needs the app.
APP_FACTORY = ("deliberate.app", "create_app")

#: The commands that need no app, each with where it is defined and the line ``deliberate --help`` shows for it:
#: a command's module (with numpy and its engine) is imported when it runs, not to list it.
OWN_COMMANDS = {
    "cluster": ("deliberate.consolidation.cli", "cluster_command",
                'Group the demands of FILE.csv that ask for the same thing; print JSON {"clusters": [[id, ...], '
                '...]}.'),
    "opinion-map": ("deliberate.opinion.cli", "opinion_map_command",
                    "Print the opinion map (groups, representative and consensus statements) of a Polis export "
                    "folder."),
    "tally": ("deliberate.ballots.cli", "tally_command",
              "Count the ballots FILE per club and for the federation, and print the result as JSON."),
}

#: The commands the app adds to the group (deliberate/commands.py), each with the line ``deliberate --help`` shows
#: for it, so that the list is shown without building the app (1.5 s); the app is built when one of them runs.
#: tests/test_startup.py checks that these are the app's commands, and both tables' lines the commands' own.
APP_COMMANDS = {
    "create-admin": "Create a site administrator, or make an existing account one.",
    "create-federation": "Create a federation with its board (run again, it changes nothing twice), and print what "
                         "it did as JSON.",
    "db": "Perform database migrations.",
    "demo-ballots": "Let the demo federation's members who have not voted cast ballots that follow their reactions.",
    "demo-cycle": 'Run a complete demo consultation (demands to publication and follow-up) and print {"agenda_id": '
                  '.., "url": .., "tracker_url": .., "events_url": .., "health_url": ..}.',
    "demo-vote": "Take the demo consultation from collecting to voting on its first suggested groups; print its id.",
    "doctor": "Check the secret key, the address, cookies, the database and its migrations, Redis, mail, languages.",
    "import-polis": "Import a Polis export folder (comments.csv, votes.csv) as demands and reactions of "
                    "pseudonymous participants.",
    "opinion-refresh": "Recompute the opinion map of every open consultation whose snapshot is stale (run it from "
                       "cron).",
    "run-jobs": "Run here and now every job waiting in the database (after restoring a backup, or on a machine's "
                "own).",
    "seed-demo": "Create the demo federation with its clubs and members (idempotent) and print the log-ins.",
    "verify-agenda": "Recount a published agenda from its stored inputs; exit 0 only if every version's result and "
                     "hash match.",
    "worker": "Run the jobs of the queue (Redis with DELIBERATE_REDIS_URL, else the instance folder's SQLite file).",
}


def _create_app() -> Flask:
    return locate_app(*APP_FACTORY)


class DeliberateGroup(FlaskGroup):
    """Flask's command group, listing its commands from OWN_COMMANDS and APP_COMMANDS without importing them.

    With ``--app`` (another app), the group lists that app's commands as Flask does.
    """

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Return the command ``name``, importing the module of one that needs no app the first time.

        One of those is returned without loading Flask's plugins' commands (Flask-Limiter's, a tenth of a second).
        """
        if name in OWN_COMMANDS:
            if name not in self.commands:
                module, attribute, _ = OWN_COMMANDS[name]
                self.add_command(getattr(importlib.import_module(module), attribute), name)
            return self.commands[name]
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the names of the group's own commands, Flask's plugins' and the app's, without building the app."""
        if ctx.ensure_object(ScriptInfo).app_import_path:
            return sorted({*super().list_commands(ctx), *OWN_COMMANDS})
        self._load_plugin_commands()
        return sorted({*click.Group.list_commands(self, ctx), *OWN_COMMANDS, *APP_COMMANDS})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the command list of ``--help``, with the tables' lines for the commands not imported yet."""
        lines = {name: line for name, (_, _, line) in OWN_COMMANDS.items()}
        if not ctx.ensure_object(ScriptInfo).app_import_path:
            lines |= APP_COMMANDS
        rows = []
        for name in self.list_commands(ctx):
            if name in lines and name not in self.commands:
                command: click.Command | None = click.Command(name, help=lines[name])
            else:
                command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])


@click.group(cls=DeliberateGroup, create_app=_create_app)
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


# Replaces the `run` that FlaskGroup adds: same options and help, but it refuses to serve with the default secret
# key at once instead of answering every request with 503 (the guard in deliberate/security.py).
main.add_command(click.Command("run", callback=_run, params=flask_run_command.params, help=flask_run_command.help,
                               short_help=flask_run_command.short_help))
