"""A fresh installation sets up its federation: a command and a page for site administrators, both idempotent."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from deliberate.commands import create_federation_command
from deliberate.extensions import db
from deliberate.models import Invitation, Membership, Organization, Role


def _run(app, *args):
    return CliRunner().invoke(create_federation_command, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_the_command_creates_the_federation_with_its_board_and_running_it_again_changes_nothing(app, create_user):
    ana = create_user("Ana", email="ana@example.org")
    first = _run(app, "--name", "Federación Zacatecana de Illinois", "--time-zone", "America/Chicago",
                 "--board", "ana@example.org", "--board", "luis@example.org")
    assert first.exit_code == 0, first.output
    done = json.loads(first.output.strip().splitlines()[-1])
    assert done["created"] and done["board_added"] == ["ana@example.org"] and list(done["invited"]) == [
        "luis@example.org"]
    again = json.loads(_run(app, "--name", "Federación Zacatecana de Illinois", "--board", "ana@example.org")
                       .output.strip().splitlines()[-1])
    assert again == {"federation": done["federation"], "created": False, "board_added": [], "invited": {}}
    with app.app_context():
        federation = db.session.scalar(select(Organization).where(Organization.slug == done["federation"]))
        assert federation.time_zone == "America/Chicago" and not federation.is_club
        assert db.session.scalar(select(Membership.role).where(Membership.user_id == ana.id)) is Role.BOARD
        assert db.session.scalar(select(Invitation.role)) is Role.BOARD
    [mail] = app.extensions["mail_outbox"]
    assert mail["To"] == "luis@example.org" and "/invitations/" in mail.get_content()


def test_the_command_says_what_is_wrong_in_plain_words(app):
    for args, words in ((["--name", "X", "--slug", "Bad Slug"], "lower-case letters"),
                        (["--name", "X", "--time-zone", "Mars/Olympus"], "Unknown --time-zone"),
                        (["--name", "X", "--board", "not-an-email"], "not an email address"),
                        (["--name", "<b></b>"], "--name is empty")):
        result = _run(app, *args)
        assert result.exit_code == 1 and words in result.output, (args, result.output)


def test_only_a_site_administrator_sets_up_a_federation_through_the_page(app, client, create_user, log_in):
    url = "/federations/new"
    assert client.get(url).status_code == 302  # log in first
    log_in(client, create_user("Member"))
    assert client.get(url).status_code == 403
    admin = client.application.test_client()
    log_in(admin, create_user("Admin", is_admin=True))
    home = admin.get("/").get_data(as_text=True)
    assert "No federation has been created yet" in home and "Set up the first federation" in home
    bad = admin.post(url, data={"name": "Federación del Norte", "slug": "Mal Nombre", "time_zone": "UTC",
                                "board": "someone@example.org"})
    assert bad.status_code == 422 and "lower-case letters" in bad.get_data(as_text=True)
    assert 'value="Federación del Norte"' in bad.get_data(as_text=True)  # nothing typed is lost
    done = admin.post(url, data={"name": "Federación del Norte", "time_zone": "America/Chicago",
                                 "board": "someone@example.org\nother@example.org"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "Federación del Norte" in page and "2 board members were emailed" in page
    with app.app_context():
        assert db.session.scalar(select(Organization.time_zone).where(Organization.name == "Federación del Norte")) \
            == "America/Chicago"


def test_the_first_run_page_speaks_spanish(app, client, create_user, log_in):
    admin = create_user("Admin", is_admin=True, locale="es")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    log_in(client, admin)
    page = client.get("/").get_data(as_text=True)
    assert "Configura la primera federación" in page
    form = client.get("/federations/new").get_data(as_text=True)
    assert "Configurar una federación" in form and "Correos de la mesa directiva" in form
