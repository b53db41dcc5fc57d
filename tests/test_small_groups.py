"""No group of fewer than five voters is ever shown: a one-voter club on every page and file, and a tiny vote."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from deliberate.agenda import draft as agenda_draft
from deliberate.agenda import publish as agenda_publish
from deliberate.agenda import reports as agenda_reports
from deliberate.agenda import verify as agenda_verify
from deliberate.ballots import services as ballots
from deliberate.ballots.services import cast_ballot
from deliberate.consultations.services import advance_phase
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Consultation, OrganizationKind, User
from tests.factories import agenda_items

#: The lone voter's ranking: nobody else ranks Cultura first, so this order would be their ballot.
LONE = ("cultura", "agua", "salud", "becas")


def _get(model, ident):
    return db.session.get(model, ident)


def _consultation(world, voters: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]) -> dict:
    """Open a two-seat vote on four items, cast the given ballots per club key, count them; return the ids."""
    consultation = Consultation(federation_id=world["federation"].id, title_es="Agenda", title_en="Agenda",
                                phase=Phase.VOTING, agenda_size=2)
    db.session.add(consultation)
    db.session.flush()
    titles = ["Salud", "Agua", "Becas", "Cultura"]
    items = agenda_items(consultation.id, titles)
    db.session.commit()
    ids = {title.lower(): item.id for title, item in zip(titles, items, strict=True)}
    for user_id, (ranking, approved) in voters:
        cast_ballot(consultation, _get(User, user_id), [[ids[name]] for name in ranking],
                    [ids[name] for name in approved])
    advance_phase(consultation, _get(User, world["board"].id), Phase.VOTING, Phase.TALLIED)
    return {**ids, "consultation": consultation.id}


@pytest.fixture
def lone_club(app, federation_world, create_user, create_organization, add_member):
    """Club Jerez with 8 voters, Club Tlaltenango with 6, and Club Solo with one voter whose ballot is unique."""
    world = federation_world
    solo = create_organization("Club Solo", kind=OrganizationKind.CLUB, parent=world["federation"])
    people = []
    for club, count in ((world["club"], 8), (world["other_club"], 6), (solo, 1)):
        for number in range(count):
            user = create_user(f"{club.name} voter {number}", gender=Gender.WOMAN if number % 2 else Gender.MAN)
            add_member(user, club)
            people.append((club.slug, user.id))
    plan = {world["club"].slug: (("becas", "salud", "agua", "cultura"), ("becas",)),
            world["other_club"].slug: (("agua", "salud", "becas", "cultura"), ("agua", "salud")),
            solo.slug: (LONE, ("cultura",))}
    with app.app_context():
        ids = _consultation(world, [(user_id, plan[slug]) for slug, user_id in people])
    return {**world, **ids, "solo": solo}


def _shown_groups(result: dict) -> dict[str, int]:
    return {name: club["voters"] for name, club in result["clubs"].items()}


def test_a_one_voter_club_is_counted_with_the_smallest_club_and_never_alone(app, lone_club):
    solo, tlalte = lone_club["solo"].slug, lone_club["other_club"].slug
    with app.app_context():
        consultation = _get(Consultation, lone_club["consultation"])
        document = ballots.official_tally_input(consultation)
        result = ballots.official_tally(consultation).result
    pooled = f"{tlalte}+{solo}"
    assert document["clubs"][pooled] == {"members": 9, "clubs": {tlalte: 8, solo: 1}}  # registered members
    assert Counter(ballot["club"] for ballot in document["ballots"]) == {lone_club["club"].slug: 8, pooled: 7}
    assert _shown_groups(result) == {lone_club["club"].slug: 8, pooled: 7}
    assert all(count >= 5 for count in _shown_groups(result).values())


def test_no_page_shows_the_lone_voters_club_or_ranking_on_its_own(app, client, lone_club, log_in):
    log_in(client, lone_club["board"])
    url = f"/consultations/{lone_club['consultation']}"
    for page in (f"{url}/results", f"{url}/results?what_if=1", f"{url}/agenda"):
        html = client.get(page).get_data(as_text=True)
        assert "Club Tlaltenango + Club Solo" in html, page
        assert "Club Solo" not in html.replace("Club Tlaltenango + Club Solo", ""), page
    html = client.get(f"{url}/results").get_data(as_text=True)
    assert "counted together" in html


def test_no_published_file_shows_a_group_of_fewer_than_five(app, client, lone_club):
    with app.app_context():
        consultation = _get(Consultation, lone_club["consultation"])
        version = agenda_publish.publish(consultation, _get(User, lone_club["board"].id), expected_versions=0)
        agenda_id = version.agenda_id
        assert all(check.ok for check in agenda_verify.verify_agenda(agenda_id))
    solo = lone_club["solo"].slug
    files = {name: client.get(f"/agendas/{agenda_id}{name}") for name in
             (".json", "/ballots.json", ".csv", "/gender-table.json", "")}
    assert all(response.status_code == 200 for response in files.values())
    published = json.loads(files[".json"].data)
    inputs = json.loads(files["/ballots.json"].data)
    groups = Counter(ballot["club"] for ballot in inputs["ballots"])
    assert solo not in groups and all(count >= 5 for count in groups.values())
    assert all(club["voters"] >= 5 or club["voters"] == 0 for club in published["result"]["tally"]["clubs"].values())
    minority = published["result"]["minority"]
    assert solo not in json.dumps(minority["items"]) or f"+{solo}" in json.dumps(minority["items"])
    for row in csv.DictReader(io.StringIO(files[".csv"].get_data(as_text=True))):
        assert "Club Solo" not in row.get("dissenting_clubs", "").replace("Club Tlaltenango + Club Solo", "")
    assert "Club Solo" not in files[""].get_data(as_text=True).replace("Club Tlaltenango + Club Solo", "")
    for ballot in inputs["ballots"]:
        assert "gender" not in ballot and "receipt" not in ballot


def test_officers_of_a_pooled_club_may_write_a_report_when_their_group_dissents(app, lone_club):
    with app.app_context():
        draft = agenda_draft.build_draft(_get(Consultation, lone_club["consultation"]))
        entitled = agenda_reports.minority_clubs(draft)
    groups = {name for item in draft.analysis.minority.items for name in item.dissenting_clubs}
    pooled = f"{lone_club['other_club'].slug}+{lone_club['solo'].slug}"
    if pooled in {str(name) for name in groups}:
        assert lone_club["solo"].slug in entitled and pooled not in entitled


@pytest.fixture
def tiny_vote(app, federation_world):
    """Three people vote in all."""
    world = federation_world
    voters = [(world[person].id, (("salud", "agua"), ("salud",))) for person in ("member", "officer", "board")]
    with app.app_context():
        return {**world, **_consultation(world, voters)}


def test_with_fewer_than_five_voters_no_result_is_shown_drafted_or_published(app, client, tiny_vote, log_in):
    log_in(client, tiny_vote["board"])
    url = f"/consultations/{tiny_vote['consultation']}"
    for page in (f"{url}/results", f"{url}/results?what_if=1", f"{url}/agenda"):
        html = client.get(page).get_data(as_text=True)
        assert "Fewer than five people voted" in html, page
        assert "Salud" not in html.split("<main", 1)[-1].split("</main>")[0] or "Federation ranking" not in html
        assert "Federation ranking" not in html and "Pairwise" not in html
    response = client.post(f"{url}/agenda/publish", data={"expected_versions": "0"}, follow_redirects=True)
    assert response.status_code == 200 and "Fewer than five people voted" in response.get_data(as_text=True)
    with app.app_context():
        assert agenda_draft.agenda_of(_get(Consultation,
                                           tiny_vote["consultation"])) is None or not agenda_draft.agenda_of(
            _get(Consultation, tiny_vote["consultation"])).versions
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    with app.app_context():
        _get(User, tiny_vote["board"].id).locale = "es"
        db.session.commit()
    assert "Votaron menos de cinco personas" in client.get(f"{url}/results").get_data(as_text=True)
