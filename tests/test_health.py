"""The federation's health: a public summary for anyone, the board's dashboard, quota rules, and no figure about
fewer than five people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberate.domain.events import EventMode
from deliberate.domain.gender import Gender
from deliberate.domain.health import Quarter
from deliberate.domain.phases import Phase
from deliberate.domain.timezones import to_local
from deliberate.events import services as events
from deliberate.extensions import db
from deliberate.models import BallotCast, Consultation, Demand, Organization, QuotaRule, Role, User, utcnow


@pytest.fixture
def big_world(federation_world, create_user, add_member):
    """The federation world plus six women and six men in Club Jerez, and one woman in Club Tlaltenango."""
    world = dict(federation_world)
    world["women"] = [create_user(f"Mujer {n}", gender=Gender.WOMAN) for n in range(6)]
    world["men"] = [create_user(f"Hombre {n}", gender=Gender.MAN) for n in range(6)]
    for person in world["women"] + world["men"]:
        add_member(person, world["club"])
    return world


@pytest.mark.parametrize("role", ["stranger", "outsider", "member", "officer", "board", "admin"])
def test_anyone_reads_the_public_summary(client, log_in, federation_world, role):
    log_in(client, federation_world[role])
    page = client.get(f"/o/{federation_world['federation'].slug}/health")
    assert page.status_code == 200 and "Clubs active in the last 90 days" in page.get_data(as_text=True)


def test_a_visitor_reads_the_summary_too(client, federation_world):
    assert client.get(f"/o/{federation_world['federation'].slug}/health").status_code == 200
    assert client.get(f"/o/{federation_world['club'].slug}/health").status_code == 404


@pytest.mark.parametrize("role, status", [("stranger", 403), ("outsider", 403), ("member", 403), ("officer", 403),
                                          ("board", 200), ("admin", 200)])
def test_only_the_board_reads_the_dashboard(client, log_in, federation_world, role, status):
    log_in(client, federation_world[role])
    assert client.get(f"/o/{federation_world['federation'].slug}/health/board").status_code == status


def test_small_groups_are_not_shown(client, federation_world):
    page = client.get(f"/o/{federation_world['federation'].slug}/health").get_data(as_text=True)
    assert "Not shown: it would be about fewer than 5 people." in page and "fewer than 5" in page


def test_shares_of_large_enough_groups_are_shown_against_the_baseline(client, big_world):
    page = client.get(f"/o/{big_world['federation'].slug}/health").get_data(as_text=True)
    # members: member M, board B (in Club Tlaltenango) and the six women (8 women); officer O, the six men and the
    # other club's member (8 others)
    assert "50.0%" in page and "of 16 people" in page and "43.9%" in page


def test_the_dashboard_flags_a_club_without_a_woman_officer(client, log_in, big_world):
    log_in(client, big_world["board"])
    page = client.get(f"/o/{big_world['federation'].slug}/health/board").get_data(as_text=True)
    assert "Club Jerez has no woman officer." in page
    assert "Club Tlaltenango has shown no activity" not in page  # a member joined today


def test_the_board_sets_a_quota_rule_and_sees_whether_it_is_met(app, client, log_in, big_world):
    log_in(client, big_world["board"])
    slug = big_world["federation"].slug
    assert client.post(f"/o/{slug}/health/quotas", data={"body": "officers", "min_percent": "40"}).status_code == 302
    page = client.get(f"/o/{slug}/health").get_data(as_text=True)
    assert "at least 40% women" in page and "not met" in page and "1 more woman would be needed" in page
    bad = client.post(f"/o/{slug}/health/quotas", data={"body": "officers", "min_percent": "140"})
    assert bad.status_code == 422 and "Write a number from 1 to 100." in bad.get_data(as_text=True)
    with app.app_context():
        rule = db.session.scalar(select(QuotaRule))
        assert rule.min_percent == 40
        rule_id = rule.id
    log_in(client, big_world["member"])
    assert client.post(f"/o/{slug}/health/quotas", data={"body": "board", "min_percent": "40"}).status_code == 403
    assert client.post(f"/o/{slug}/health/quotas/{rule_id}/remove").status_code == 403
    log_in(client, big_world["board"])
    client.post(f"/o/{slug}/health/quotas/{rule_id}/remove")
    with app.app_context():
        assert db.session.scalar(select(QuotaRule)) is None


def test_votes_are_shown_per_counting_group_and_small_clubs_are_pooled(app, client, log_in, big_world):
    with app.app_context():
        consultation = Consultation(federation_id=big_world["federation"].id, title_es="Agenda", title_en="Agenda",
                                    phase=Phase.TALLIED)
        db.session.add(consultation)
        db.session.flush()
        voters = big_world["women"] + big_world["men"][:3] + [big_world["other_club_member"]]
        for person in voters:
            db.session.add(BallotCast(consultation_id=consultation.id, user_id=person.id))
        db.session.add(Demand(consultation_id=consultation.id, author_id=big_world["member"].id,
                              club_id=big_world["club"].id, title="Agua", body="Agua potable"))
        db.session.commit()
    log_in(client, big_world["board"])
    page = client.get(f"/o/{big_world['federation'].slug}/health/board").get_data(as_text=True)
    # Club Tlaltenango has one voter: it is pooled with Club Jerez (nine), never shown alone
    assert "Club Jerez + Club Tlaltenango: 10" in page
    assert "Trends over consultations" in page and "<svg" in page


def test_the_dashboard_is_in_spanish(client, log_in, big_world, create_user, add_member):
    board = create_user("Junta ES", locale="es")
    add_member(board, big_world["federation"], Role.BOARD)
    log_in(client, board)
    page = client.get(f"/o/{big_world['federation'].slug}/health/board").get_data(as_text=True)
    assert "Panel de salud" in page and "Club Jerez no tiene ninguna mujer entre sus responsables." in page


def test_a_share_shown_as_the_baseline_is_never_said_to_be_below_it(app, client, big_world):
    with app.app_context():
        federation = db.session.get(Organization, big_world["federation"].id)
        federation.parity_baseline = 0.4376  # shown as 43.8%
        db.session.get(User, big_world["women"][0].id).gender = None  # 7 women of 16 members: 43.75%
        db.session.commit()
    page = client.get(f"/o/{big_world['federation'].slug}/health").get_data(as_text=True)
    row = page[page.index('<th scope="row">Members</th>'):][:400]
    assert "43.8%" in row and "at or above (+0.0 points)" in row and "below" not in row


def test_the_dashboard_shows_womens_share_by_quarter_with_small_groups_left_out(app, client, log_in, big_world):
    with app.app_context():
        board = db.session.get(User, big_world["board"].id)
        federation = db.session.get(Organization, big_world["federation"].id)
        now = utcnow().replace(microsecond=0)
        past = events.create_event(federation, board, events.EventFields(
            title_es="Taller", title_en="Workshop", starts_at=now + timedelta(days=1), capacity=50,
            mode=EventMode.IN_PERSON, address="1200 W Olympic Blvd"))
        people = big_world["women"][:5] + big_world["men"][:5]
        for person in people:
            events.rsvp(past, db.session.get(User, person.id))
        past.starts_at = now - timedelta(minutes=5)
        db.session.commit()
        events.record_attendance(past, board, [rsvp.id for rsvp in past.rsvps])
        consultation = Consultation(federation_id=federation.id, title_es="Agenda", title_en="Agenda",
                                    phase=Phase.TALLIED, voting_until=now.date())
        db.session.add(consultation)
        db.session.flush()
        for person in big_world["women"][:3]:
            db.session.add(BallotCast(consultation_id=consultation.id, user_id=person.id))
        db.session.commit()
        quarter = Quarter.of(to_local(now, federation.time_zone).date())
    log_in(client, big_world["board"])
    page = client.get(f"/o/{big_world['federation'].slug}/health/board").get_data(as_text=True)
    section = page[page.index('id="quarters-title"'):].split("</section>")[0]
    assert section.count("<svg") == 1 and "<title>Women's share by quarter</title>" in section
    row = section[section.index(f"Q{quarter.number} {quarter.year}</th>"):].split("</tr>")[0]
    cells = row.split("<td>")[1:]
    assert cells[0].startswith("fewer than 5")  # three voters, all women
    assert cells[2].startswith("50.0%")  # five women and five men came
    assert section.count("<tr>") == 1 + 6  # six quarters


def test_the_quarter_table_is_in_spanish(client, log_in, big_world, create_user, add_member):
    board = create_user("Junta ES", locale="es")
    add_member(board, big_world["federation"], Role.BOARD)
    log_in(client, board)
    page = client.get(f"/o/{big_world['federation'].slug}/health/board").get_data(as_text=True)
    quarter = Quarter.of(to_local(utcnow(), big_world["federation"].time_zone).date())
    assert "Tendencias por trimestre" in page and f"T{quarter.number} {quarter.year}" in page
