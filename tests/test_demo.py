"""The demo federation's helpers: members' ballots that follow their reactions, cast for a demonstration."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from deliberate import demo
from deliberate.ballots import sealing
from deliberate.consolidation.services import active_items, demands_of_item
from deliberate.demo import content as demo_content
from deliberate.demo.assembly import ASSEMBLY_DEMAND
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import BallotCast, Consultation, Membership, Organization, SealedBallot, User
from tests.demo_asks import DEMO_ASKS
from tests.factories import demo_consultation_in_voting


def test_demo_members_who_have_not_voted_cast_ballots_that_follow_their_reactions(app):
    with app.app_context():
        consultation_id = demo_consultation_in_voting()
        members = db.session.scalar(select(func.count(func.distinct(Membership.user_id))).join(
            Organization, Organization.id == Membership.organization_id).where(Organization.kind == "club"))
        cast = demo.cast_demo_ballots(consultation_id)
        assert members * 0.75 <= cast < members  # about one in ten abstains
        assert db.session.scalar(select(func.count(SealedBallot.id))) == cast
        assert db.session.scalar(select(func.count(BallotCast.id))) == cast
        ballots = [sealing.open_sealed(consultation_id, row.sealed) for row in db.session.scalars(select(SealedBallot))]
        assert all(len(ballot.ranking) == 6 and 1 <= len(ballot.approved) <= 6 for ballot in ballots)
        assert len({len(ballot.approved) for ballot in ballots}) > 1  # members support more or fewer items
        assert len({tuple(map(tuple, ballot.ranking)) for ballot in ballots}) > 3  # members differ
        again = demo.cast_demo_ballots(consultation_id, seed=7)  # only those who abstained may vote now
        assert again < members - cast + 1
        voters = db.session.scalar(select(func.count(func.distinct(BallotCast.user_id))))
        assert voters == cast + again == db.session.scalar(select(func.count(SealedBallot.id)))  # nobody voted twice


def test_the_demo_ballots_command_refuses_a_closed_phase_and_other_federations(app, federation_world):
    runner = app.test_cli_runner()
    with app.app_context():
        demo.seed_demo()
        consultation_id = db.session.scalar(
            select(Consultation.id).where(Consultation.title_es == demo.CONSULTATION_TITLE_ES))
    closed = runner.invoke(args=["demo-ballots", str(consultation_id)])
    assert closed.exit_code == 1 and "not open for voting" in closed.output
    missing = runner.invoke(args=["demo-ballots", "999999"])
    assert missing.exit_code == 1 and "demo federation" in missing.output


def test_the_demo_vote_command_opens_the_demo_consultations_vote_once(app):
    runner = app.test_cli_runner()
    opened = runner.invoke(args=["demo-vote"])
    assert opened.exit_code == 0, opened.output
    consultation_id = json.loads(opened.output.strip().splitlines()[-1])["consultation_id"]
    with app.app_context():
        assert db.session.get(Consultation, consultation_id).phase is Phase.VOTING
    again = runner.invoke(args=["demo-vote"])
    assert again.exit_code == 1 and "no longer collecting" in again.output


def test_the_demo_cycle_shows_the_federations_events_and_health(app, client, make_app, log_in):
    import json

    from click.testing import CliRunner
    from flask.cli import ScriptInfo
    from sqlalchemy import select

    from deliberate.agenda.cli import demo_cycle_command
    from deliberate.demo import DEMO_PASSWORD, FEDERATION_SLUG
    from deliberate.domain.events import RsvpStatus
    from deliberate.extensions import db
    from deliberate.models import Event, Mentoring, QuotaRule, Rsvp, VolunteerAssignment

    demo = make_app(SERVER_NAME=None)
    result = CliRunner().invoke(demo_cycle_command, [], obj=ScriptInfo(create_app=lambda: demo))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output.strip().splitlines()[-1])
    assert output["events_url"] == f"http://localhost:5000/o/{FEDERATION_SLUG}/events"
    assert output["health_url"] == f"http://localhost:5000/o/{FEDERATION_SLUG}/health"
    with app.app_context():
        workshop = db.session.scalar(select(Event).where(Event.is_reserved.is_(True)))
        statuses = [rsvp.status for rsvp in db.session.scalars(select(Rsvp).where(Rsvp.event_id == workshop.id))]
        assert statuses.count(RsvpStatus.GOING) == workshop.capacity == workshop.seats_taken
        assert RsvpStatus.WAITING in statuses and RsvpStatus.CANCELLED in statuses
        assert sum(rsvp.attended for rsvp in workshop.rsvps) == workshop.capacity - 2
        (document,) = [material for material in workshop.materials if material.is_document]
        assert document.content_type == "application/pdf" and document.file_name == "hoja-de-trabajo.pdf"
        assert db.session.scalar(select(Mentoring)) is not None
        assert len(db.session.scalars(select(QuotaRule)).all()) == 2
        holders = db.session.scalars(select(VolunteerAssignment).where(VolunteerAssignment.left_at.is_(None))).all()
        assert len(holders) >= 10 and any(a.is_shown for a in holders) and not all(a.is_shown for a in holders)
    events_page = client.get(f"/o/{FEDERATION_SLUG}/events").get_data(as_text=True)
    assert "Women&#39;s leadership workshop" in events_page or "Women's leadership workshop" in events_page
    health_page = client.get(f"/o/{FEDERATION_SLUG}/health").get_data(as_text=True)
    assert "Quota rules over leadership" in health_page and "at least 40% women" in health_page
    assert "Members holding a volunteer role" in health_page
    volunteer_page = client.get(f"/o/{FEDERATION_SLUG}/volunteer").get_data(as_text=True)
    assert "Driver for the December caravan" in volunteer_page and "Event help" in volunteer_page
    with app.app_context():
        # The board took only the engine's confident groups: every item of several demands asks for one thing.
        consultation = db.session.scalar(select(Consultation).where(Consultation.title_en.like("%cycle%")))
        ask = {title: DEMO_ASKS[i] for i, (*_, title, _body) in enumerate(demo_content.DEMANDS)}
        ask[ASSEMBLY_DEMAND] = "doctor_jerez"  # raised at Club Jerez's assembly
        items = active_items(consultation)
        joined = [demands_of_item(item) for item in items if len(demands_of_item(item)) > 1]
        assert joined and all(len({ask[d.title] for d in demands}) == 1 for demands in joined)
        assert sum(len(demands_of_item(item)) for item in items) == len(demo_content.DEMANDS) + 1  # + the assembly's
        board_email = db.session.scalar(
            select(User.email).join(Membership, Membership.user_id == User.id).join(
                Organization, Organization.id == Membership.organization_id)
            .where(Organization.slug == FEDERATION_SLUG, Membership.role == "board").order_by(Membership.id))
    assert client.post("/account/login", data={"email": board_email, "password": DEMO_PASSWORD}
                       ).status_code == 302
    client.post("/account/language", data={"locale": "en"})
    dashboard = client.get(f"/o/{FEDERATION_SLUG}/health/board").get_data(as_text=True)
    assert "2 projects designed by women, for women." in dashboard
    assert "members hold a volunteer role." in dashboard
    volunteers = dashboard[dashboard.index('<th scope="row">Volunteers</th>'):].split("</tr>")[0]
    assert "%" in volunteers and "of 15 people" in volunteers  # eight women and seven men volunteer


def test_seed_demo_adds_synthetic_members_spread_over_the_demo_clubs_each_run_adding_more(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--members", "30"])
    assert result.exit_code == 0, result.output
    assert "Added 30 synthetic members (30 in all" in result.output
    assert runner.invoke(args=["seed-demo", "--members", "10"]).exit_code == 0
    with app.app_context():
        federation = db.session.scalar(select(Organization).where(Organization.slug == demo.FEDERATION_SLUG))
        synthetic = (select(Membership.organization_id, func.count(Membership.id))
                     .join(User, User.id == Membership.user_id).where(User.email.like("member-%"))
                     .group_by(Membership.organization_id))
        per_club = dict(db.session.execute(synthetic).all())
        assert sum(per_club.values()) == 40
        assert set(per_club) == {club.id for club in federation.clubs()}
        assert max(per_club.values()) - min(per_club.values()) <= 1
