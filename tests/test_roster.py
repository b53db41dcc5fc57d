"""The board imports its clubs and members from the roster it keeps: a preview, all or nothing, no duplicates."""

from __future__ import annotations

import base64
import io
import re

from sqlalchemy import func, select

from deliberate.extensions import db
from deliberate.models import Invitation, Membership, Organization, Role

ROSTER = ("club;nombre;correo;cargo;idioma;teléfono\n"
          "Club Jerez;Ana Pérez;ana@example.org;presidenta;es;555-0101\n"
          "Club Nuevo;Luis Díaz;luis@example.org;;en;555-0102\n"
          "Club Nuevo;Rosa Ruiz;rosa@example.org;socia;es;\n")


def _upload(client, slug, text, filename="roster.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(f"/o/{slug}/roster", data={"roster": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _confirm(client, slug, text):
    return client.post(f"/o/{slug}/roster/import", data={"roster_data": base64.b64encode(text.encode()).decode()},
                       follow_redirects=True)


def test_the_preview_says_what_each_line_will_do_and_imports_nothing(app, client, federation_world, log_in):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    page = _upload(client, slug, ROSTER)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 club will be created" in text and "Club Nuevo" in text and "3 invitations will be sent" in text
    assert "teléfono" in text and "555-0101" not in text  # a column it does not read is named, never shown
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0
        assert db.session.scalar(select(Organization.id).where(Organization.name == "Club Nuevo")) is None


def test_importing_creates_the_clubs_and_mails_each_person_in_their_language(app, client, federation_world, log_in,
                                                                             outbox):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    done = _confirm(client, slug, ROSTER)
    assert "3 invitations have been sent" in done.get_data(as_text=True)
    by_address = {mail["To"]: mail for mail in outbox}
    assert set(by_address) == {"ana@example.org", "luis@example.org", "rosa@example.org"}
    assert "te invita" in by_address["ana@example.org"]["Subject"]
    assert "invites you" in by_address["luis@example.org"]["Subject"]
    assert "Hello Luis Díaz" in by_address["luis@example.org"].get_content()
    with app.app_context():
        club = db.session.scalar(select(Organization).where(Organization.name == "Club Nuevo"))
        assert club.parent_id == federation_world["federation"].id
        roles = dict(db.session.execute(select(Invitation.locale, Invitation.role)
                                        .where(Invitation.organization_id == club.id)).all())
        assert roles == {"en": Role.MEMBER, "es": Role.MEMBER}
        digests = db.session.scalars(select(Invitation.email_digest)).all()
        assert all(digest and "@" not in digest for digest in digests)  # the address itself is never stored


def test_importing_the_same_roster_again_invites_nobody_twice_and_updates_roles(app, client, federation_world,
                                                                               log_in, outbox):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    _confirm(client, slug, ROSTER)
    outbox.clear()
    changed = ROSTER.replace("Rosa Ruiz;rosa@example.org;socia", "Rosa Ruiz;rosa@example.org;tesorera")
    changed += f"Club Jerez;{federation_world['member'].display_name};{federation_world['member'].email};cargo;es\n"
    changed = changed.replace(";cargo;es\n", ";secretaria;es\n")
    preview = _upload(client, slug, changed).get_data(as_text=True)
    assert "0 clubs will be created" in preview and "0 invitations will be sent" in preview
    assert "1 role will change" in preview
    _confirm(client, slug, changed)
    assert outbox == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 3
        assert db.session.scalar(select(func.count(Organization.id)).where(Organization.name == "Club Nuevo")) == 1
        assert db.session.scalar(select(Invitation.role).where(Invitation.locale == "es", Invitation.role
                                                               == Role.OFFICER).limit(1)) is Role.OFFICER
        member = db.session.scalar(select(Membership).where(Membership.user_id == federation_world["member"].id))
        assert member.role is Role.OFFICER


def test_a_roster_with_one_bad_line_shows_every_problem_and_imports_nothing(app, client, federation_world, log_in):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    bad = ROSTER + "Club Nuevo;Sin correo;;;es;\nClub Nuevo;Otra;ana@example.org;;es;\n"
    page = _upload(client, slug, bad)
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "2 problems: nothing has been imported" in text and "This is missing." in text
    assert "This address is already on another line. (line 2)" in text.replace("\n", " ") or re.search(
        r"already on another line.*line 2", text, re.S)
    refused = _confirm(client, slug, bad)
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_hostile_and_broken_files_get_a_clear_answer(client, federation_world, log_in):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    assert "This is not a text file" in _upload(client, slug, b"\x00\x01\xff" * 50).get_data(as_text=True)
    assert "The file is empty" in _upload(client, slug, b"").get_data(as_text=True) or \
        _upload(client, slug, b"").status_code == 422
    script = "club,name,email\n<script>alert(1)</script>,<img src=x onerror=alert(1)>,x@example.org\n"
    page = _upload(client, slug, script).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    stale = client.post(f"/o/{slug}/roster/import", data={"roster_data": "not base64!!"}, follow_redirects=True)
    assert stale.status_code == 200 and "Upload the roster again" in stale.get_data(as_text=True)


def test_only_the_federations_board_imports_a_roster(client, federation_world, log_in):
    slug = federation_world["federation"].slug
    assert _upload(client, slug, ROSTER).status_code == 302  # log in first
    for who in ("member", "officer", "outsider"):
        other = client.application.test_client()
        log_in(other, federation_world[who])
        assert _upload(other, slug, ROSTER).status_code == 403, who
        assert _confirm(other, slug, ROSTER).status_code == 403, who
    club = client.application.test_client()
    log_in(club, federation_world["board"])
    assert _upload(club, federation_world["club"].slug, ROSTER).status_code == 404  # a club has no roster


def test_an_invited_person_without_an_account_registers_and_comes_back_to_accept(app, client, federation_world,
                                                                                log_in, outbox):
    board = client.application.test_client()
    log_in(board, federation_world["board"])
    _confirm(board, federation_world["federation"].slug, ROSTER)
    mail = next(m for m in outbox if m["To"] == "luis@example.org")
    path = re.search(r"(/invitations/[\w-]+)", mail.get_content()).group(1)
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Create an account" in text and f'register?next={path}' in text
    with client.session_transaction() as session:
        assert session["locale"] == "en"  # the language the roster gave


def test_the_board_edits_the_federations_settings_with_its_parity_baseline(app, client, federation_world, log_in):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    form = client.get(f"/o/{slug}/manage").get_data(as_text=True)
    assert 'value="43.9"' in form
    bad = client.post(f"/o/{slug}/settings", data={"name": "Federación Demo", "parity_baseline": "140",
                                                   "time_zone": "UTC", "description": "Una descripción"})
    assert bad.status_code == 422 and "Una descripción" in bad.get_data(as_text=True)
    done = client.post(f"/o/{slug}/settings", data={"name": "Federación Demo del Sur", "parity_baseline": "47.5",
                                                    "time_zone": "America/Chicago", "public_contact": "x@example.org"})
    assert done.status_code == 302
    with app.app_context():
        federation = db.session.get(Organization, federation_world["federation"].id)
        assert (federation.name, federation.parity_baseline, federation.time_zone) == (
            "Federación Demo del Sur", 0.475, "America/Chicago")
