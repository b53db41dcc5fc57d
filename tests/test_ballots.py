"""Voting in the app: the secret ballot, replacing with the receipt, the official count and the results page."""

from __future__ import annotations

import re
import threading

import orjson
import pytest
from sqlalchemy import event, func, inspect, select

from deliberate.ballots import sealing, services
from deliberate.ballots.tallyfile import parse_tally
from deliberate.consolidation.services import active_items
from deliberate.consultations.services import advance_phase
from deliberate.domain import privacy
from deliberate.domain.count import Count, tally_input
from deliberate.domain.errors import Conflict, PhaseClosed, ValidationFailed
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.domain.rules import ClubWeighting
from deliberate.extensions import db
from deliberate.models import AgendaItem, Ballot, BallotCast, Consultation, OrganizationKind, SealedBallot, Tally, User
from deliberate.models.agenda import DemandPlacement
from deliberate.models.base import utcnow
from tests.factories import agenda_items


@pytest.fixture
def voting(app, federation_world):
    """A consultation of the demo federation in voting, with three agenda items (A, B, C)."""
    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Consulta",
                                    title_en="Consultation", phase=Phase.VOTING)
        db.session.add(consultation)
        db.session.flush()
        items = agenda_items(consultation.id, [f"Punto {n}" for n in "ABC"], [f"Item {n}" for n in "ABC"])
        db.session.commit()
        return {**federation_world, "consultation_id": consultation.id, "items": [item.id for item in items]}


def _form(items, ranks, supported=(), **extra):
    data = {f"rank_{i}": str(r) if r else "" for i, r in zip(items, ranks, strict=True)}
    data.update({f"support_{i}": "1" for i in supported})
    data.update(extra)
    return data


def _cast(client, world, ranks, supported=(), **extra):
    return client.post(f"/consultations/{world['consultation_id']}/ballot/cast",
                       data=_form(world["items"], ranks, supported, **extra))


def _sealed(app, world) -> list[sealing.Content]:
    """Open the consultation's sealed ballots with the app's key, as the count does."""
    with app.app_context():
        return [sealing.open_sealed(world["consultation_id"], row.sealed) for row in db.session.scalars(
            select(SealedBallot).where(SealedBallot.consultation_id == world["consultation_id"]))]


def _advance(app, world, target=Phase.TALLIED):
    with app.app_context():
        consultation = db.session.get(Consultation, world["consultation_id"])
        board = db.session.get(User, world["board"].id)
        advance_phase(consultation, board, consultation.phase, target)


# --- who may vote -------------------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, voting):
    response = client.get(f"/consultations/{voting['consultation_id']}/ballot")
    assert response.status_code == 302 and "/account/login" in response.location


@pytest.mark.parametrize("person", ["outsider", "stranger", "admin"])
def test_people_without_a_club_in_the_federation_cannot_vote(client, voting, log_in, person):
    log_in(client, voting[person])
    assert client.get(f"/consultations/{voting['consultation_id']}/ballot").status_code == 403
    assert _cast(client, voting, [1, 2, 3]).status_code == 403


@pytest.mark.parametrize("person", ["member", "officer", "board", "other_club_member"])
def test_club_members_of_every_role_see_the_ranking_form(client, voting, log_in, person):
    log_in(client, voting[person])
    page = client.get(f"/consultations/{voting['consultation_id']}/ballot").get_data(as_text=True)
    assert "Item A" in page and "Item C" in page and 'name="rank_' in page and "not ranked" in page
    assert "js/ranking.js" in page


def test_an_item_without_a_visible_demand_is_not_on_the_ballot(app, client, voting, log_in):
    """An item left empty by a move, or holding only hidden or withdrawn demands, is not a candidate."""
    with app.app_context():
        consultation_id = voting["consultation_id"]
        empty, hidden, withdrawn = (item.id for item in agenda_items(consultation_id, ["Vacío", "Oculto", "Retirado"]))
        placements = db.session.scalars(select(DemandPlacement).where(
            DemandPlacement.agenda_item_id.in_([empty, hidden, withdrawn]))).all()
        for placement in placements:
            if placement.agenda_item_id == empty:
                placement.agenda_item_id = voting["items"][0]  # moved onto item A: "Vacío" is left empty
            elif placement.agenda_item_id == hidden:
                placement.demand.hidden_at = utcnow()
            else:
                placement.demand.is_withdrawn = True
        db.session.commit()
        consultation = db.session.get(Consultation, consultation_id)
        assert [item.id for item in active_items(consultation)] == voting["items"]
    log_in(client, voting["member"])
    page = client.get(f"/consultations/{consultation_id}/ballot").get_data(as_text=True)
    assert all(f"Item {n}" in page for n in "ABC")
    assert not any(title in page for title in ("Vacío", "Oculto", "Retirado"))
    with app.app_context(), pytest.raises(ValidationFailed):
        services.cast_ballot(db.session.get(Consultation, consultation_id), db.session.get(User, voting["member"].id),
                             [[empty], [voting["items"][0]]], [])


