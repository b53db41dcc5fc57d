"""Everyone sees what is happening now and what waits for them: on the home page, club pages and their own page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliberate.domain.phases import Phase
from deliberate.domain.timezones import local_today
from deliberate.extensions import db
from deliberate.models import BallotCast, Consultation, Demand, Membership, MembershipStatus, utcnow


def _consultation(app, world, phase: Phase, days_left: int | None = 10) -> int:
    with app.app_context():
        until = local_today(utcnow(), "UTC") + timedelta(days=days_left) if days_left is not None else None
        consultation = Consultation(federation_id=world["federation"].id, title_es="Agenda binacional 2027",
                                    title_en="Binational agenda 2027", phase=phase)
        if phase in (Phase.COLLECTING, Phase.CONSOLIDATING, Phase.DELIBERATING, Phase.VOTING):
            setattr(consultation, f"{phase.value}_until", until)
        db.session.add(consultation)
        db.session.commit()
        return consultation.id


def _demand(app, world, consultation_id, author="other_club_member", title="Agua potable para Jerez"):
    with app.app_context():
        db.session.add(Demand(consultation_id=consultation_id, author_id=world[author].id,
                              club_id=world["other_club"].id, title=title, body="Más agua"))
        db.session.commit()


def _page(client, url="/"):
    return client.get(url).get_data(as_text=True)


def test_a_member_is_asked_for_demands_and_reactions_while_collecting(app, client, federation_world, log_in):
    consultation_id = _consultation(app, federation_world, Phase.COLLECTING, days_left=2)
    _demand(app, federation_world, consultation_id)
    _demand(app, federation_world, consultation_id, title="Clínica en Tlaltenango")
    log_in(client, federation_world["member"])
    for url in ("/", "/account/profile", f"/o/{federation_world['club'].slug}"):
        page = _page(client, url)
        assert "Your pending tasks" in page, url
        assert "Send your club's demands to “Binational agenda 2027”" in page, url
        assert "2 demands of “Binational agenda 2027” wait for your reaction" in page, url
        assert "last day" in page and "Soon" in page, url  # two days left: pressing


def test_a_member_who_voted_is_no_longer_asked_to(app, client, federation_world, log_in):
    consultation_id = _consultation(app, federation_world, Phase.VOTING)
    log_in(client, federation_world["member"])
    assert "Vote in “Binational agenda 2027”" in _page(client)
    with app.app_context():
        db.session.add(BallotCast(consultation_id=consultation_id, user_id=federation_world["member"].id))
        db.session.commit()
    page = _page(client)
    assert "Vote in" not in page and "Nothing waits for you right now." in page
    assert "Binational agenda 2027" in page  # still listed as under way


def test_the_board_is_told_its_next_step_and_what_to_fix_first(app, client, federation_world, log_in):
    _consultation(app, federation_world, Phase.CONSOLIDATING)
    log_in(client, federation_world["board"])
    page = _page(client)
    assert "Board: group the demands of “Binational agenda 2027” into agenda items" in page
    assert "Board: next step for “Binational agenda 2027”, move to Deliberating" in page
    assert "thing to fix first" in page or "things to fix first" in page  # no demands, no items: blocking


def test_officers_see_requests_to_join_their_club(app, client, federation_world, log_in, create_user):
    applicant = create_user("Applicant")
    with app.app_context():
        db.session.add(Membership(user_id=applicant.id, organization_id=federation_world["club"].id,
                                  status=MembershipStatus.PENDING))
        db.session.commit()
    log_in(client, federation_world["officer"])
    assert "1 person asks to join Club Jerez" in _page(client)
    other = client.application.test_client()
    log_in(other, federation_world["other_club_member"])
    assert "asks to join" not in _page(other)


def test_a_published_agenda_is_announced(app, client, federation_world, log_in):
    from deliberate.models import Agenda, AgendaVersion

    consultation_id = _consultation(app, federation_world, Phase.PUBLISHED, days_left=None)
    with app.app_context():
        agenda = Agenda(consultation_id=consultation_id)
        db.session.add(agenda)
        db.session.flush()
        db.session.add(AgendaVersion(agenda_id=agenda.id, number=1, document="{}", sha256="0" * 64))
        db.session.commit()
        agenda_id = agenda.id
    log_in(client, federation_world["member"])
    page = _page(client)
    assert "The agenda of “Binational agenda 2027” is published" in page and f"/agendas/{agenda_id}" in page


def test_visitors_see_what_is_under_way_but_no_tasks_and_nobody_sees_drafts_but_the_board(app, client,
                                                                                       federation_world, log_in):
    _consultation(app, federation_world, Phase.DELIBERATING)
    draft_id = _consultation(app, federation_world, Phase.DRAFT, days_left=None)
    with app.app_context():
        db.session.get(Consultation, draft_id).title_en = "Secret draft"
        db.session.commit()
    page = _page(client, f"/o/{federation_world['federation'].slug}")
    assert "What is happening in the federation" in page and "Binational agenda 2027" in page
    assert "Your pending tasks" not in page and "Secret draft" not in page
    log_in(client, federation_world["outsider"])
    assert "Binational agenda 2027" not in _page(client)  # another federation's consultation
    board = client.application.test_client()
    log_in(board, federation_world["board"])
    assert "Secret draft" in _page(board)


@pytest.mark.parametrize("locale,words", [("es", "Tus tareas pendientes"), ("en", "Your pending tasks")])
def test_the_panel_speaks_the_members_language(app, client, federation_world, log_in, locale, words):
    _consultation(app, federation_world, Phase.VOTING)
    client.post("/account/language", data={"locale": locale})
    log_in(client, federation_world["member"])
    client.post("/account/language", data={"locale": locale})
    assert words in _page(client)
