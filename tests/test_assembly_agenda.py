"""Paper ballots on the published agenda: each club's online and paper ballots under the small-group rule, the club
assemblies with the SHA-256 of their minutes, the recount of both from the published ballots, and verify-agenda."""

from __future__ import annotations

import json
from datetime import date

import orjson
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from deliberate.agenda import documents as agenda_documents
from deliberate.agenda import publish as agenda_publish
from deliberate.agenda.cli import demo_cycle_command, verify_agenda_command
from deliberate.agenda.verify import verify_agenda
from deliberate.assemblies import services
from deliberate.ballots import services as ballots
from deliberate.consultations.services import advance_phase
from deliberate.demo.content import CLUBS
from deliberate.domain import assembly as engine
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Assembly, Consultation, Demand, User


def _get(model, key):
    return db.session.get(model, key)


def _user(world, name):
    return _get(User, world[name].id)


def _assembly(world, club="jerez", officer="officer", cosigner="second") -> Assembly:
    data = services.AssemblyInput(date(2026, 11, 28), "Salón parroquial", 16, "Se votó en papel.")
    club_row = _get(type(world[club]), world[club].id)
    assembly = services.record_assembly(_get(Consultation, world["consultation_id"]), club_row,
                                        _user(world, officer), data)
    return services.cosign_assembly(assembly, _user(world, cosigner))


def _vote_on_paper(world, assembly, members, order, officers=("officer", "second")):
    services.mark_paper_voters(assembly, _user(world, officers[0]), [user.id for user in members])
    items = world["items"]
    for _member in members:
        code = engine.new_sheet_code()
        for officer in officers:
            services.enter_sheet(assembly, _user(world, officer), code, [[items[i]] for i in order],
                                 [items[order[0]]])


def _publish(world) -> int:
    consultation = _get(Consultation, world["consultation_id"])
    board = _user(world, "board")
    advance_phase(consultation, board, Phase.VOTING, Phase.TALLIED)
    return agenda_publish.publish(consultation, board, expected_versions=0).agenda_id


@pytest.fixture
def published(app, assembly_world) -> dict:
    """Club Jerez: 6 on paper and 6 online; Club Tlaltenango: 8 online; Club Papel: its 6 members on paper."""
    world = assembly_world
    with app.app_context():
        consultation = _get(Consultation, world["consultation_id"])
        _vote_on_paper(world, _assembly(world), world["members"][:6], [2, 0, 1, 3])
        _vote_on_paper(world, _assembly(world, "solo", "solo_officer", "board"), world["solos"], [3, 2, 1, 0],
                       officers=("solo_officer", "board"))
        for user in world["members"][6:12]:
            ballots.cast_ballot(consultation, _get(User, user.id), [[world["items"][0]], [world["items"][1]]], [])
        for user in world["tlaltes"]:
            ballots.cast_ballot(consultation, _get(User, user.id), [[world["items"][1]]], [world["items"][1]])
        world["agenda_id"] = _publish(world)
    return world


def test_the_published_agenda_says_per_club_how_many_ballots_were_online_and_on_paper(app, published, client):
    with app.app_context():
        document = agenda_publish.document_of(agenda_publish.published_agenda(published["agenda_id"]).latest)
    jerez, solo, tlalte = (published[name].slug for name in ("jerez", "solo", "tlalte"))
    assert document["format"] == "deliberate-agenda/3"
    assert document["result"]["channels"] == {jerez: {"ballots": 12, "online": 6, "paper": 6},
                                              solo: {"ballots": 6, "online": 0, "paper": 6}}
    assert [entry["club"] for entry in document["inputs"]["assemblies"]] == sorted([jerez, solo])
    assert all(len(entry["acta_sha256"]) == 64 for entry in document["inputs"]["assemblies"])
    page = client.get(f"/agendas/{published['agenda_id']}").get_data(as_text=True)
    assert "Ballots cast online and on paper, by club" in page
    assert "online: 6 · on paper: 6" in page and "online: 0 · on paper: 6" in page
    assert document["inputs"]["assemblies"][0]["acta_sha256"] in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    spanish = client.get(f"/agendas/{published['agenda_id']}").get_data(as_text=True)
    assert "por internet: 6 · en papel: 6" in spanish and "Asambleas de club" in spanish


