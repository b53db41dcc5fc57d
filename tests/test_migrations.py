"""Migrations build the schema from nothing, and the models do not drift from them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from deliberate.extensions import db, migrations


def test_upgrade_on_an_empty_database_matches_the_models(app):
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        migrations(app)
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def test_the_upgrade_seals_ballots_still_voting_and_boxes_counted_ones(app, create_user, create_organization,
                                                                        add_member):
    from flask_migrate import downgrade
    from sqlalchemy import select, text

    from deliberate.ballots import sealing
    from deliberate.domain.gender import Gender
    from deliberate.domain.phases import Phase
    from deliberate.models import AgendaItem, Ballot, BallotBox, BallotCast, Consultation, SealedBallot

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        migrations(app)
        upgrade()
    federation = create_organization("Federación")
    clubs = [create_organization(f"Club {n}", kind="club", parent=federation) for n in range(2)]
    voters = []
    for number in range(7):  # made with today's models, before going back to 0003's ballots
        user = create_user(f"Voter {number}", gender=Gender.WOMAN if number % 2 else Gender.MAN)
        add_member(user, clubs[0] if number < 6 else clubs[1])
        voters.append(user)
    with app.app_context():
        downgrade(revision="0003")
        ids = {}
        for phase in (Phase.VOTING, Phase.TALLIED):
            consultation = Consultation(federation_id=federation.id, title_es="C", title_en="C", phase=phase)
            db.session.add(consultation)
            db.session.flush()
            items = [AgendaItem(consultation_id=consultation.id, title_es=t, title_en=t) for t in "AB"]
            db.session.add_all(items)
            db.session.commit()
            ids[phase] = (consultation.id, [item.id for item in items])
            for number, user in enumerate(voters):
                club = clubs[0] if number < 6 else clubs[1]
                with db.engine.begin() as connection:
                    connection.execute(text(
                        "INSERT INTO ballot (id, consultation_id, club_id, ranking, approved, receipt_hash, cast_on,"
                        " gender) VALUES (:id, :c, :club, :ranking, :approved, :receipt, '2026-11-30', :gender)"),
                        {"id": f"{phase.value[:4]}{number:028d}", "c": consultation.id, "club": club.id,
                         "ranking": f"[[{items[number % 2].id}]]", "approved": f"[{items[0].id}]",
                         "receipt": f"{phase.value[:4]}{number:060d}", "gender": "woman" if number % 2 else "man"})
                    connection.execute(text("INSERT INTO ballot_cast (consultation_id, user_id, cast_on) "
                                            "VALUES (:c, :u, '2026-11-30')"), {"c": consultation.id, "u": user.id})
        migrations(app)
        upgrade()
        voting_id, voting_items = ids[Phase.VOTING]
        sealed = [sealing.open_sealed(voting_id, row.sealed) for row in db.session.scalars(
            select(SealedBallot).where(SealedBallot.consultation_id == voting_id))]
        assert len(sealed) == 7 and {content.club for content in sealed} == {clubs[0].slug, clubs[1].slug}
        assert db.session.scalars(select(Ballot).where(Ballot.consultation_id == voting_id)).all() == []
        tallied_id, _ = ids[Phase.TALLIED]
        box = db.session.get(BallotBox, tallied_id)
        pooled = f"{clubs[0].slug}+{clubs[1].slug}"  # the one-voter club joins the other
        assert set(box.clubs) == {pooled} and box.turnout == {"woman": 3, "man": 4, "other": 0}
        groups = {ballot.group for ballot in db.session.scalars(select(Ballot).where(
            Ballot.consultation_id == tallied_id))}
        assert groups == {pooled}
        assert db.session.scalar(select(BallotCast.receipt_check)) is None
