"""Federations and clubs: public pages, joining, approving, roles, invitations, removals, per role."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from deliberate.extensions import db
from deliberate.models import AuditEntry, Membership, MembershipStatus, Organization, Role, User
from tests.factories import PASSWORD, login

ROLES = ["anonymous", "stranger", "outsider", "other_club_member", "member", "officer", "board", "admin"]


def as_role(client, world, role):
    if role != "anonymous":
        login(client, world[role])
    return client


# (path template, role -> expected status) for every GET page of the area.
GET_MATRIX = [
    ("/", dict.fromkeys(ROLES, 200)),
    ("/o/{federation}", dict.fromkeys(ROLES, 200)),
    ("/o/{club}", dict.fromkeys(ROLES, 200)),
    ("/o/{federation}/leaders", {"anonymous": 302, "stranger": 403, "outsider": 403, "other_club_member": 200,
                                 "member": 200, "officer": 200, "board": 200, "admin": 200}),
    ("/o/{club}/manage", {"anonymous": 302, "stranger": 403, "outsider": 403, "other_club_member": 403,
                          "member": 403, "officer": 200, "board": 200, "admin": 200}),
    ("/o/{federation}/manage", {"anonymous": 302, "stranger": 403, "outsider": 403, "other_club_member": 403,
                                "member": 403, "officer": 403, "board": 200, "admin": 200}),
    ("/o/no-such-org", dict.fromkeys(ROLES, 404)),
]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_expected(client, federation_world, role):
    as_role(client, federation_world, role)
    slugs = {"federation": federation_world["federation"].slug, "club": federation_world["club"].slug}
    for template, expected in GET_MATRIX:
        path = template.format(**slugs)
        assert client.get(path).status_code == expected[role], (path, role)


def test_club_members_are_listed_only_to_members(client, federation_world):
    club_path = f"/o/{federation_world['club'].slug}"
    assert "Member M" not in client.get(club_path).get_data(as_text=True)
    assert "Officer O" in client.get(club_path).get_data(as_text=True)  # officers are public
    login(client, federation_world["member"])
    assert "Member M" in client.get(club_path).get_data(as_text=True)


def test_register_join_approve_journey(client, app, federation_world):
    password = "flor de calabaza 77"
    client.post("/account/register", data={"display_name": "Nueva Socia", "email": "nueva@example.org",
                                           "password": password, "confirm": password, "locale": "en"})
    confirmation = app.extensions["mail_outbox"][-1].get_content()
    client.post(re.search(r"http://localhost(/account/confirm/\S+)", confirmation).group(1))
    club = federation_world["club"]
    response = client.post(f"/o/{club.slug}/join", follow_redirects=True)
    assert "officers will review it" in response.get_data(as_text=True)
    again = client.post(f"/o/{club.slug}/join", follow_redirects=True)
    assert response.status_code == 200 and again.status_code == 200
    with app.app_context():
        pending = db.session.scalars(select(Membership).where(Membership.status == MembershipStatus.PENDING)).all()
        assert len(pending) == 1
        pending_id = pending[0].id
    client.post("/account/logout")
    login(client, federation_world["officer"])
    manage = client.get(f"/o/{club.slug}/manage").get_data(as_text=True)
    assert "Nueva Socia" in manage
    assert client.post(f"/memberships/{pending_id}/approve").status_code == 302
    with app.app_context():
        assert db.session.get(Membership, pending_id).status is MembershipStatus.ACTIVE
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "membership.approve"))
    second = client.post(f"/memberships/{pending_id}/approve", follow_redirects=True)
    assert "already decided" in second.get_data(as_text=True)


@pytest.mark.parametrize("role,expected", [("member", 403), ("other_club_member", 403), ("board", 302),
                                           ("officer", 302), ("outsider", 403)])
def test_only_the_clubs_officers_and_the_board_decide_requests(client, app, federation_world, create_user,
                                                                add_member, role, expected):
    applicant = create_user("Applicant")
    pending = add_member(applicant, federation_world["club"], status=MembershipStatus.PENDING)
    login(client, federation_world[role])
    assert client.post(f"/memberships/{pending.id}/decline").status_code == expected


def test_an_officer_promotes_a_member_and_removes_one_with_a_reason(client, app, federation_world):
    login(client, federation_world["officer"])
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == federation_world["member"].id))
    client.post(f"/memberships/{membership.id}/role", data={"role": "officer"})
    with app.app_context():
        assert db.session.get(Membership, membership.id).role is Role.OFFICER
    client.post(f"/memberships/{membership.id}/role", data={"role": "member"})
    no_reason = client.post(f"/memberships/{membership.id}/remove", data={"reason": ""}, follow_redirects=True)
    assert "give a reason" in no_reason.get_data(as_text=True)
    client.post(f"/memberships/{membership.id}/remove", data={"reason": "Se mudó a Texas"})
    with app.app_context():
        removed = db.session.get(Membership, membership.id)
        assert removed.status is MembershipStatus.REMOVED and removed.removal_reason == "Se mudó a Texas"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "membership.remove"))
        assert json.loads(entry.detail) == {"reason": "Se mudó a Texas"}


def test_an_officer_cannot_remove_another_officer_but_the_board_can(client, app, federation_world, create_user,
                                                                    add_member):
    second_officer = add_member(create_user("Second Officer"), federation_world["club"], Role.OFFICER)
    login(client, federation_world["officer"])
    assert client.post(f"/memberships/{second_officer.id}/remove", data={"reason": "x"}).status_code == 403
    client.post("/account/logout")
    login(client, federation_world["board"])
    assert client.post(f"/memberships/{second_officer.id}/remove", data={"reason": "x"}).status_code == 302


def test_the_board_creates_a_club_and_appoints_a_board_member(client, app, federation_world):
    federation = federation_world["federation"]
    login(client, federation_world["board"])
    response = client.post(f"/o/{federation.slug}/clubs", data={"name": "Club Nochistlán", "us_city": "Pomona",
                                                                "founded_year": "1995"})
    assert response.status_code == 302
    with app.app_context():
        club = db.session.scalar(select(Organization).where(Organization.name == "Club Nochistlán"))
        assert club.parent_id == federation.id and club.slug == "club-nochistlan"
    client.post(f"/o/{federation.slug}/appoint", data={"user_id": federation_world["member"].id, "role": "board"})
    with app.app_context():
        appointed = db.session.scalar(select(Membership).where(
            Membership.user_id == federation_world["member"].id, Membership.organization_id == federation.id))
        assert appointed.role is Role.BOARD and appointed.is_active
    # only an admin may make admins
    client.post(f"/o/{federation.slug}/appoint", data={"user_id": federation_world["member"].id, "role": "admin"})
    with app.app_context():
        assert db.session.get(Membership, appointed.id).role is Role.BOARD


def test_a_member_cannot_create_clubs_or_appoint(client, federation_world):
    federation = federation_world["federation"]
    login(client, federation_world["member"])
    assert client.post(f"/o/{federation.slug}/clubs", data={"name": "Club Falso"}).status_code == 403
    assert client.post(f"/o/{federation.slug}/appoint",
                       data={"user_id": federation_world["member"].id, "role": "board"}).status_code == 403


def test_an_invitation_link_lets_a_person_join_directly_until_used_up(client, app, federation_world, create_user):
    club = federation_world["club"]
    login(client, federation_world["officer"])
    response = client.post(f"/o/{club.slug}/invitations", data={"role": "member", "max_uses": "1", "days": "7"},
                           follow_redirects=True)
    link = re.search(r"http://localhost(/invitations/[\w-]+)", response.get_data(as_text=True)).group(1)
    client.post("/account/logout")
    guest = create_user("Guest")
    login(client, guest)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    with app.app_context():
        joined = db.session.scalar(select(Membership).where(Membership.user_id == guest.id))
        assert joined.is_active and joined.organization_id == club.id
    client.post("/account/logout")
    login(client, create_user("Late"))
    assert client.get(link).status_code == 302  # used up


def test_an_invitation_link_starts_with_the_base_url_whatever_host_the_request_names(make_app, federation_world):
    app = make_app(BASE_URL="https://agenda.example.org/mx", SERVER_NAME=None)
    client = app.test_client()
    forged = "http://attacker.example"  # every request names this host; the link must not
    client.post("/account/login", base_url=forged, data={"email": federation_world["officer"].email,
                                                         "password": PASSWORD})
    response = client.post(f"/o/{federation_world['club'].slug}/invitations", base_url=forged,
                           data={"role": "member", "max_uses": "1", "days": "7"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert re.search(r"https://agenda\.example\.org/mx/invitations/[\w-]+", page) and "attacker" not in page


def test_a_member_cannot_create_invitations(client, federation_world):
    login(client, federation_world["member"])
    response = client.post(f"/o/{federation_world['club'].slug}/invitations", data={"role": "officer"})
    assert response.status_code == 403


def test_the_leaders_directory_shows_only_opted_in_contacts(client, app, federation_world):
    with app.app_context():
        from deliberate.models import User

        db.session.get(User, federation_world["officer"].id).contact_public = "officer@club.example"
        db.session.commit()
    login(client, federation_world["member"])
    page = client.get(f"/o/{federation_world['federation'].slug}/leaders").get_data(as_text=True)
    assert "officer@club.example" in page and "Board B" in page
    assert "Member M" not in page


def test_the_federation_audit_log_is_shown_to_the_board(client, app, federation_world):
    login(client, federation_world["board"])
    client.post(f"/o/{federation_world['federation'].slug}/clubs", data={"name": "Club Audit"})
    page = client.get(f"/o/{federation_world['federation'].slug}/manage").get_data(as_text=True)
    assert "organization.create" in page and "Club Audit" in page


def _older_and_newer_entries(client, app, federation_world) -> None:
    """Record a club's creation and a removal through the pages; add entries as they were written before facts."""
    login(client, federation_world["board"])
    client.post(f"/o/{federation_world['federation'].slug}/clubs", data={"name": "Club Audit"})
    with app.app_context():
        membership_id = db.session.scalar(select(Membership.id).where(
            Membership.user_id == federation_world["other_club_member"].id))
        db.session.add_all([
            AuditEntry(organization_id=federation_world["federation"].id, action="consultation.phase",
                       subject="Agenda 2027", detail="draft -> collecting"),
            AuditEntry(organization_id=federation_world["club"].id, action="membership.role",
                       subject="Officer O", detail="officer"),
            AuditEntry(organization_id=federation_world["federation"].id, action="demand.hide", subject="demand 7",
                       detail=json.dumps({"reason": "Insulto", "content": {"title": "Texto", "body": "feo"}})),
        ])
        db.session.commit()
    client.post(f"/memberships/{membership_id}/remove", data={"reason": "Se mudó a Texas"})


def test_the_federation_audit_log_reads_in_spanish(client, app, federation_world):
    _older_and_newer_entries(client, app, federation_world)
    with app.app_context():
        db.session.get(User, federation_world["board"].id).locale = "es"
        db.session.commit()
    page = client.get(f"/o/{federation_world['federation'].slug}/manage").get_data(as_text=True)
    assert "Un club" in page and "Motivo: Se mudó a Texas" in page
    assert "De «Borrador» a «Recogiendo demandas»." in page and "Nuevo cargo: Dirigente" in page
    assert "Demanda #7" in page and "Motivo: Insulto · Texto ocultado: Texto — feo" in page
    assert "draft -&gt; collecting" not in page and "{&#34;" not in page and '{"' not in page


def test_the_federation_audit_log_reads_in_english(client, app, federation_world):
    _older_and_newer_entries(client, app, federation_world)
    page = client.get(f"/o/{federation_world['federation'].slug}/manage").get_data(as_text=True)
    assert "A club" in page and "Reason: Se mudó a Texas" in page
    assert "From “Draft” to “Collecting demands”." in page and "New role: Officer" in page
    assert "Demand #7" in page and "Reason: Insulto · Hidden text: Texto — feo" in page
