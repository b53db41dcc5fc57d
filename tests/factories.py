"""The tests' factories: fixtures that return a ``create_x`` callable or a small world, and plain helper functions.

Test modules import helpers from here (and fixtures arrive through ``tests/conftest.py``), never from one another.

- People and organizations: ``create_user``, ``create_organization``, ``add_member``, ``federation_world`` (a
  federation with two clubs and one person in every role), ``login`` and ``PASSWORD``.
- A collecting consultation with demands from two clubs, one hidden and one withdrawn: ``collecting_world(app,
  federation_world)``, with ``consultation_of``, ``user_of``, ``demand_of``, ``set_phase`` and ``discussion_path``.
- A counted consultation waiting for its agenda: the ``tallied`` fixture (built on ``voting_consultation``).
- A federation whose clubs hold assemblies, in voting: the ``assembly_world`` fixture.
- The demo federation's consultation, opened for voting: ``demo_consultation_in_voting()``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from deliberate import demo
from deliberate.ballots.services import cast_ballot
from deliberate.consultations.services import advance_phase
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    AgendaItem,
    Consultation,
    Demand,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Role,
    User,
    utcnow,
)
from deliberate.models.agenda import DemandPlacement, PlacementStatus

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


# --- people and organizations -------------------------------------------------------------------------------------

def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log a user in through the real form."""
    response = client.post("/account/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def log_in() -> Callable[[FlaskClient, User], None]:
    return login


@pytest.fixture
def create_user(app: Flask) -> Callable[..., User]:
    def create(
        name: str | None = None, *, email: str | None = None, gender: Gender | None = None, is_admin: bool = False,
        locale: str | None = "en",
    ) -> User:
        n = next(_counter)
        with app.app_context():
            user = User(
                email=email or f"user{n}@example.org", display_name=name or f"User {n}",
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), gender=gender,
                is_admin=is_admin, is_deleted=False, locale=locale,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return create


@pytest.fixture
def create_organization(app: Flask) -> Callable[..., Organization]:
    def create(name: str | None = None, *, kind: OrganizationKind = OrganizationKind.FEDERATION,
               parent: Organization | None = None, **details) -> Organization:
        n = next(_counter)
        with app.app_context():
            organization = Organization(
                kind=kind, name=name or f"Org {n}", slug=f"org-{n}", parent_id=parent.id if parent else None,
                description="", **details,
            )
            db.session.add(organization)
            db.session.commit()
            db.session.refresh(organization)
            db.session.expunge(organization)
        return organization

    return create


@pytest.fixture
def add_member(app: Flask) -> Callable[..., Membership]:
    def add(user: User, organization: Organization, role: Role = Role.MEMBER,
            status: MembershipStatus = MembershipStatus.ACTIVE) -> Membership:
        with app.app_context():
            membership = Membership(user_id=user.id, organization_id=organization.id, role=role, status=status)
            db.session.add(membership)
            db.session.commit()
            db.session.refresh(membership)
            db.session.expunge(membership)
        return membership

    return add


@pytest.fixture
def federation_world(create_user, create_organization, add_member) -> dict:
    """Return a federation with two clubs and one person in every role (and an outsider in another club)."""
    federation = create_organization("Federación Demo")
    club = create_organization("Club Jerez", kind=OrganizationKind.CLUB, parent=federation,
                               hometown_municipality="Jerez", us_city="Los Angeles")
    other_club = create_organization("Club Tlaltenango", kind=OrganizationKind.CLUB, parent=federation)
    other_federation = create_organization("Otra Federación")
    foreign_club = create_organization("Club Lejano", kind=OrganizationKind.CLUB, parent=other_federation)
    people = {
        "member": create_user("Member M", gender=Gender.WOMAN),
        "officer": create_user("Officer O", gender=Gender.MAN),
        "board": create_user("Board B", gender=Gender.WOMAN),
        "admin": create_user("Admin A"),
        "other_club_member": create_user("Other Club Member"),
        "outsider": create_user("Outsider X"),
        "stranger": create_user("Stranger S"),
    }
    add_member(people["member"], club)
    add_member(people["officer"], club, Role.OFFICER)
    add_member(people["board"], other_club)
    add_member(people["board"], federation, Role.BOARD)
    add_member(people["admin"], federation, Role.ADMIN)
    add_member(people["other_club_member"], other_club)
    add_member(people["outsider"], foreign_club)
    return {"federation": federation, "club": club, "other_club": other_club, "other_federation": other_federation,
            "foreign_club": foreign_club, **people}


# --- a collecting consultation with demands -----------------------------------------------------------------------

def collecting_world(app: Flask, federation_world: dict) -> dict:
    """The federation world plus a collecting consultation with demands from two clubs (one hidden, one withdrawn)."""
    w = dict(federation_world)
    with app.app_context():
        consultation = Consultation(federation_id=w["federation"].id, title_es="Consulta 2026",
                                    title_en="Consultation 2026", phase=Phase.COLLECTING)
        db.session.add(consultation)
        db.session.flush()

        def demand(title, author, club, **extra):
            row = Demand(consultation_id=consultation.id, title=title, body="", body_html="", author_id=author.id,
                         club_id=club.id, **extra)
            db.session.add(row)
            return row

        rows = {
            "d_member": demand("Clínica móvil en Jerez", w["member"], w["club"]),
            "d_other": demand("Becas para estudiantes", w["other_club_member"], w["other_club"]),
            "d_officer": demand("Agua potable en la comunidad", w["officer"], w["club"]),
            "d_hidden": demand("Texto ofensivo", w["other_club_member"], w["other_club"], hidden_at=utcnow(),
                               hidden_reason="insultos"),
            "d_withdrawn": demand("Retirada", w["officer"], w["club"], is_withdrawn=True),
        }
        db.session.commit()
        w["consultation_id"] = consultation.id
        w |= {name: row.id for name, row in rows.items()}
    return w


def consultation_of(world: dict) -> Consultation:
    """Load the world's consultation (inside an app context)."""
    return db.session.get(Consultation, world["consultation_id"])


def user_of(world: dict, role: str) -> User:
    """Load the world's person in this role (inside an app context)."""
    return db.session.get(User, world[role].id)


def demand_of(world: dict, name: str) -> Demand:
    """Load one of the world's demands by its name, such as ``d_member`` (inside an app context)."""
    return db.session.get(Demand, world[name])


def set_phase(app: Flask, world: dict, phase: Phase) -> None:
    """Put the world's consultation in a phase directly (tests of what each phase allows)."""
    with app.app_context():
        consultation_of(world).phase = phase
        db.session.commit()


def discussion_path(world: dict, name: str) -> str:
    return f"/consultations/{world['consultation_id']}/demands/{world[name]}/discussion"


# --- a counted consultation ---------------------------------------------------------------------------------------

def agenda_items(consultation_id: int, titles_es: list[str], titles_en: list[str] | None = None) -> list[AgendaItem]:
    """Add agenda items to a consultation, each holding one visible demand, as the board's workspace leaves them.

    Call it inside an app context; it flushes, the caller commits. An item without a visible demand is not on the
    ballot, so tests that need candidates create them here.
    """
    items = [AgendaItem(consultation_id=consultation_id, title_es=es, title_en=en)
             for es, en in zip(titles_es, titles_en or titles_es, strict=True)]
    db.session.add_all(items)
    db.session.flush()
    demands = [Demand(consultation_id=consultation_id, title=item.title_es) for item in items]
    db.session.add_all(demands)
    db.session.flush()
    db.session.add_all(
        DemandPlacement(consultation_id=consultation_id, demand_id=demand.id, agenda_item_id=item.id,
                        status=PlacementStatus.LINKED)
        for demand, item in zip(demands, items, strict=True))
    db.session.flush()
    return items



def voting_consultation(world: dict, title_es: str, title_en: str) -> tuple[Consultation, dict[str, int]]:
    """Open a voting consultation of 2 seats on four items (call inside an app context): return it and the ids."""
    consultation = Consultation(federation_id=world["federation"].id, title_es=title_es, title_en=title_en,
                                phase=Phase.VOTING, agenda_size=2)
    db.session.add(consultation)
    db.session.flush()
    titles = ["Salud", "Agua", "Becas", "Cultura"]
    items = agenda_items(consultation.id, titles, [t + " (en)" for t in titles])
    db.session.commit()
    ids = {title.lower(): item.id for title, item in zip(titles, items, strict=True)}
    return consultation, {**ids, "consultation": consultation.id}


@pytest.fixture
def tallied(app, federation_world, create_user, add_member):
    """A consultation counted and waiting for its agenda: 4 items, 8 voters in Club Jerez, 6 in Club Tlaltenango.

    The count's top 2 are "Becas" and "Salud"; Club Jerez approves only "Becas", so it dissents on "Salud".
    """
    world = federation_world
    voters_a = [create_user(f"Jerez voter {i}", gender=Gender.MAN) for i in range(6)]
    voters_b = [create_user(f"Tlalte voter {i}", gender=Gender.WOMAN if i % 2 else Gender.MAN) for i in range(5)]
    for user in voters_a:
        add_member(user, world["club"])
    for user in voters_b:
        add_member(user, world["other_club"])
    with app.app_context():
        consultation, ids = voting_consultation(world, "Agenda 2027", "2027 Agenda")
        salud, agua, becas, cultura = (ids[key] for key in ("salud", "agua", "becas", "cultura"))
        jerez = [db.session.get(User, u.id) for u in [*voters_a, world["member"], world["officer"]]]
        tlalte = [db.session.get(User, u.id) for u in [*voters_b, world["other_club_member"]]]
        for user in jerez:
            cast_ballot(consultation, user, [[becas], [salud], [agua], [cultura]], [becas])
        for user in tlalte:
            cast_ballot(consultation, user, [[agua], [salud], [becas], [cultura]], [agua, salud, becas])
        board = db.session.get(User, world["board"].id)
        advance_phase(consultation, board, Phase.VOTING, Phase.TALLIED)
    return {**world, **ids}


# --- a club assembly's world -------------------------------------------------------------------------------------

ASSEMBLY_TITLES = ["Salud", "Agua", "Becas", "Cultura"]


@pytest.fixture
def assembly_world(app, create_user, create_organization, add_member) -> dict:
    """A federation: Club Jerez (two officers, 14 members), Club Tlaltenango (8 members), a board member, an
    outsider; a consultation in voting on four items."""
    federation = create_organization("Federación Asamblea")
    jerez = create_organization("Club Jerez", kind=OrganizationKind.CLUB, parent=federation)
    tlalte = create_organization("Club Tlaltenango", kind=OrganizationKind.CLUB, parent=federation)
    solo = create_organization("Club Papel", kind=OrganizationKind.CLUB, parent=federation)
    other = create_organization("Otra Federación")
    far = create_organization("Club Lejano", kind=OrganizationKind.CLUB, parent=other)
    officer, second = create_user("Officer Uno"), create_user("Officer Dos")
    add_member(officer, jerez, Role.OFFICER)
    add_member(second, jerez, Role.OFFICER)
    board = create_user("Board B")
    add_member(board, tlalte)
    add_member(board, federation, Role.BOARD)
    members = [create_user(f"Jerez {n:02d}") for n in range(14)]
    for user in members:
        add_member(user, jerez)
    tlaltes = [create_user(f"Tlalte {n}") for n in range(8)]
    for user in tlaltes:
        add_member(user, tlalte)
    solos = [create_user(f"Papel {n}") for n in range(6)]
    for user in solos:
        add_member(user, solo)
    solo_officer = create_user("Officer Papel")
    add_member(solo_officer, solo, Role.OFFICER)
    outsider = create_user("Outsider")
    add_member(outsider, far)
    with app.app_context():
        consultation = Consultation(federation_id=federation.id, title_es="Consulta", title_en="Consultation",
                                    phase=Phase.VOTING, agenda_size=2)
        db.session.add(consultation)
        db.session.flush()
        items = [item.id for item in agenda_items(consultation.id, ASSEMBLY_TITLES,
                                                  [t + " (en)" for t in ASSEMBLY_TITLES])]
        db.session.commit()
        consultation_id = consultation.id
    return {"federation": federation, "jerez": jerez, "tlalte": tlalte, "solo": solo, "officer": officer,
            "second": second, "board": board, "members": members, "tlaltes": tlaltes, "solos": solos,
            "solo_officer": solo_officer, "outsider": outsider, "consultation_id": consultation_id, "items": items}



# --- the demo federation ------------------------------------------------------------------------------------------

def demo_consultation_in_voting() -> int:
    """Seed the demo, take its consultation to voting on six accepted groups, and return its id (in an app context)."""
    return demo.open_demo_vote()
