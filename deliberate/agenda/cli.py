"""Agenda commands: verify a published agenda by recounting it, and run a whole demo cycle in one command."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from deliberate.agenda.verify import verify_agenda
from deliberate.demo import FEDERATION_SLUG, run_demo_cycle
from deliberate.domain.errors import NotFound
from deliberate.mail import external_url

#: Where `make run` serves the demo: the address demo-cycle prints when DELIBERATE_BASE_URL is not set.
DEMO_SERVER = "http://localhost:5000"


@click.command("verify-agenda")
@click.argument("agenda_id", type=int)
@with_appcontext
def verify_agenda_command(agenda_id: int) -> None:
    """Recount a published agenda from its stored inputs; exit 0 only if every version's result and hash match."""
    try:
        checks = verify_agenda(agenda_id)
    except NotFound:
        click.echo(f"No published agenda with id {agenda_id}.", err=True)
        sys.exit(2)
    failed = False
    for check in checks:
        if check.ok:
            click.echo(f"version {check.version}: OK (sha256 {check.sha256})")
        else:
            failed = True
            for problem in check.problems:
                click.echo(f"version {check.version}: FAILED: {problem}", err=True)
    sys.exit(1 if failed else 0)


@click.command("demo-cycle")
@with_appcontext
def demo_cycle_command() -> None:
    """Run a complete demo consultation (demands to publication and follow-up) and print
    {"agenda_id": .., "url": .., "tracker_url": .., "events_url": .., "health_url": ..}."""
    agenda_id, _consultation_id = run_demo_cycle()
    with current_app.test_request_context(base_url=DEMO_SERVER):  # used only without DELIBERATE_BASE_URL
        url = external_url("agenda.public", agenda_id=agenda_id)
        tracker_url = external_url("programmes.tracker", agenda_id=agenda_id)
        events_url = external_url("events.index", slug=FEDERATION_SLUG)
        health_url = external_url("health.summary", slug=FEDERATION_SLUG)
    click.echo(json.dumps({"agenda_id": agenda_id, "url": url, "tracker_url": tracker_url, "events_url": events_url,
                           "health_url": health_url}))