def test_the_results_page_labels_each_clubs_paper_ballots(app, published, client):
    page = client.get(f"/consultations/{published['consultation_id']}/results").get_data(as_text=True)
    assert "online: 6 · on paper: 6" in page and "online: 0 · on paper: 6" in page


def test_anyone_recounts_online_and_paper_ballots_from_the_published_ballots(app, published, client):
    download = json.loads(client.get(f"/agendas/{published['agenda_id']}/ballots.json").data)
    assert sum(1 for ballot in download["ballots"] if ballot.get("paper")) == 12
    assert download["clubs"][published["jerez"].slug]["paper"] == 6
    assert not any(key in ballot for ballot in download["ballots"] for key in ("gender", "sheet", "assembly"))
    with app.app_context():
        document = agenda_publish.document_of(agenda_publish.published_agenda(published["agenda_id"]).latest)
        assert agenda_documents.recount(download).to_dict() == document["result"]["tally"]
        assert agenda_publish.channels_of(download) == document["result"]["channels"]


def test_verify_agenda_checks_the_minutes_and_the_paper_ballots(app, published):
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    result = runner.invoke(verify_agenda_command, [str(published["agenda_id"])], obj=info)
    assert result.exit_code == 0 and "OK" in result.output, result.output
    with app.app_context():
        assembly = db.session.query(Assembly).filter_by(club_id=published["jerez"].id).one()
        assembly.minutes = "Se votó en papel. (añadido después)"
        db.session.commit()
    result = runner.invoke(verify_agenda_command, [str(published["agenda_id"])], obj=info)
    assert result.exit_code == 1 and "do not match their published SHA-256" in result.output


def _republish(app, agenda_id, change):
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        document = orjson.loads(version.document)
        change(document)
        data = agenda_documents.canonical(document)
        version.document, version.sha256 = data.decode(), agenda_documents.sha256(data)
        db.session.commit()
        return verify_agenda(agenda_id)[0]


def test_verify_agenda_catches_a_channel_changed_without_its_ballots(app, published):
    def more_paper(document):
        document["result"]["channels"][published["jerez"].slug] = {"ballots": 12, "online": 2, "paper": 10}

    check = _republish(app, published["agenda_id"], more_paper)
    assert not check.ok and any("online and paper" in problem for problem in check.problems)


def test_an_agenda_published_in_the_second_format_still_verifies(app, published):
    """A version of the release before assemblies: the format says 2 and it has no assemblies nor channels."""
    def second_format(document):
        document["format"] = "deliberate-agenda/2"
        del document["inputs"]["assemblies"], document["result"]["channels"]

    assert _republish(app, published["agenda_id"], second_format).ok


def test_the_demo_cycle_counts_a_club_assemblys_twelve_paper_ballots_with_the_online_ones(app, client, make_app):
    demo = make_app(SERVER_NAME=None)
    result = CliRunner().invoke(demo_cycle_command, [], obj=ScriptInfo(create_app=lambda: demo))
    assert result.exit_code == 0, result.output
    agenda_id = json.loads(result.output.strip().splitlines()[-1])["agenda_id"]
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        document = agenda_publish.document_of(version)
        assert verify_agenda(agenda_id)[0].ok
        jerez = db.session.query(Assembly).first().club
        assert jerez.name == CLUBS[0][0]
        demand = db.session.query(Demand).filter(Demand.assembly_id.is_not(None)).one()
        assert demand.club_id == jerez.id
    channels = document["result"]["channels"]
    assert list(channels) == [jerez.slug] and channels[jerez.slug]["paper"] == 12
    assert channels[jerez.slug]["online"] >= 5
    assert len(document["inputs"]["assemblies"]) == 2
    assert sum(1 for ballot in document["inputs"]["ballots"]["ballots"] if ballot.get("paper")) == 12
    page = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert f"online: {channels[jerez.slug]['online']} · on paper: 12" in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert f"por internet: {channels[jerez.slug]['online']} · en papel: 12" in page
