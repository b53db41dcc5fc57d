"""``deliberate doctor``: check a configuration before serving, in plain words, and exit non-zero on an error."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from deliberate.mail import send_mail
from deliberate.ops import checks

MARKS = {checks.ERROR: "✗", checks.WARNING: "!", checks.OK: "✓"}


@click.command("doctor")
@click.option("--mail-to", metavar="ADDRESS", help="Also send a test message to this address.")
@with_appcontext
def doctor_command(mail_to: str | None) -> None:
    """Check the secret key, the address, cookies, the database and its migrations, Redis, mail, languages."""
    findings = checks.everything(current_app)
    if mail_to:
        findings.append(_test_mail(mail_to))
    for finding in findings:
        click.echo(f"{MARKS[finding.level]} {finding.topic}: {finding.message}")
    errors = sum(1 for finding in findings if finding.level == checks.ERROR)
    if errors:
        raise click.ClickException(f"{errors} problem(s) to fix before serving.")
    click.echo("Ready to serve.")


def _test_mail(address: str) -> checks.Finding:
    if not current_app.config.get("MAIL_SERVER"):
        return checks.Finding(checks.ERROR, "mail", "No mail server is set, so no test message can be sent.")
    try:
        send_mail(address, "deliberate: test message", "This message checks the site's mail settings.")
    except Exception as error:  # noqa: BLE001 - the failure to send is what the administrator needs to read
        return checks.Finding(checks.ERROR, "mail", f"The test message was not sent: {type(error).__name__}: {error}")
    return checks.Finding(checks.OK, "mail", f"a test message was sent to {address}")
