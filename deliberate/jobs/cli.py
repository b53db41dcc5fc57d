"""``deliberate worker``: run background jobs (any number of workers, on any machine, share the queue)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from deliberate.jobs import services


@click.command("worker")
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Jobs this worker runs at once.")
@click.option("--no-periodic", is_flag=True, help="Leave the digests, reminders and sweeper to other workers.")
@with_appcontext
def worker_command(threads: int, no_periodic: bool) -> None:
    """Run the jobs of the queue (Redis with DELIBERATE_REDIS_URL, else the instance folder's SQLite file)."""
    queue = current_app.extensions["jobs"].huey
    if queue.immediate:
        raise click.ClickException("Jobs run inside the web process here (JOBS_IMMEDIATE): no worker is needed.")
    where = "Redis" if current_app.config.get("REDIS_URL") else "SQLite"
    click.echo(f"Worker on the {where} queue {queue.name!r}, {threads} thread(s).")
    consumer = queue.create_consumer(workers=threads, worker_type="thread", periodic=not no_periodic,
                                     check_worker_health=True)
    consumer.run()


@click.command("run-jobs")
@with_appcontext
def run_jobs_command() -> None:
    """Run here and now every job waiting in the database (after restoring a backup, or on a machine's own)."""
    services.sweep()
    click.echo(f"{services.run_waiting()} job(s) run.")
