"""Mentoring: members offer and ask, the board pairs them, the pair records meetings (notes private to them) and
ends the pairing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberate.extensions import db
from deliberate.models import Mentoring, MentoringMeeting, MentorRequest, Notification, utcnow


def _slug(world) -> str:
    return world["federation"].slug


@pytest.mark.parametrize("role, status", [("stranger", 403), ("outsider", 403), ("member", 200), ("officer", 200),
                                          ("board", 200), ("admin", 200)])
def test_members_of_the_federation_reach_the_mentoring_page(client, log_in, federation_world, role, status):
    log_in(client, federation_world[role])
    assert client.get(f"/o/{_slug(federation_world)}/mentoring").status_code == status


@pytest.fixture
def paired(app, client, log_in, federation_world):
    """The board member's club-mate offers to mentor; the member (another club) asks for a woman mentor; paired."""
    world = federation_world
    log_in(client, world["other_club_member"])
    assert client.post(f"/o/{_slug(world)}/mentoring/offer", data={"topics": "Tesorería y asambleas"}).status_code \
        == 302
    log_in(client, world["officer"])
    client.post(f"/o/{_slug(world)}/mentoring/offer", data={"topics": "Asambleas"})
    log_in(client, world["member"])
    assert client.post(f"/o/{_slug(world)}/mentoring/request",
                       data={"wants": "Aprender tesorería", "wants_woman_mentor": "y"}).status_code == 302
    log_in(client, world["board"])
    page = client.get(f"/o/{_slug(world)}/mentoring").get_data(as_text=True)
    assert "Aprender tesorería" in page and "asks for a woman mentor" in page
    assert page.index("Other Club Member") < page.index("Officer O")  # another club comes first
    with app.app_context():
        request_id = db.session.scalar(select(MentorRequest.id))
    response = client.post(f"/mentoring/requests/{request_id}/pair",
                           data={"mentor": str(world["other_club_member"].id)})
    assert response.status_code == 302
    with app.app_context():
        mentoring = db.session.scalar(select(Mentoring))
        return mentoring.id


def test_the_board_pairs_and_both_are_told(app, paired, federation_world):
    with app.app_context():
        mentoring = db.session.get(Mentoring, paired)
        assert (mentoring.mentor_id, mentoring.mentee_id) == (federation_world["other_club_member"].id,
                                                              federation_world["member"].id)
        told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "mentoring_paired")))
        assert told == {federation_world["other_club_member"].id, federation_world["member"].id}


def test_only_the_board_pairs(app, client, log_in, federation_world):
    log_in(client, federation_world["member"])
    client.post(f"/o/{_slug(federation_world)}/mentoring/request", data={"wants": "Hablar en público"})
    with app.app_context():
        request_id = db.session.scalar(select(MentorRequest.id))
    log_in(client, federation_world["officer"])
    assert client.post(f"/mentoring/requests/{request_id}/pair",
                       data={"mentor": str(federation_world["officer"].id)}).status_code == 403


def test_the_pair_records_meetings_whose_notes_only_they_read(app, client, log_in, paired, federation_world):
    log_in(client, federation_world["member"])
    today = utcnow().date()
    assert client.post(f"/mentoring/{paired}/meetings",
                       data={"met_on": today.isoformat(), "note": "Revisamos el presupuesto"}).status_code == 302
    future = client.post(f"/mentoring/{paired}/meetings",
                         data={"met_on": (today + timedelta(days=3)).isoformat(), "note": ""})
    assert future.status_code == 422 and "choose today or an earlier day" in future.get_data(as_text=True)
    log_in(client, federation_world["other_club_member"])
    assert "Revisamos el presupuesto" in client.get(f"/mentoring/{paired}").get_data(as_text=True)
    log_in(client, federation_world["board"])
    board_view = client.get(f"/mentoring/{paired}").get_data(as_text=True)
    assert "Revisamos el presupuesto" not in board_view and "1 meeting recorded" in board_view
    assert client.post(f"/mentoring/{paired}/meetings", data={"met_on": today.isoformat()}).status_code == 403
    log_in(client, federation_world["officer"])
    assert client.get(f"/mentoring/{paired}").status_code == 403
    with app.app_context():
        assert len(db.session.scalars(select(MentoringMeeting)).all()) == 1


def test_either_of_the_pair_ends_it_with_a_note(app, client, log_in, paired, federation_world):
    log_in(client, federation_world["member"])
    assert client.post(f"/mentoring/{paired}/end", data={"note": ""}).status_code == 422
    assert client.post(f"/mentoring/{paired}/end", data={"note": "Aprendí mucho"}).status_code == 302
    with app.app_context():
        mentoring = db.session.get(Mentoring, paired)
        assert not mentoring.is_active and mentoring.end_note == "Aprendí mucho"
    response = client.post(f"/mentoring/{paired}/meetings", data={"met_on": utcnow().date().isoformat()},
                           follow_redirects=True)
    assert "This pairing has ended." in response.get_data(as_text=True)


def test_a_member_asks_once_at_a_time(client, log_in, federation_world):
    log_in(client, federation_world["member"])
    client.post(f"/o/{_slug(federation_world)}/mentoring/request", data={"wants": "Algo"})
    again = client.post(f"/o/{_slug(federation_world)}/mentoring/request", data={"wants": "Otra cosa"},
                        follow_redirects=True)
    assert "You already asked for a mentor" in again.get_data(as_text=True)


def test_mentors_and_mentees_count_on_the_dashboard_without_small_figures(client, log_in, paired, federation_world):
    log_in(client, federation_world["board"])
    page = client.get(f"/o/{_slug(federation_world)}/health/board").get_data(as_text=True)
    assert "Mentors" in page and "Mentees" in page