def test_item_summaries_on_the_ballot_are_rendered_markdown_without_hostile_html(app, client, voting, log_in):
    with app.app_context():
        item = db.session.get(AgendaItem, voting["items"][0])
        item.summary_en = "- Paved road\n- <script>alert(1)</script>Clinic"
        db.session.commit()
    log_in(client, voting["member"])
    page = client.get(f"/consultations/{voting['consultation_id']}/ballot").get_data(as_text=True)
    assert "<li>Paved road</li>" in page and "Clinic" in page
    assert "<script>alert" not in page


def test_a_long_ballot_folds_each_summary_under_its_title_and_a_short_one_shows_them(
        app, client, voting, log_in, monkeypatch):
    with app.app_context():
        for item_id in voting["items"]:
            db.session.get(AgendaItem, item_id).summary_en = "- Paved road\n- Clinic"
        db.session.commit()
    log_in(client, voting["member"])
    url = f"/consultations/{voting['consultation_id']}/ballot"
    page = client.get(url).get_data(as_text=True)
    assert page.count('<div class="ballot-item-summary prose">') == 3 and "ballot-item-more" not in page
    monkeypatch.setattr(services, "BALLOT_SUMMARIES_OPEN_UP_TO", 2)
    page = client.get(url).get_data(as_text=True)
    assert page.count('<details class="ballot-item-more">') == 3 and "<li>Paved road</li>" in page
    assert "What this item gathers<span class=\"visually-hidden\">: Item A</span>" in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    with app.app_context():
        db.session.get(User, voting["member"].id).locale = "es"
        db.session.commit()
    assert "Qué reúne este punto" in client.get(url).get_data(as_text=True)


def test_voting_is_refused_outside_the_voting_phase(app, client, voting, log_in):
    with app.app_context():
        db.session.get(Consultation, voting["consultation_id"]).phase = Phase.DELIBERATING
        db.session.commit()
    log_in(client, voting["member"])
    response = client.get(f"/consultations/{voting['consultation_id']}/ballot")
    assert response.status_code == 302
    assert _cast(client, voting, [1, 2, 3]).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Ballot)) is None
        consultation = db.session.get(Consultation, voting["consultation_id"])
        with pytest.raises(PhaseClosed):
            services.cast_ballot(consultation, db.session.get(User, voting["member"].id), [[voting["items"][0]]], [])


# --- the plain form, review and cast ------------------------------------------------------------------------------

