"""The commands that need the app, each calling a service: the app factory adds them to the ``deliberate`` group."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext

from deliberate.agenda.cli import demo_cycle_command, verify_agenda_command
from deliberate.auth.passwords import password_problem
from deliberate.auth.services import make_admin
from deliberate.consolidation.cli import cluster_command
from deliberate.deliberation.cli import import_polis_command
from deliberate.demo import cast_demo_ballots, open_demo_vote, seed_demo
from deliberate.demo.members import add_synthetic_members
from deliberate.domain.errors import NotFound, PhaseClosed, ValidationFailed
from deliberate.extensions import migrations
from deliberate.jobs.cli import run_jobs_command, worker_command
from deliberate.mail import external_url
from deliberate.opinion.cli import opinion_map_command
from deliberate.opinion.services import refresh_stale
from deliberate.ops.cli import doctor_command
from deliberate.organizations.services import create_federation, mail_board_invitations


@click.command("seed-demo")
@click.option("--members", type=click.IntRange(0, 1_000_000), default=0,
              help="Also add this many synthetic members over the demo clubs (member-N@demo.example.org).")
@with_appcontext
def seed_demo_command(members: int) -> None:
    """Create the demo federation with its clubs and members (idempotent) and print the log-ins."""
    result = seed_demo()
    click.echo(("Created" if result.created else "Already present:") + f" {result.federation_name}")
    click.echo(f"Demo log-ins (password for all: {result.password}):")
    for role, email, where in result.logins:
        click.echo(f"  {role:<8} {email:<45} {where}")
    if members:
        total = add_synthetic_members(members)
        click.echo(f"Added {members} synthetic members ({total} in all, member-1@… to member-{total}@…).")


@click.command("demo-ballots")
@click.argument("consultation_id", type=int)
@click.option("--seed", type=int, default=2029, show_default=True, help="Seed of the members' random choices.")
@with_appcontext
def demo_ballots_command(consultation_id: int, seed: int) -> None:
    """Let the demo federation's members who have not voted cast ballots that follow their reactions."""
    try:
        cast = cast_demo_ballots(consultation_id, seed=seed)
    except NotFound:
        raise click.ClickException(f"No consultation {consultation_id} in the demo federation.") from None
    except PhaseClosed:
        raise click.ClickException(f"Consultation {consultation_id} is not open for voting.") from None
    click.echo(f"{cast} ballots cast.")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", help="Display name for a new account.")
@click.option("--password", envvar="DELIBERATE_ADMIN_PASSWORD", help="Password (asked for when not given).")
@with_appcontext
def create_admin_command(email: str, name: str, password: str | None) -> None:
    """Create a site administrator, or make an existing account one."""
    existing_password = password
    if existing_password is None:
        existing_password = getpass.getpass("Password (for a new account): ")
    problem = password_problem(existing_password, email)
    user, created = make_admin(email, name, existing_password if problem is None else None)
    if created is None:
        raise click.ClickException(f"The password is not acceptable ({problem}); at least 10 characters, not common.")
    click.echo(json.dumps({"user_id": user.id, "email": user.email, "created": created}))


@click.command("create-federation")
@click.option("--name", required=True, help="The federation's name, as its members write it.")
@click.option("--slug", help="Its address (lower-case words and hyphens); made from the name when left out.")
@click.option("--time-zone", default="UTC", show_default=True,
              help="The clock its pages show, e.g. America/Los_Angeles.")
@click.option("--board", "board", multiple=True, metavar="EMAIL",
              help="A board member (repeat for several). Without an account, they are mailed a one-use invitation.")
@click.option("--in", "confederation", metavar="SLUG", help="The confederation it belongs to, if any.")
@with_appcontext
def create_federation_command(name: str, slug: str | None, time_zone: str, board: tuple[str, ...],
                              confederation: str | None) -> None:
    """Create a federation with its board (run again, it changes nothing twice), and print what it did as JSON."""
    try:
        setup = create_federation(name, slug=slug, time_zone=time_zone, board=board, confederation=confederation)
    except ValidationFailed as error:
        raise click.ClickException(
            SET_UP_PROBLEMS.get((error.field, error.code), f"{error.field}: {error.code}")) from None

    def link(token: str) -> str:
        return external_url("organizations.invitation", token=token)

    mail_board_invitations(setup, link)
    click.echo(json.dumps({"federation": setup.federation.slug, "created": setup.created,
                           "board_added": list(setup.appointed),
                           "invited": {email: link(token) for email, token in setup.invited}}, ensure_ascii=False))


SET_UP_PROBLEMS = {
    ("name", "required"): "--name is empty (markup alone counts as nothing).",
    ("name", "too_long"): "--name is longer than 120 characters.",
    ("slug", "invalid"): "--slug must be lower-case letters, digits and hyphens, such as fed-zacatecas-la.",
    ("slug", "taken"): "That slug belongs to another organization: choose another --slug.",
    ("time_zone", "unknown"): "Unknown --time-zone: use a name such as America/Los_Angeles or America/Chicago.",
    ("board", "invalid"): "One --board address is not an email address.",
    ("confederation", "unknown"): "No confederation has that slug (--in).",
}


@click.command("demo-vote")
@with_appcontext
def demo_vote_command() -> None:
    """Take the demo consultation from collecting to voting on its first suggested groups; print its id."""
    try:
        consultation_id = open_demo_vote()
    except PhaseClosed:
        raise click.ClickException("The demo consultation is no longer collecting demands.") from None
    click.echo(json.dumps({"consultation_id": consultation_id}))


@click.command("opinion-refresh")
@with_appcontext
def opinion_refresh_command() -> None:
    """Recompute the opinion map of every open consultation whose snapshot is stale (run it from cron).

    A snapshot is stale once enough reactions arrived since it was computed (50, or 10% of those it counted);
    frozen snapshots (voting has opened) are never recomputed.
    """
    done = refresh_stale()
    click.echo(json.dumps({"recomputed": done}))


class MigrationCommands(click.Group):
    """Flask-Migrate's ``db`` commands, attached when one of them runs, so that Alembic loads for those alone."""

    def __init__(self) -> None:
        super().__init__("db", help="Perform database migrations (Flask-Migrate's commands: deliberate db --help).",
                         short_help="Perform database migrations.")

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        """Hand the command line to Flask-Migrate's own ``db`` group, attached to the app now."""
        app = (parent if parent is not None else click.get_current_context()).ensure_object(ScriptInfo).load_app()
        migrations(app)  # attaches Flask-Migrate, whose `db` group takes this one's place among the app's commands
        return app.cli.commands["db"].make_context(info_name, args, parent=parent, **extra)


def register_commands(app: Flask) -> None:
    """Add every command of the project to the application's ``deliberate`` group, each area's own included.

    ``flask --app deliberate`` finds them there; the ``deliberate`` command finds those that need no app
    (opinion-map, cluster) among its own, and lists the others without building the app (deliberate/cli.py).
    """
    for command in (
        seed_demo_command, demo_ballots_command, demo_vote_command, create_admin_command, create_federation_command,
        doctor_command, verify_agenda_command, demo_cycle_command, cluster_command, import_polis_command,
        opinion_map_command, opinion_refresh_command, worker_command, run_jobs_command,
    ):
        app.cli.add_command(command)
    app.cli.add_command(MigrationCommands())
