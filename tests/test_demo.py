"""The demo federation's helpers: members' ballots that follow their reactions, cast for a demonstration."""

from __future__ import annotations

from sqlalchemy import func, select

from deliberate import demo
from deliberate.ballots import sealing
from deliberate.extensions import db
from deliberate.models import BallotCast, Consultation, Membership, Organization, SealedBallot
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