def test_review_shows_ties_and_unranked_items_before_casting(app, client, voting, log_in):
    log_in(client, voting["member"])
    a, b, c = voting["items"]
    response = client.post(f"/consultations/{voting['consultation_id']}/ballot/review",
                           data=_form(voting["items"], [1, 1, None], [a]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "tie" in page and "Not ranked" in page and "Cast my ballot" in page
    assert f'name="rank_{c}" value=""' in page and f'name="support_{a}"' in page
    assert 'id="cast-form"' in page and "js/ranking.js" in page  # the script guards against a double cast
    with app.app_context():
        assert db.session.scalar(select(Ballot)) is None  # nothing is saved before casting


def test_an_empty_ranking_is_refused_with_a_clear_message_and_the_choices_kept(client, voting, log_in):
    log_in(client, voting["member"])
    a = voting["items"][0]
    response = client.post(f"/consultations/{voting['consultation_id']}/ballot/review",
                           data=_form(voting["items"], [None, None, None], [a]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at least one item" in page and f'name="support_{a}" value="1" class="support-box" checked' in page
    bad = client.post(f"/consultations/{voting['consultation_id']}/ballot/review",
                      data=_form(voting["items"], [1, 9, None]))
    assert bad.status_code == 422 and "not valid" in bad.get_data(as_text=True)


def test_casting_stores_an_anonymous_ballot_and_shows_the_receipt_once(app, client, voting, log_in):
    log_in(client, voting["member"])
    a, b, c = voting["items"]
    response = _cast(client, voting, [2, 1, None], [b])
    assert response.status_code == 302 and response.location.endswith("/ballot/receipt")
    page = client.get(response.location).get_data(as_text=True)
    code = page.split('id="receipt-code"><code>')[1].split("<")[0]
    assert len(code) == 24
    assert code not in client.get(response.location).get_data(as_text=True)  # shown only once
    [ballot] = _sealed(app, voting)
    assert ballot.ranking == [[b], [a]] and ballot.approved == [b] and ballot.club == voting["club"].slug
    assert ballot.receipt_hash == services.hash_receipt(code)
    with app.app_context():
        assert db.session.scalar(select(Ballot)) is None  # nothing is in the clear while voting is open
        stored = db.session.scalar(select(SealedBallot))
        assert code.encode() not in stored.sealed and services.hash_receipt(code) != stored.receipt_tag
        assert db.session.scalar(select(BallotCast)).user_id == voting["member"].id


def test_no_column_links_a_ballot_to_a_person_a_club_a_gender_or_a_moment(app):
    with app.app_context():
        inspector = inspect(db.engine)
        columns = {table: {column["name"] for column in inspector.get_columns(table)}
                   for table in ("ballot", "sealed_ballot", "ballot_cast")}
        foreign = {table: {key["referred_table"] for key in inspector.get_foreign_keys(table)}
                   for table in ("ballot", "sealed_ballot")}
    # a ballot's channel ("paper"/"online") is set only where its group's split may be shown; who voted on paper at
    # which assembly is on the roll (ballot_cast), never on a ballot; paper entries live apart until they agree
    assert columns["ballot"] == {"id", "consultation_id", "group", "ranking", "approved", "receipt_hash", "channel"}
    assert columns["sealed_ballot"] == {"id", "consultation_id", "receipt_tag", "sealed"}
    assert columns["ballot_cast"] == {"id", "consultation_id", "user_id", "receipt_check", "assembly_id"}
    assert foreign == {"ballot": {"consultation"}, "sealed_ballot": {"consultation"}}


def test_a_sealed_ballot_does_not_open_with_another_key_nor_in_another_consultation(app, voting):
    a, b, c = voting["items"]
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        services.cast_ballot(consultation, db.session.get(User, voting["member"].id), [[a], [b]], [a])
        sealed = db.session.scalar(select(SealedBallot)).sealed
        with pytest.raises(sealing.SealBroken):
            sealing.open_sealed(consultation.id + 1, sealed)
        with pytest.raises(sealing.SealBroken):
            sealing.open_sealed(consultation.id, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    app.config["SECRET_KEY"] = "another-key"
    with app.app_context(), pytest.raises(sealing.SealBroken):
        sealing.open_sealed(voting["consultation_id"], sealed)


def test_every_sealed_ballot_of_a_consultation_has_the_same_length(app, voting, create_user, add_member):
    a, b, c = voting["items"]
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        services.cast_ballot(consultation, db.session.get(User, voting["member"].id), [[a]], [])
        services.cast_ballot(consultation, db.session.get(User, voting["officer"].id), [[c], [b], [a]], [a, b, c])
        lengths = {len(row.sealed) for row in db.session.scalars(select(SealedBallot))}
    assert len(lengths) == 1


def test_a_second_cast_without_the_receipt_is_refused(app, client, voting, log_in):
    log_in(client, voting["member"])
    _cast(client, voting, [1, 2, 3])
    again = _cast(client, voting, [3, 2, 1])
    assert again.status_code == 409 and "receipt code" in again.get_data(as_text=True)
    assert len(_sealed(app, voting)) == 1


def test_a_double_submit_keeps_the_first_ballot_and_leaves_nothing_of_the_second(app, client, voting, log_in):
    log_in(client, voting["member"])
    a, b, c = voting["items"]
    assert _cast(client, voting, [1, 2, None], [a]).status_code == 302
    with app.app_context():
        first = db.session.scalar(select(SealedBallot))
        first = (first.id, first.receipt_tag, first.sealed)
    again = _cast(client, voting, [1, 2, None], [a])  # the same form, sent twice by an impatient thumb
    assert again.status_code == 409 and "already voted" in again.get_data(as_text=True)
    assert f'name="rank_{a}"' in again.get_data(as_text=True)  # the review page, with the ranking kept
    assert ">Notifications<" in again.get_data(as_text=True)  # a form sent back: the menu, without counting
    assert "Notifications (0)" in client.get(f"/consultations/{voting['consultation_id']}").get_data(as_text=True)
    with app.app_context():
        assert [(row.id, row.receipt_tag, row.sealed) for row in db.session.scalars(select(SealedBallot))] == [first]
        assert db.session.scalar(select(func.count(BallotCast.id))) == 1
    [ballot] = _sealed(app, voting)
    assert (ballot.ranking, ballot.approved) == ([[a], [b]], [a])


def test_a_cast_reads_each_thing_once_and_nothing_after_its_commit(app, client, voting, log_in):
    """The cast's transaction: who is logged in, the consultation, the member's club, the ballot's items, the two
    rows written and the phase held until the commit; nothing is read again after it (nor the menu's count)."""
    log_in(client, voting["member"])
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = _cast(client, voting, [1, 2, 3])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 302
    touched = [re.match(r'(SELECT .*? FROM|INSERT INTO) "?(\w+)', statement)[2] for statement in statements]
    assert touched == ["user", "consultation", "membership", "agenda_item", "sealed_ballot", "ballot_cast"], statements
    # the cast is written from the consultation's row while it is voting, held until the commit
    assert "FROM consultation WHERE consultation.id = " in statements[-1] and "consultation.phase = " in statements[-1]


def test_a_cast_that_reaches_the_roll_after_voting_closed_leaves_nothing(app, voting, monkeypatch):
    """The vote closes (and the ballots are mixed) while a cast is being sealed: the cast finds voting closed."""
    real = sealing.seal

    def close_meanwhile(*args):
        with app.test_request_context():  # the board's request, with a session of its own
            db.session.remove()
            _advance(app, voting)
            db.session.remove()
        return real(*args)

    monkeypatch.setattr(sealing, "seal", close_meanwhile)
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        with pytest.raises(PhaseClosed) as refused:
            services.cast_ballot(consultation, db.session.get(User, voting["member"].id), [[voting["items"][0]]], [])
        assert refused.value.phase is Phase.TALLIED
        assert db.session.scalar(select(func.count(SealedBallot.id))) == 0
        assert db.session.scalar(select(func.count(BallotCast.id))) == 0


def test_the_receipt_code_replaces_the_ballot_until_voting_closes(app, client, voting, log_in):
    log_in(client, voting["member"])
    a, b, c = voting["items"]
    page = client.get(_cast(client, voting, [1, 2, 3]).location).get_data(as_text=True)
    code = page.split('id="receipt-code"><code>')[1].split("<")[0]
    wrong = _cast(client, voting, [3, 2, 1], receipt="AAAA-BBBB-CCCC-DDDD-EEEE")
    assert wrong.status_code == 409 and "does not match" in wrong.get_data(as_text=True)
    replaced = _cast(client, voting, [3, 2, 1], [c], receipt=code.lower().replace("-", " "))
    assert replaced.status_code == 302
    [ballot] = _sealed(app, voting)
    assert ballot.ranking == [[c], [b], [a]] and ballot.approved == [c]
    assert ballot.receipt_hash == services.hash_receipt(code) and ballot.club == voting["club"].slug
    with app.app_context():
        assert len(db.session.scalars(select(BallotCast)).all()) == 1
    _advance(app, voting)
    assert _cast(client, voting, [1, 2, 3], receipt=code).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Ballot)).ranking == [[c], [b], [a]]
        assert db.session.scalar(select(SealedBallot)) is None
        assert db.session.scalar(select(BallotCast.receipt_check)) is None  # erased by the mix


def test_another_members_receipt_cannot_be_used_to_vote_twice(app, client, voting, log_in, make_app):
    log_in(client, voting["member"])
    code = client.get(_cast(client, voting, [1, 2, 3]).location).get_data(as_text=True).split(
        'id="receipt-code"><code>')[1].split("<")[0]
    other = client.application.test_client()
    log_in(other, voting["officer"])
    response = other.post(f"/consultations/{voting['consultation_id']}/ballot/cast",
                          data=_form(voting["items"], [3, 2, 1], receipt=code))
    assert response.status_code == 409
    assert len(_sealed(app, voting)) == 1


@pytest.mark.parametrize("has_voted", [True, False])
def test_someone_elses_receipt_is_refused_like_a_made_up_one_and_the_ballot_stays(
        app, client, voting, log_in, has_voted):
    a, b, c = voting["items"]
    log_in(client, voting["member"])
    code = client.get(_cast(client, voting, [1, 2, 3], [a]).location).get_data(as_text=True).split(
        'id="receipt-code"><code>')[1].split("<")[0]
    other = client.application.test_client()
    log_in(other, voting["other_club_member"])
    if has_voted:
        assert _cast(other, voting, [2, 1, 3]).status_code == 302
    stolen = _cast(other, voting, [3, 2, 1], [c], receipt=code)
    made_up = _cast(other, voting, [3, 2, 1], [c], receipt="AAAA-BBBB-CCCC-DDDD-EEEE")
    assert stolen.status_code == made_up.status_code == 409
    message = "This receipt code does not match your ballot"
    assert message in stolen.get_data(as_text=True) and message in made_up.get_data(as_text=True)
    victim = next(ballot for ballot in _sealed(app, voting) if ballot.receipt_hash == services.hash_receipt(code))
    assert victim.ranking == [[a], [b], [c]] and victim.approved == [a] and victim.club == voting["club"].slug


def test_two_casts_at_the_same_moment_leave_exactly_one_ballot(app, voting, monkeypatch):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    # both requests passed the "already voted?" check before either inserted: only the unique constraint decides
    monkeypatch.setattr(services, "has_cast", lambda *_args: False)

    def cast() -> None:
        with app.app_context():
            consultation = db.session.get(Consultation, voting["consultation_id"])
            member = db.session.get(User, voting["member"].id)
            barrier.wait(timeout=10)
            try:
                outcomes.append(services.cast_ballot(consultation, member, [[voting["items"][0]]], []) and "cast")
            except Conflict as error:
                outcomes.append(error.reason)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already_cast", "cast"]
    assert len(_sealed(app, voting)) == 1
    with app.app_context():
        assert len(db.session.scalars(select(BallotCast)).all()) == 1


# --- the count and the results ------------------------------------------------------------------------------------

def _voters(voting, create_user, add_member, club: str, people: list[str], extra: int) -> list[int]:
    """Return the ids of these people of the world and of ``extra`` new members of the club."""
    ids = [voting[person].id for person in people]
    for number in range(extra):
        user = create_user(f"Extra voter {club} {number}")
        add_member(user, voting[club])
        ids.append(user.id)
    return ids


def _cast_all(app, voting, ballots: list[tuple[int, list, list]]) -> None:
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        for user_id, ranking, approved in ballots:
            services.cast_ballot(consultation, db.session.get(User, user_id), ranking, approved)


def _small_profile(app, voting, create_user, add_member):
    """Eleven ballots in two clubs: Jerez (6 voters) prefers A, Tlaltenango (5) prefers C."""
    a, b, c = voting["items"]
    jerez = _voters(voting, create_user, add_member, "club", ["member", "officer"], 4)
    tlalte = _voters(voting, create_user, add_member, "other_club", ["board", "other_club_member"], 3)
    jerez_ballots = [([[a], [b], [c]], [a]), ([[a], [c], [b]], [a, c]), ([[b, c], [a]], [b])] * 2
    tlalte_ballots = [([[c], [b], [a]], [c])] * 3 + [([[c], [a]], [c])] * 2
    _cast_all(app, voting, [(user, *ballot) for user, ballot in zip(jerez + tlalte, jerez_ballots + tlalte_ballots,
                                                                     strict=True)])


def test_closing_the_vote_stores_the_official_count_with_the_hash_of_its_inputs(
        app, voting, create_user, add_member):
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        tally = db.session.scalar(select(Tally))
        document = services.official_tally_input(consultation)
        assert tally.is_official and tally.method == "schulze" and tally.weighting == "members"
        assert tally.inputs_hash == services.inputs_hash(document) and len(tally.inputs_hash) == 64
        assert len(document["ballots"]) == 11 and set(document["clubs"]) == {voting["club"].slug,
                                                                               voting["other_club"].slug}
        assert document["clubs"][voting["club"].slug] == {"members": 6}
        assert "receipt" not in orjson.dumps(document).decode() and "user" not in orjson.dumps(document).decode()
        expected = tally_input(parse_tally(orjson.dumps(document)), seats=3).to_dict()
        assert tally.result["ranking"] == expected["ranking"]
        assert tally.result["clubs"] == expected["clubs"]
        assert tally.result["double_majority"] == expected["double_majority"]


def test_the_tally_command_recounts_the_boards_double_majority_thresholds(
        app, voting, create_user, add_member, tmp_path):
    from click.testing import CliRunner

    from deliberate.ballots.cli import tally_command

    a = str(voting["items"][0])
    _small_profile(app, voting, create_user, add_member)
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        consultation.voters_threshold, consultation.clubs_threshold = 0.35, 0.45
        db.session.commit()
    _advance(app, voting)
    with app.app_context():
        official = db.session.scalar(select(Tally)).result
        path = tmp_path / "ballots.json"
        path.write_bytes(orjson.dumps(services.official_tally_input(
            db.session.get(Consultation, voting["consultation_id"])), option=orjson.OPT_SORT_KEYS))
    # A is approved by 4 of 11 voters and by the majority of one club in two: it passes only under these thresholds.
    assert official["double_majority"][a]["passes"] is True
    result = CliRunner().invoke(tally_command, [str(path), "--voters-threshold", "35%", "--clubs-threshold", "0.45"])
    assert result.exit_code == 0, result.output
    recount = orjson.loads(result.output)
    assert recount["double_majority"] == official["double_majority"]
    assert recount["double_majority_rule"] == official["double_majority_rule"] == {
        "voters_threshold": 0.35, "clubs_threshold": 0.45, "min_blocking": 0}


def test_results_show_the_known_profile_correctly(app, client, voting, create_user, add_member, log_in):
    a, b, c = (str(i) for i in voting["items"])
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    with app.app_context():
        result = db.session.scalar(select(Tally)).result
    # C beats A 7-4 and B 7-2, A beats B 6-5 (pooled, one voter one vote)
    assert result["ranking"] == [[c], [a], [b]]
    assert result["clubs"][voting["club"].slug]["voters"] == 6
    assert result["double_majority"][a]["voter_share"] == pytest.approx(4 / 11)
    log_in(client, voting["member"])
    page = client.get(f"/consultations/{voting['consultation_id']}/results").get_data(as_text=True)
    assert "Federation ranking" in page and "Item A" in page and "Pairwise matrix" in page
    assert "Club Jerez" in page and "Double majority" in page and "▲" in page
    assert "Member M" not in page and "Officer O" not in page  # nobody's vote is shown


def test_results_are_for_members_until_published_then_public(app, client, voting, create_user, add_member,
                                                             log_in):
    _small_profile(app, voting, create_user, add_member)
    url = f"/consultations/{voting['consultation_id']}/results"
    log_in(client, voting["member"])
    early = client.get(url)
    assert early.status_code == 409 and "once voting has closed" in early.get_data(as_text=True)  # not counted yet
    _advance(app, voting)
    assert client.get(url).status_code == 200
    stranger = client.application.test_client()
    assert stranger.get(url).status_code == 403
    log_in(stranger, voting["outsider"])
    assert stranger.get(url).status_code == 403
    _advance(app, voting, Phase.PUBLISHED)
    assert client.application.test_client().get(url).status_code == 200


def test_what_if_weightings_are_for_the_board_only_and_marked_not_official(
        app, client, voting, create_user, add_member, log_in):
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    url = f"/consultations/{voting['consultation_id']}/results?what_if=1"
    log_in(client, voting["member"])
    assert "Not the official rule" not in client.get(url).get_data(as_text=True)
    board = client.application.test_client()
    log_in(board, voting["board"])
    page = board.get(url).get_data(as_text=True)
    assert "Not the official rule" in page and "one club, one vote" in page
    with app.app_context():
        assert len(db.session.scalars(select(Tally)).all()) == 1  # nothing stored


def test_what_if_rankings_are_folded_under_what_they_change(
        app, client, voting, create_user, add_member, log_in, monkeypatch):
    a, b, c = voting["items"]
    jerez = _voters(voting, create_user, add_member, "club", ["member", "officer"], 4)
    tlaltenango = _voters(voting, create_user, add_member, "other_club", ["board", "other_club_member"], 3)
    _cast_all(app, voting, [(person, [[a], [b], [c]], [a]) for person in jerez]
              + [(person, [[c], [b], [a]], [c]) for person in tlaltenango])
    _advance(app, voting)
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        official = Count.from_dict(db.session.scalar(select(Tally)).result)
        cases = services.what_if_cases(consultation, official)
    # Jerez's six voters outnumber Tlaltenango's five; counted one club, one vote, the two clubs tie for first.
    assert official.ranking == ((str(a),), (str(b),), (str(c),))
    assert cases["equal"]["new_first"] and cases["equal"]["moved"] == {c: 3, b: 2} and cases["equal"]["is_open"]
    unchanged = [w for w, case in cases.items() if not case["moved"]]
    assert unchanged and all(not cases[w]["new_first"] for w in unchanged)
    log_in(client, voting["board"])
    url = f"/consultations/{voting['consultation_id']}/results?what_if=1"
    page = client.get(url).get_data(as_text=True)
    assert page.count('<details class="what-if-ranking') == 3
    assert page.count("Same ranking as the official count") == len(unchanged)
    equal = page[page.index('id="what-if-equal-ranking"'):]
    equal = equal[:equal.index("</details>")]
    moved = len(cases["equal"]["moved"])
    assert f"{moved} item{'s' if moved > 1 else ''} change" in equal and "including the first place" in equal
    assert "official place: 3" in equal and "official place: 1" not in equal  # C moves up, A stays first
    # Three items are few: every ranking is unfolded. Past the limit only the one with another first place is.
    assert page.count(" open>") == 3
    monkeypatch.setattr(services, "WHAT_IF_UNFOLDED_UP_TO", 2)
    page = client.get(url).get_data(as_text=True)
    assert page.count(" open>") == 1 and 'id="what-if-equal-ranking" open>' in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    with app.app_context():
        db.session.get(User, voting["board"].id).locale = "es"
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "cambian de lugar" in page and "incluido el primer lugar" in page and "lugar oficial: 3" in page


def test_the_double_majority_table_is_a_table_that_folds_into_cards_on_a_phone(
        app, client, voting, create_user, add_member, log_in):
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    log_in(client, voting["member"])
    page = client.get(f"/consultations/{voting['consultation_id']}/results").get_data(as_text=True)
    start = page.index('<table class="data double-majority">')
    table = page[start:page.index("</table>", start)]
    assert page[:start].rstrip().endswith("</p>")  # no sideways-scrolling box around it any more
    assert "<caption>" in table and table.count('<th scope="col">') == 4 and table.count('<th scope="row">') == 3
    assert table.count('data-label="Voters"') == 3 and table.count('data-label="Clubs"') == 3
    assert table.count('data-label="Double majority"') == 3
    css = (client.application.static_folder + "/css/style.css")
    with open(css, encoding="utf-8") as stylesheet:
        rules = stylesheet.read()
    assert "table.double-majority td::before { content: attr(data-label)" in rules


def test_the_clubs_and_gender_tables_fold_into_cards_and_each_landmark_has_its_own_name(
        app, client, voting, create_user, add_member, log_in, monkeypatch):
    monkeypatch.setattr(privacy, "MIN_GROUP", 1)  # five ballots: show the gender table all the same
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    log_in(client, voting["board"])
    page = client.get(f"/consultations/{voting['consultation_id']}/results").get_data(as_text=True)
    tables = re.findall(r'<table class="data cards">(.*?)</table>', page, re.S)
    assert len(tables) == 2  # the clubs, and turnout by gender
    for table in tables:
        cells = re.findall(r"<td[^>]*>", table)
        assert cells and all("data-label=" in cell for cell in cells)
    assert 'data-label="Share of the weight"' in tables[0] and 'data-label="Turnout"' in tables[1]
    # A scrolling region is named by its table's caption, not by its section's heading (two landmarks, one name).
    labels = re.findall(r'<(?:section|div)[^>]*aria-labelledby="([^"]+)"', page)
    assert len(labels) == len(set(labels))
    for label in labels:
        assert f'id="{label}"' in page
    with open(client.application.static_folder + "/css/style.css", encoding="utf-8") as stylesheet:
        assert "table.cards td::before { content: attr(data-label)" in stylesheet.read()


def test_receipts_page_lists_hashes_and_checks_a_code_without_revealing_votes(app, client, voting, log_in):
    log_in(client, voting["member"])
    code = client.get(_cast(client, voting, [1, 2, 3]).location).get_data(as_text=True).split(
        'id="receipt-code"><code>')[1].split("<")[0]
    url = f"/consultations/{voting['consultation_id']}/receipts"
    assert client.get(url).status_code == 409  # published only after the count, and the page says so
    _advance(app, voting)
    page = client.get(url).get_data(as_text=True)
    assert services.hash_receipt(code) in page and code not in page and "Member M" not in page
    assert "Item A" not in page  # the list shows no ballot content
    assert "was counted" in client.post(url, data={"code": code}).get_data(as_text=True)
    assert "No counted ballot" in client.post(url, data={"code": "ZZZZ"}).get_data(as_text=True)


def test_turnout_by_gender_is_hidden_when_a_group_has_fewer_than_five(app, voting, create_user, add_member):
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        assert services.turnout_by_gender(consultation) is None
    voters = []
    for gender in [Gender.WOMAN] * 5 + [Gender.MAN] * 5:
        person = create_user(gender=gender)
        add_member(person, voting["club"])
        voters.append(person)
    with app.app_context():
        # the federation_world people (3 without a woman/man gender, one of them voting) form a group under 5
        for person in voters:
            consultation = db.session.get(Consultation, voting["consultation_id"])
            services.cast_ballot(consultation, db.session.get(User, person.id), [[voting["items"][0]]], [])
        assert services.turnout_by_gender(consultation) is None
        for user in db.session.scalars(select(User).where(User.gender.is_(None))):
            user.gender = Gender.MAN
        db.session.commit()
        groups = {g.group: (g.members, g.voters) for g in services.turnout_by_gender(consultation)}
    assert groups == {"woman": (7, 5), "man": (7, 5)}


def test_bloc_and_capped_rules_are_counted_and_what_if_needs_no_cap(app, voting, create_user, add_member):
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        consultation.club_weighting = ClubWeighting.EQUAL
        db.session.commit()
        others = services.what_if(consultation)
    assert set(others) == {"members", "sqrt", "capped"}


def test_spanish_pages_for_ballot_and_results(app, client, voting, create_user, add_member, log_in):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    with app.app_context():
        db.session.get(User, voting["member"].id).locale = "es"
        db.session.commit()
    log_in(client, voting["member"])
    page = client.get(f"/consultations/{voting['consultation_id']}/ballot").get_data(as_text=True)
    assert "Tu boleta" in page and "Punto A" in page and "sin posición" in page
    _small_profile(app, voting, create_user, add_member)
    _advance(app, voting)
    page = client.get(f"/consultations/{voting['consultation_id']}/results").get_data(as_text=True)
    assert "Resultados" in page and "Doble mayoría" in page


def test_a_club_outside_the_federation_never_enters_the_count(app, voting, create_organization):
    create_organization("Club suelto", kind=OrganizationKind.CLUB)
    _advance(app, voting)
    with app.app_context():
        document = services.official_tally_input(db.session.get(Consultation, voting["consultation_id"]))
    assert set(document["clubs"]) == {voting["club"].slug, voting["other_club"].slug}


def test_closing_the_vote_with_another_ballot_key_counts_nothing_and_voting_stays_open(
        app, client, voting, log_in):
    log_in(client, voting["member"])
    _cast(client, voting, [1, 2, 3])
    app.config["BALLOT_KEY"] = "a key the ballots were not sealed with"
    board = client.application.test_client()
    log_in(board, voting["board"])
    url = f"/consultations/{voting['consultation_id']}/advance"
    response = board.post(url, data={"expected": "voting", "target": "tallied", "confirm": "y"}, follow_redirects=True)
    assert "cannot be opened" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Consultation, voting["consultation_id"]).phase is Phase.VOTING
        assert db.session.scalar(select(Tally)) is None and db.session.scalar(select(Ballot)) is None
    del app.config["BALLOT_KEY"]
    assert len(_sealed(app, voting)) == 1


def test_the_receipt_code_crosses_the_session_cookie_sealed_and_the_receipt_page_is_not_cached(
        app, client, voting, log_in):
    log_in(client, voting["member"])
    cast = _cast(client, voting, [1, 2, 3])
    cookie = client.get_cookie("session").value
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    page = client.get(cast.location)
    code = page.get_data(as_text=True).split('id="receipt-code"><code>')[1].split("<")[0]
    assert code not in orjson.dumps(stored).decode() and code.replace("-", "") not in cookie
    assert "no-store" in page.headers["Cache-Control"]


def test_a_ballot_whose_club_has_left_the_federation_is_left_out_and_the_audit_log_says_so(
        app, client, voting, create_organization, log_in):
    log_in(client, voting["member"])
    _cast(client, voting, [1, 2, 3])
    elsewhere = create_organization("Otra")
    with app.app_context():
        db.session.get(type(voting["club"]), voting["club"].id).parent_id = elsewhere.id
        db.session.commit()
    _advance(app, voting)
    with app.app_context():
        consultation = db.session.get(Consultation, voting["consultation_id"])
        assert services.ballot_box(consultation).uncounted == 1
    from deliberate.audit import sentences
    from deliberate.models import AuditEntry

    with app.test_request_context(headers={"Accept-Language": "en"}):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consultation.tally"))
        assert "1 ballot was not counted" in sentences.describe(entry).text
