"""Who may do what on a consultation, per role: the rules of permissions.py and the one loader of views."""

from __future__ import annotations

import pytest
from flask import render_template_string
from sqlalchemy import event

from deliberate import permissions
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Consultation, Organization, User
from tests.factories import login

ROLES = ("anonymous", "stranger", "outsider", "other_club_member", "member", "officer", "board", "admin", "site_admin")
#: Roles of the federation: a member of one of its clubs, its board and admins, a site administrator.
IN_FEDERATION = {"other_club_member", "member", "officer", "board", "admin", "site_admin"}
BOARD = {"board", "admin", "site_admin"}
#: Who takes part and votes through a club (the board member also belongs to a club; admins do not).
IN_A_CLUB = {"other_club_member", "member", "officer", "board"}


@pytest.fixture
def world(app, federation_world, create_user):
    w = dict(federation_world)
    w["site_admin"] = create_user("Site Admin", is_admin=True)
    with app.app_context():
        for phase in Phase:
            consultation = Consultation(federation_id=w["federation"].id, title_es=f"Consulta {phase.value}",
                                        title_en=f"Consultation {phase.value}", phase=phase)
            db.session.add(consultation)
            db.session.flush()
            w[phase] = consultation.id
        db.session.commit()
    return w


def _person(world, role: str) -> User | None:
    return None if role == "anonymous" else db.session.get(User, world[role].id)


def _consultation(world, phase: Phase) -> Consultation:
    return db.session.get(Consultation, world[phase])


@pytest.mark.parametrize("role", ROLES)
def test_each_rule_of_a_consultation_per_role(app, world, role):
    with app.app_context():
        user = _person(world, role)
        draft, collecting, deliberating = (_consultation(world, p) for p in (
            Phase.DRAFT, Phase.COLLECTING, Phase.DELIBERATING))
        tallied, published = _consultation(world, Phase.TALLIED), _consultation(world, Phase.PUBLISHED)
        assert permissions.is_board(user, collecting) is (role in BOARD)
        assert permissions.is_member(user, collecting) is (role in IN_FEDERATION)
        assert permissions.can_view(user, draft) is (role in BOARD)
        assert permissions.can_view(user, collecting) is True
        assert permissions.can_take_part(user, collecting) is (role in IN_A_CLUB)
        assert permissions.can_vote(user, collecting) is (role in IN_A_CLUB)
        assert permissions.can_see_results(user, deliberating) is False
        assert permissions.can_see_results(user, tallied) is (role in IN_FEDERATION)
        assert permissions.can_see_results(user, published) is True
        assert permissions.can_see_map(user, draft) is (role in BOARD)
        assert permissions.can_see_map(user, deliberating) is (role in IN_FEDERATION)
        assert permissions.can_see_map(user, published) is True
        assert permissions.can_see_items(user, collecting) is (role in IN_FEDERATION)
        assert permissions.can_see_items(user, deliberating) is True
        assert permissions.can_moderate(user, collecting) is (role in BOARD)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_clubs_own_officers_act_for_it(app, world, role):
    with app.app_context():
        club = db.session.get(Organization, world["club"].id)
        assert permissions.is_club_officer(_person(world, role), club) is (role == "officer")


@pytest.mark.parametrize("role", ROLES)
def test_the_board_of_an_agenda_or_a_club_is_its_federations(app, world, role):
    with app.app_context():
        user = _person(world, role)
        club = db.session.get(Organization, world["club"].id)
        other = db.session.get(Organization, world["other_federation"].id)
        assert permissions.is_board(user, club) is (role in BOARD)
        assert permissions.is_board(user, other) is (role == "site_admin")


def _get(client, world, role, path):
    if role != "anonymous":
        login(client, world[role])
    return client.get(path)


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_not_found_outside_its_board(client, world, role):
    response = _get(client, world, role, f"/consultations/{world[Phase.DRAFT]}")
    assert response.status_code == (200 if role in BOARD else 404)


@pytest.mark.parametrize("role", ROLES)
def test_a_members_page_refuses_others_and_sends_the_anonymous_to_log_in(client, world, role):
    response = _get(client, world, role, f"/consultations/{world[Phase.DELIBERATING]}/opinion-map")
    expected = 200 if role in IN_FEDERATION else 302 if role == "anonymous" else 403
    assert response.status_code == expected
    if expected == 302:
        assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_a_board_page_is_forbidden_to_everyone_else(client, world, role):
    response = _get(client, world, role, f"/consultations/{world[Phase.COLLECTING]}/moderation")
    assert response.status_code == (200 if role in BOARD else 302 if role == "anonymous" else 403)


@pytest.mark.parametrize("role", ROLES)
def test_the_consultation_page_offers_what_the_person_can_do_now(client, world, role):
    html = _get(client, world, role, f"/consultations/{world[Phase.COLLECTING]}").get_data(as_text=True)
    assert ("Submit a demand" in html) is (role in IN_FEDERATION)
    assert ("Board controls" in html) is (role in BOARD)
    assert ("To take part, log in" in html) is (role == "anonymous")
    assert "Vote</a>" not in html


def test_templates_get_their_data_from_the_view_no_context_processor_queries(app, client, world):
    login(client, world["board"])
    statements = []
    with client:
        client.get(f"/consultations/{world[Phase.COLLECTING]}")
        with app.app_context():
            engine = db.engine
        _ = permissions.current_user.id  # the person is loaded by the log-in, before the template

        def count(*_args) -> None:
            statements.append(_args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            context: dict = {}
            app.update_template_context(context)  # every context processor and global of the app
            render_template_string("{{ phase_name('draft') }}{{ g.unread_notifications|default(0) }}")
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    querying = {"deliberation_panel", "federation_consultations", "is_consultation_board", "unread_notifications"}
    assert not querying & (set(context) | set(app.jinja_env.globals))
