"""The agenda: draft from the count, equity checks, minority reports, publication, versions, public pages, verify."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shlex
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select

from deliberate.agenda import documents as agenda_documents
from deliberate.agenda import draft as agenda_draft
from deliberate.agenda import publish as agenda_publish
from deliberate.agenda import reports as agenda_reports
from deliberate.agenda import verify as agenda_verify
from deliberate.agenda.cli import verify_agenda_command
from deliberate.ballots.cli import tally_command
from deliberate.ballots.services import cast_ballot
from deliberate.consultations.services import advance_phase
from deliberate.domain import electorate as electorate_engine
from deliberate.domain import equity as equity_engine
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.gender import Gender, GenderGroup
from deliberate.domain.phases import Phase
from deliberate.domain.rules import AgendaSelection, CheckMode, ClubWeighting
from deliberate.extensions import db
from deliberate.models import (
    AgendaExport,
    AgendaItem,
    AgendaVersion,
    Consultation,
    Membership,
    MinorityReport,
    Role,
    User,
    utcnow,
)
from tests.factories import voting_consultation


def _get(model, key):
    return db.session.get(model, key)


def _consultation(data):
    return _get(Consultation, data["consultation"])


def _publish(app, data, **kwargs):
    with app.app_context():
        version = agenda_publish.publish(_consultation(data), _get(User, data["board"].id), expected_versions=0,
                                         **kwargs)
        return version.agenda_id


# --- the draft ----------------------------------------------------------------------------------------------------

def test_the_draft_is_the_top_of_the_count_in_its_order(app, tallied):
    with app.app_context():
        draft = agenda_draft.build_draft(_consultation(tallied))
        assert draft.agenda[0] in {str(tallied["salud"]), str(tallied["becas"]), str(tallied["agua"])}
        assert len(draft.agenda) == 2
        assert list(draft.agenda) == agenda_draft.count_agenda(draft.tally)[0]


def test_a_club_whose_majority_did_not_approve_an_item_dissents(app, tallied):
    with app.app_context():
        draft = agenda_draft.build_draft(_consultation(tallied))
        club_slug = tallied["club"].slug
        dissent = {item.item: item.dissenting_clubs for item in draft.analysis.minority.items}
        assert list(draft.agenda) == [str(tallied["becas"]), str(tallied["salud"])]
        assert club_slug in dissent[str(tallied["salud"])]
        assert club_slug not in dissent[str(tallied["becas"])]


@pytest.fixture
def spread(app, federation_world, create_user, add_member):
    """A counted consultation whose 6 women voters are spread over two clubs, none with 5 women: 3 in Club Jerez
    (with 6 men), 3 in Club Tlaltenango (with 4 men). The men put "Becas" then "Salud" first, the women "Cultura"."""
    world = federation_world
    jerez = [create_user(f"Jerez woman {i}", gender=Gender.WOMAN) for i in range(2)]
    jerez += [create_user(f"Jerez man {i}", gender=Gender.MAN) for i in range(5)]
    tlalte = [create_user(f"Tlalte woman {i}", gender=Gender.WOMAN) for i in range(2)]
    tlalte += [create_user(f"Tlalte man {i}", gender=Gender.MAN) for i in range(4)]
    for user in jerez:
        add_member(user, world["club"])
    for user in tlalte:
        add_member(user, world["other_club"])
    with app.app_context():
        consultation, ids = voting_consultation(world, "Agenda 2028", "2028 Agenda")
        salud, agua, becas, cultura = (ids[key] for key in ("salud", "agua", "becas", "cultura"))
        voters = [_get(User, u.id) for u in [*jerez, *tlalte, world["member"], world["officer"], world["board"]]]
        for user in voters:
            if user.gender is Gender.WOMAN:
                cast_ballot(consultation, user, [[cultura], [agua], [salud], [becas]], [cultura, agua])
            else:
                cast_ballot(consultation, user, [[becas], [salud], [agua], [cultura]], [becas, salud])
        advance_phase(consultation, _get(User, world["board"].id), Phase.VOTING, Phase.TALLIED)
    return {**world, **ids}


def test_the_published_ballots_carry_no_gender(app, tallied, client):
    from deliberate.ballots.services import official_tally_input

    with app.app_context():
        document = official_tally_input(_consultation(tallied))
    assert {key for ballot in document["ballots"] for key in ballot} == {"club", "ranking", "approved"}
    agenda_id = _publish(app, tallied)
    ballots = client.get(f"/agendas/{agenda_id}/ballots.json").data
    assert b"gender" not in ballots and b"woman" not in ballots


def test_a_small_clubs_women_are_counted_in_the_federation_table(app, spread):
    with app.app_context():
        draft = agenda_draft.build_draft(_consultation(spread))
    table = draft.gender_table
    assert table.ballots == 16
    assert table.genders[GenderGroup.WOMAN].ballots == 6  # no club has 5 women: none would have been counted before
    assert table.genders[GenderGroup.MAN].ballots == 10
    assert table.genders[GenderGroup.OTHER] is None
    cultura = str(spread["cultura"])
    assert table.genders[GenderGroup.WOMAN].ranked_first[cultura] == 6
    becas = draft.analysis.minority.items[0]
    assert becas.item == str(spread["becas"])
    assert becas.by_gender[GenderGroup.WOMAN] == electorate_engine.Support(False, 6, 0, 0.0)
    assert becas.gender_gap.is_flagged
    slot = draft.analysis.equity.womens_priority_slot
    assert (slot.women_voters, slot.first_choices, slot.status) == (6, (cultura,), equity_engine.CheckStatus.WARN)
    parity = draft.analysis.equity.participation_parity
    assert (parity.women, parity.men, parity.other_or_unstated) == (6, 10, 0)


def test_gender_figures_that_subtraction_would_reveal_are_hidden(app, tallied, client):
    """3 women, 10 men and 1 voter who did not say: showing the men would give the other 4 away."""
    with app.app_context():
        draft = agenda_draft.build_draft(_consultation(tallied))
        assert list(draft.gender_table.genders.values()) == [None, None, None]
        assert all(support.is_suppressed for item in draft.analysis.minority.items
                   for support in item.by_gender.values())
        assert draft.analysis.equity.participation_parity.women is None
    agenda_id = _publish(app, tallied)
    table = json.loads(client.get(f"/agendas/{agenda_id}/gender-table.json").data)
    assert table == {"ballots": 14, "genders": {"woman": None, "man": None, "other": None}}
    html = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert "hidden to protect a group of fewer than 5" in html


def test_the_public_page_says_how_gender_figures_are_protected(app, spread, client):
    agenda_id = _publish(app, spread)
    html = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert "Figures by gender are federation totals only" in html
    assert "Voters by gender" in html and "<td>6</td>" in html and "<td>10</td>" in html
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    html = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert "Las cifras por género son solo totales de la federación" in html
    table = json.loads(client.get(f"/agendas/{agenda_id}/gender-table.json").data)
    with app.app_context():
        document = agenda_publish.document_of(agenda_publish.published_agenda(agenda_id).latest)
    assert table == document["inputs"]["gender_table"] and table["genders"]["woman"]["ballots"] == 6


def test_item_summaries_on_the_public_agenda_are_rendered_markdown_without_hostile_html(app, tallied, client):
    with app.app_context():
        for item_id in (tallied["salud"], tallied["agua"], tallied["becas"]):
            _get(AgendaItem, item_id).summary_en = "- Clinics in Jerez\n- <script>alert(1)</script>Mobile units"
        db.session.commit()
    agenda_id = _publish(app, tallied)
    html = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert "<li>Clinics in Jerez</li>" in html and "Mobile units" in html
    assert "<script>alert" not in html


def test_only_the_board_sees_the_draft(app, tallied, client, log_in):
    url = f"/consultations/{tallied['consultation']}/agenda"
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    for role in ("member", "officer", "outsider"):
        log_in(client, tallied[role])
        assert client.get(url).status_code == 403, role
        client.post("/account/logout")
    log_in(client, tallied["board"])
    page = client.get(url)
    assert page.status_code == 200
    assert "Equity checks" in page.get_data(as_text=True)


def test_the_board_saves_framing_texts_but_cannot_change_items(app, tallied, client, log_in):
    log_in(client, tallied["board"])
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/framing",
                           data={"framing_es": "<b>Hola</b> federación", "framing_en": "Hello"})
    assert response.status_code == 302
    with app.app_context():
        agenda = agenda_draft.agenda_of(_consultation(tallied))
        assert agenda.framing_es == "Hola federación"


def test_a_too_long_framing_text_is_refused_and_kept(app, tallied, client, log_in):
    log_in(client, tallied["board"])
    text = "x" * 5001
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/framing",
                           data={"framing_es": text, "framing_en": ""})
    assert response.status_code == 422
    assert text in response.get_data(as_text=True)


# --- equity checks ------------------------------------------------------------------------------------------------

def test_an_enforced_failing_check_blocks_publishing(app, tallied):
    with app.app_context():
        consultation = _consultation(tallied)
        consultation.participation_parity = CheckMode.ENFORCE
        consultation.federation.parity_baseline = 0.9
        db.session.commit()
        draft = agenda_draft.build_draft(consultation)
        assert draft.analysis.equity.participation_parity.status is equity_engine.CheckStatus.FAIL
        with pytest.raises(Conflict) as error:
            agenda_publish.publish(consultation, _get(User, tallied["board"].id), expected_versions=0)
        assert error.value.reason == "blocked"
        assert _get(Consultation, tallied["consultation"]).phase is Phase.TALLIED


def test_a_warned_check_shows_but_does_not_block(app, tallied):
    with app.app_context():
        consultation = _consultation(tallied)
        consultation.participation_parity = CheckMode.WARN
        consultation.federation.parity_baseline = 0.9
        db.session.commit()
        draft = agenda_draft.build_draft(consultation)
        assert draft.analysis.equity.participation_parity.status is equity_engine.CheckStatus.WARN
        assert not draft.blocks_publishing


def test_an_off_check_is_not_checked(app, tallied):
    with app.app_context():
        consultation = _consultation(tallied)
        consultation.board_composition = CheckMode.OFF
        db.session.commit()
        draft = agenda_draft.build_draft(consultation)
        assert draft.analysis.equity.board_composition.status is equity_engine.CheckStatus.OFF


def test_the_womens_slot_adjusts_a_count_that_left_it_out(app, spread):
    """Women put "Cultura" first; the count's top 2 leave it out; enforce puts it last, warn leaves the agenda."""
    cultura = str(spread["cultura"])
    with app.app_context():
        consultation = _consultation(spread)
        warned = agenda_draft.build_draft(consultation)
        assert warned.analysis.equity.womens_priority_slot.status is equity_engine.CheckStatus.WARN
        assert warned.agenda == (str(spread["becas"]), str(spread["salud"]))
        consultation.women_slot = CheckMode.ENFORCE
        db.session.commit()
        enforced = agenda_draft.build_draft(consultation)
        assert enforced.agenda == (str(spread["becas"]), cultura)
        assert enforced.womens_slot_item == cultura
    agenda_id = _publish(app, spread)
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        document = agenda_publish.document_of(version)
        assert document["result"]["agenda"][-1]["is_womens_slot"] is True
        assert agenda_verify.verify_version(version).ok


# --- minority reports ---------------------------------------------------------------------------------------------

def _open_window(app, data, hours=2):
    with app.app_context():
        agenda_draft.open_report_window(_consultation(data), _get(User, data["board"].id),
                                    utcnow() + timedelta(hours=hours))


def test_an_officer_of_a_dissenting_club_writes_a_report_and_another_club_cosigns(app, tallied, create_user,
                                                                                 add_member):
    other_officer = create_user("Tlalte officer")
    add_member(other_officer, tallied["other_club"], Role.OFFICER)
    _open_window(app, tallied)
    with app.app_context():
        consultation = _consultation(tallied)
        report = agenda_reports.submit_report(consultation, _get(User, tallied["officer"].id), as_club=True,
                                              language="es",
                                        title="Queremos becas", text="<script>x</script>Las becas primero.\n\nGracias.")
        assert report.text == "xLas becas primero.\n\nGracias." or "script" not in report.text
        with pytest.raises(Conflict):
            agenda_reports.cosign_report(report, _get(User, tallied["officer"].id))  # own club
        agenda_reports.cosign_report(report, _get(User, other_officer.id))
        with pytest.raises(Conflict):
            agenda_reports.cosign_report(report, _get(User, other_officer.id))  # once per club
        with pytest.raises(PermissionDenied):
            agenda_reports.submit_report(consultation, _get(User, tallied["member"].id), as_club=True, language="es",
                                   title="T", text="t")


def test_a_report_longer_than_3000_characters_is_refused(app, tallied, client, log_in):
    _open_window(app, tallied)
    log_in(client, tallied["officer"])
    text = "a" * 3001
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/reports",
                           data={"author": "club", "language": "en", "title": "Too long", "text": text})
    assert response.status_code == 422
    assert text in response.get_data(as_text=True)


def test_reports_are_refused_outside_the_window_and_the_window_cannot_shrink(app, tallied):
    with app.app_context():
        consultation = _consultation(tallied)
        with pytest.raises(Conflict):
            agenda_reports.submit_report(consultation, _get(User, tallied["officer"].id), as_club=True, language="es",
                                   title="T", text="t")
    _open_window(app, tallied, hours=5)
    with app.app_context(), pytest.raises(ValidationFailed):
        agenda_draft.open_report_window(_consultation(tallied), _get(User, tallied["board"].id),
                                    utcnow() + timedelta(hours=1))


def test_publishing_waits_for_the_report_window_and_includes_reports_unedited(app, tallied):
    _open_window(app, tallied)
    with app.app_context():
        consultation = _consultation(tallied)
        agenda_reports.submit_report(consultation, _get(User, tallied["officer"].id), as_club=True, language="es",
                               title="Queremos becas", text="Las becas primero.")
        with pytest.raises(Conflict) as error:
            agenda_publish.publish(consultation, _get(User, tallied["board"].id), expected_versions=0)
        assert error.value.reason == "window_open"
        agenda_draft.agenda_of(consultation).minority_report_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    agenda_id = _publish(app, tallied)
    with app.app_context():
        document = agenda_publish.document_of(agenda_publish.published_agenda(agenda_id).latest)
        assert document["result"]["reports"][0]["text"] == "Las becas primero."


# --- publication, immutability, versions ----------------------------------------------------------------------------

def test_publishing_moves_the_consultation_and_freezes_a_canonical_hashed_version(app, tallied):
    agenda_id = _publish(app, tallied)
    with app.app_context():
        assert _consultation(tallied).phase is Phase.PUBLISHED
        version = agenda_publish.published_agenda(agenda_id).latest
        document = json.loads(version.document)
        assert version.document == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert version.sha256 == agenda_documents.sha256(version.document.encode())
        assert document["inputs"]["ballots"]["ballots"] and "user" not in version.document


def test_a_correction_is_a_new_version_and_the_first_never_changes(app, tallied):
    agenda_id = _publish(app, tallied)
    with app.app_context():
        first = agenda_publish.published_agenda(agenda_id).latest
        first_document, first_hash = first.document, first.sha256
        consultation = _consultation(tallied)
        board = _get(User, tallied["board"].id)
        agenda_draft.save_framing(consultation, board, "Nueva introducción", "New introduction")
        with pytest.raises(ValidationFailed):
            agenda_publish.publish(consultation, board, expected_versions=1)  # a correction needs a note
        with pytest.raises(Conflict):
            agenda_publish.publish(consultation, board, expected_versions=0, correction_note="stale")
        second = agenda_publish.publish(consultation, board, expected_versions=1, correction_note="Typo")
        assert second.number == 2 and second.previous_id == first.id
        assert _get(AgendaVersion, first.id).document == first_document
        assert _get(AgendaVersion, first.id).sha256 == first_hash
        changes = agenda_publish.diff(agenda_publish.document_of(first), agenda_publish.document_of(second))
        assert {"what": "framing_es", "item": None} in changes["texts"]


def test_the_hash_is_stable_for_the_same_inputs(app, tallied):
    with app.app_context():
        consultation = _consultation(tallied)
        agenda = agenda_draft.ensure_agenda(consultation)
        one = agenda_documents.canonical(agenda_publish.version_document(agenda_draft.build_draft(consultation),
                                                                         agenda, 1, None))
        two = agenda_documents.canonical(agenda_publish.version_document(agenda_draft.build_draft(consultation),
                                                                         agenda, 1, None))
        assert agenda_documents.sha256(one) == agenda_documents.sha256(two)


def test_diff_reports_added_removed_and_moved_items():
    def doc(items):
        return {"result": {"framing": {"es": "", "en": ""}, "reports": [],
                           "agenda": [{"item": i, "position": p, "title_es": i, "title_en": i}
                                      for p, i in enumerate(items, 1)]}}

    changes = agenda_publish.diff(doc(["a", "b", "c"]), doc(["b", "a", "d"]))
    assert [e["item"] for e in changes["added"]] == ["d"]
    assert [e["item"] for e in changes["removed"]] == ["c"]
    assert {(e["item"], e["from"], e["to"]) for e in changes["moved"]} == {("a", 1, 2), ("b", 2, 1)}


# --- verify-agenda ------------------------------------------------------------------------------------------------

def test_verify_agenda_exits_zero_for_an_intact_agenda(app, tallied):
    agenda_id = _publish(app, tallied)
    result = CliRunner().invoke(verify_agenda_command, [str(agenda_id)], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_verify_agenda_fails_when_the_stored_json_is_tampered_with(app, tallied):
    agenda_id = _publish(app, tallied)
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        version.document = version.document.replace('"Salud"', '"Salud!"', 1)
        db.session.commit()
    result = CliRunner().invoke(verify_agenda_command, [str(agenda_id)], obj=_script_info(app))
    assert result.exit_code == 1
    assert "hash mismatch" in result.output


def test_verify_agenda_fails_when_the_result_is_changed_and_rehashed(app, tallied):
    agenda_id = _publish(app, tallied)
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        document = json.loads(version.document)
        document["result"]["agenda"].reverse()
        data = agenda_documents.canonical(document)
        version.document, version.sha256 = data.decode(), agenda_documents.sha256(data)
        db.session.commit()
    result = CliRunner().invoke(verify_agenda_command, [str(agenda_id)], obj=_script_info(app))
    assert result.exit_code == 1
    assert "not the recount's agenda" in result.output


def test_a_version_published_before_the_count_reported_more_still_verifies_on_what_it_published(app, tallied):
    agenda_id = _publish(app, tallied)
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        document = json.loads(version.document)
        tally = document["result"]["tally"]
        newest = "double_majority_rule" if "double_majority_rule" in tally else sorted(tally)[-1]
        del tally[newest]  # as a version published before the count reported this entry
        data = agenda_documents.canonical(document)
        version.document, version.sha256 = data.decode(), agenda_documents.sha256(data)
        db.session.commit()
        assert agenda_verify.verify_version(version).ok
        tally[sorted(tally)[0]] = "changed"  # a figure it did publish is still checked
        data = agenda_documents.canonical(document)
        version.document, version.sha256 = data.decode(), agenda_documents.sha256(data)
        db.session.commit()
        assert "the recount differs from the published count" in agenda_verify.verify_version(version).problems


def _rewrite(app, agenda_id, change) -> None:
    """Change a published version's document and store it with a matching hash, as someone with the database
    could."""
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        document = json.loads(version.document)
        change(document)
        data = agenda_documents.canonical(document)
        version.document, version.sha256 = data.decode(), agenda_documents.sha256(data)
        db.session.commit()


@pytest.mark.parametrize(("change", "problem"), [
    (lambda genders, ids: genders["man"]["approving"].update({ids["salud"]: 9}), "minority section differs"),
    (lambda genders, ids: genders["woman"]["ranked_first"].update({ids["cultura"]: 0}),
     "women's priority slot differs"),
    (lambda genders, ids: genders["woman"].update({"ballots": 3}), "does not fit the ballots (not_suppressed)"),
    (lambda genders, ids: genders["woman"]["approving"].update({ids["becas"]: 7}),
     "does not fit the ballots (exceeds_ballots)"),
])
def test_verify_agenda_catches_a_changed_gender_table(app, spread, change, problem):
    agenda_id = _publish(app, spread)
    ids = {name: str(spread[name]) for name in ("salud", "becas", "cultura")}
    _rewrite(app, agenda_id, lambda document: change(document["inputs"]["gender_table"]["genders"], ids))
    result = CliRunner().invoke(verify_agenda_command, [str(agenda_id)], obj=_script_info(app))
    assert result.exit_code == 1
    assert problem in result.output


def _published_as(app, tallied, data: bytes) -> int:
    """Publish the fixture's agenda, then make its version the frozen document given (one from an older release)."""
    agenda_id = _publish(app, tallied)
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        version.document, version.sha256 = data.decode(), agenda_documents.sha256(data)
        # an older release stored no files: its downloads are written from the document
        db.session.execute(delete(AgendaExport).where(AgendaExport.version_id == version.id))
        db.session.commit()
    return agenda_id


def test_an_agenda_of_the_first_format_still_renders_and_verifies(app, tallied, client):
    """Versions published before the gender table carry a gender on some ballots; they stay readable and valid."""
    from pathlib import Path

    data = (Path(__file__).parent / "data" / "agenda_v1_gender_on_ballots.json").read_bytes().strip()
    agenda_id = _published_as(app, tallied, data)
    result = CliRunner().invoke(verify_agenda_command, [str(agenda_id)], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    html = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert "Men" in html and "Voters by gender" not in html
    ballots = client.get(f"/agendas/{agenda_id}/ballots.json").data
    # as frozen, genders included
    assert agenda_documents.sha256(ballots) == json.loads(data)["inputs"]["ballots_sha256"]
    assert client.get(f"/agendas/{agenda_id}/gender-table.json").status_code == 404
    assert client.get(f"/agendas/{agenda_id}.csv").status_code == 200


def test_an_agenda_published_before_counting_groups_still_renders_and_verifies(app, tallied, client):
    """A version counted club by club, a one-voter club included (the demo, by the code before counting groups)."""
    from pathlib import Path

    data = (Path(__file__).parent / "data" / "agenda_v2_before_counting_groups.json").read_bytes().strip()
    assert json.loads(data)["result"]["tally"]["clubs"]["club-jerez-de-garcia-salinas"]["voters"] == 1
    agenda_id = _published_as(app, tallied, data)
    result = CliRunner().invoke(verify_agenda_command, [str(agenda_id)], obj=_script_info(app))
    assert result.exit_code == 0 and "OK" in result.output, result.output
    assert client.get(f"/agendas/{agenda_id}").status_code == 200
    ballots = client.get(f"/agendas/{agenda_id}/ballots.json").data
    assert agenda_documents.sha256(ballots) == json.loads(data)["inputs"]["ballots_sha256"]  # as frozen


def test_verify_agenda_says_clearly_when_there_is_no_such_agenda(app):
    result = CliRunner().invoke(verify_agenda_command, ["999"], obj=_script_info(app))
    assert result.exit_code == 2
    assert "No published agenda" in result.output


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


# --- public pages -------------------------------------------------------------------------------------------------

def test_anyone_reads_the_published_agenda_with_its_minority_section(app, tallied, client):
    agenda_id = _publish(app, tallied)
    page = client.get(f"/agendas/{agenda_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Minority section" in html and "Salud (en)" in html
    assert html.index("The agenda") < html.index("Minority section")
    assert client.get(f"/agendas/{agenda_id}/print").status_code == 200
    assert client.get(f"/agendas/{agenda_id}/versions").status_code == 200
    assert client.get(f"/agendas/{agenda_id}/v1").status_code == 200
    assert client.get(f"/agendas/{agenda_id}/v9").status_code == 404


def test_the_public_page_is_in_spanish(app, tallied, client):
    agenda_id = _publish(app, tallied)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    html = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    assert "Sección de minorías" in html and "Verificaciones de equidad" in html
    assert "Salud" in html and "Salud (en)" not in html


def test_an_unpublished_agenda_is_not_public(app, tallied, client):
    with app.app_context():
        agenda_draft.ensure_agenda(_consultation(tallied))
        db.session.commit()
        agenda_id = agenda_draft.agenda_of(_consultation(tallied)).id
    assert client.get(f"/agendas/{agenda_id}").status_code == 404
    assert client.get(f"/agendas/{agenda_id}.json").status_code == 404


def test_downloads_are_well_formed_and_the_ballots_recount_to_the_same_result(app, tallied, client, tmp_path,
                                                                             monkeypatch):
    agenda_id = _publish(app, tallied)
    document = client.get(f"/agendas/{agenda_id}.json")
    assert document.mimetype == "application/json"
    data = json.loads(document.data)
    with app.app_context():
        assert agenda_documents.sha256(document.data) == agenda_publish.published_agenda(agenda_id).latest.sha256
    rows = list(csv.DictReader(io.StringIO(client.get(f"/agendas/{agenda_id}.csv").get_data(as_text=True))))
    assert [row["item"] for row in rows] == [entry["item"] for entry in data["result"]["agenda"]]
    assert _run_the_recount_command_shown(client, agenda_id, tmp_path, monkeypatch) == data["result"]["tally"]


def _run_the_recount_command_shown(client, agenda_id: int, folder, monkeypatch) -> dict:
    """Download the ballots under their own name and run the recount command the agenda page shows, as anyone can."""
    page = client.get(f"/agendas/{agenda_id}").get_data(as_text=True)
    words = shlex.split(html.unescape(re.search(r'<code class="recount">(.*?)</code>', page).group(1)))
    assert words[:2] == ["deliberate", "tally"]
    download = client.get(f"/agendas/{agenda_id}/ballots.json")
    assert f'filename="{words[2]}"' in download.headers["Content-Disposition"]
    monkeypatch.chdir(folder)
    (folder / words[2]).write_bytes(download.data)
    result = CliRunner().invoke(tally_command, words[2:])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_recount_command_on_the_agenda_reproduces_the_published_count_with_the_boards_settings(
        app, federation_world, create_user, add_member, client, tmp_path, monkeypatch):
    """The thresholds, the cap and the selection the board chose are in the command, so its figures are the same."""
    voters = [create_user(f"Voter {i}") for i in range(12)]
    for number, user in enumerate(voters):
        add_member(user, federation_world["club"] if number < 7 else federation_world["other_club"])
    with app.app_context():
        consultation, ids = voting_consultation(federation_world, "Agenda 2029", "2029 Agenda")
        consultation.voters_threshold, consultation.clubs_threshold = 0.35, 0.45
        consultation.club_weighting, consultation.weighting_cap = ClubWeighting.CAPPED, 4
        consultation.selection = AgendaSelection.EQUAL_SHARES
        db.session.commit()
        items = [ids[key] for key in ("salud", "agua", "becas", "cultura")]
        for number, user in enumerate(voters):
            ranking = [[item] for item in items[number % 4:] + items[:number % 4]]
            cast_ballot(consultation, _get(User, user.id), ranking, [tier[0] for tier in ranking[:2]])
        advance_phase(consultation, _get(User, federation_world["board"].id), Phase.VOTING, Phase.TALLIED)
    agenda_id = _publish(app, {**federation_world, **ids})
    published = json.loads(client.get(f"/agendas/{agenda_id}.json").data)["result"]["tally"]
    assert published["double_majority_rule"]["voters_threshold"] == 0.35 and published["cap"] == 4
    assert published["selection"]["rule"] == "equal-shares"
    assert _run_the_recount_command_shown(client, agenda_id, tmp_path, monkeypatch) == published


def test_the_atom_feed_lists_the_federations_published_agendas(app, tallied, client):
    agenda_id = _publish(app, tallied)
    response = client.get(f"/o/{tallied['federation'].slug}/agendas.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own feed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    assert entries[0].find("a:link", ns).get("href").endswith(f"/agendas/{agenda_id}")
    assert client.get("/o/no-such-federation/agendas.atom").status_code == 404


def test_the_atom_feed_addresses_start_with_the_base_url_whatever_host_the_request_names(app, tallied, make_app):
    agenda_id = _publish(app, tallied)
    site = make_app(BASE_URL="https://agenda.example.org/mx", SERVER_NAME=None)
    slug = tallied["federation"].slug
    response = site.test_client().get(f"/o/{slug}/agendas.atom", base_url="http://attacker.example")
    root = ET.fromstring(response.data)  # noqa: S314 - our own feed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = f"https://agenda.example.org/mx/o/{slug}/agendas.atom"
    assert root.find("a:id", ns).text == feed and root.find("a:link", ns).get("href") == feed
    entry = root.find("a:entry", ns)
    assert entry.find("a:link", ns).get("href") == f"https://agenda.example.org/mx/agendas/{agenda_id}"
    assert entry.find("a:id", ns).text.startswith(f"https://agenda.example.org/mx/agendas/{agenda_id}#v")


def test_members_cannot_publish(app, tallied, client, log_in):
    log_in(client, tallied["officer"])
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/publish", data={"expected_versions": "0"})
    assert response.status_code == 403
    with app.app_context():
        assert agenda_draft.agenda_of(_consultation(tallied)) is None


def test_the_board_publishes_through_the_page(app, tallied, client, log_in):
    log_in(client, tallied["board"])
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/publish", data={"expected_versions": "0"})
    assert response.status_code == 302 and "/agendas/" in response.headers["Location"]
    again = client.post(f"/consultations/{tallied['consultation']}/agenda/publish", data={"expected_versions": "0"})
    assert again.status_code == 302
    with app.app_context():
        assert len(agenda_draft.agenda_of(_consultation(tallied)).versions) == 1
        assert db.session.scalar(select(MinorityReport.id)) is None
        assert db.session.scalar(select(Membership.id)) is not None


def test_demo_cycle_publishes_a_verifiable_agenda_with_a_minority_report(app, client, make_app):
    from deliberate.agenda.cli import demo_cycle_command

    demo = make_app(SERVER_NAME=None)  # no DELIBERATE_BASE_URL: the address `make run` serves at
    result = CliRunner().invoke(demo_cycle_command, [], obj=_script_info(demo))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output.strip().splitlines()[-1])
    agenda_id = output["agenda_id"]
    assert output["url"] == f"http://localhost:5000/agendas/{agenda_id}"
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        assert agenda_verify.verify_version(version).ok
        assert agenda_publish.document_of(version)["result"]["reports"]
        consultation_id = agenda_publish.published_agenda(agenda_id).consultation_id
    assert client.get(f"/agendas/{agenda_id}").status_code == 200
    show = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert f"/consultations/{consultation_id}/published-agenda" in show


def test_demo_cycle_prints_the_agenda_address_under_the_base_url(make_app):
    from deliberate.agenda.cli import demo_cycle_command

    site = make_app(BASE_URL="https://agenda.example.org/mx", SERVER_NAME=None)
    result = CliRunner().invoke(demo_cycle_command, [], obj=_script_info(site))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output.strip().splitlines()[-1])
    assert output["url"] == f"https://agenda.example.org/mx/agendas/{output['agenda_id']}"


def test_the_reports_page_is_for_the_federations_members(app, tallied, client, log_in):
    url = f"/consultations/{tallied['consultation']}/agenda/reports"
    assert client.get(url).status_code == 302
    log_in(client, tallied["outsider"])
    assert client.get(url).status_code == 403
    client.post("/account/logout")
    log_in(client, tallied["member"])
    assert client.get(url).status_code == 200


def test_an_officer_writes_a_report_and_another_clubs_officer_cosigns_through_the_pages(
        app, tallied, client, log_in, create_user, add_member):
    other_officer = create_user("Tlalte officer")
    add_member(other_officer, tallied["other_club"], Role.OFFICER)
    _open_window(app, tallied)
    log_in(client, tallied["officer"])
    url = f"/consultations/{tallied['consultation']}/agenda/reports"
    page = client.get(url).get_data(as_text=True)
    assert "Write a report" in page
    response = client.post(url, data={"author": "club", "language": "es", "title": "Becas primero",
                                      "text": "Nuestro club quería las becas."})
    assert response.status_code == 302
    client.post("/account/logout")
    log_in(client, other_officer)
    with app.app_context():
        report_id = db.session.scalar(select(MinorityReport.id))
    assert client.post(f"/agenda/reports/{report_id}/cosign").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Co-signed by:" in page and "Becas primero" in page
    client.post("/account/logout")
    log_in(client, tallied["member"])
    client.post(f"/agenda/reports/{report_id}/cosign")
    with app.app_context():
        assert len(_get(MinorityReport, report_id).cosignatures) == 1


def test_the_print_layout_shows_the_minority_tables_open(app, tallied, client):
    agenda_id = _publish(app, tallied)
    html = client.get(f"/agendas/{agenda_id}/print").get_data(as_text=True)
    assert "<details open>" in html and "Minority section" in html


def test_the_draft_waits_for_the_count(app, federation_world, client, log_in):
    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Votando",
                                    title_en="Voting", phase=Phase.VOTING)
        db.session.add(consultation)
        db.session.commit()
        consultation_id = consultation.id
    log_in(client, federation_world["board"])
    page = client.get(f"/consultations/{consultation_id}/agenda")
    assert page.status_code == 200
    assert "cannot be drafted yet" in page.get_data(as_text=True)
    with app.app_context(), pytest.raises(PhaseClosed):
        agenda_publish.publish(_get(Consultation, consultation_id), _get(User, federation_world["board"].id),
                         expected_versions=0)


def test_the_board_sees_the_draft_in_spanish(app, tallied, client, log_in):
    log_in(client, tallied["board"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    client.post("/account/language", data={"locale": "es", "next": "/"})
    html = client.get(f"/consultations/{tallied['consultation']}/agenda").get_data(as_text=True)
    assert "Borrador de la agenda" in html and "Publicar la agenda" in html


def test_the_csv_neutralises_formulas_and_opens_in_excel_as_utf8(app, tallied, client):
    hostile = {"salud": '=HYPERLINK("http://evil.example","Salud")', "becas": "+1+2", "agua": "-3 Agua",
               "cultura": "@SUM(A1)"}
    with app.app_context():
        for key, title in hostile.items():
            item = _get(AgendaItem, tallied[key])
            item.title_es, item.title_en = title, "\t" + title
        db.session.commit()
    agenda_id = _publish(app, tallied)
    response = client.get(f"/agendas/{agenda_id}.csv")
    assert response.data.startswith(b"\xef\xbb\xbf") and "charset=utf-8" in response.headers["Content-Type"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows and all(row["title_es"].startswith("'") and row["title_en"].startswith("'") for row in rows)
    assert {row["title_es"][1:] for row in rows} <= set(hostile.values())
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for value in row.values())


def test_a_report_window_in_year_9999_is_a_form_error(app, tallied, client, log_in):
    log_in(client, tallied["board"])
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/window",
                           data={"until": "9999-12-31T23:59"})
    assert response.status_code == 422 and "between the years 2000 and 2099" in response.get_data(as_text=True)


# --- the published files, written by a job --------------------------------------------------------------------------

def test_publishing_writes_the_files_once_and_downloads_serve_them_without_parsing_the_document(app, spread, client,
                                                                                               monkeypatch):
    from deliberate.agenda import exports as agenda_exports
    from deliberate.models import Job

    agenda_id = _publish(app, spread)
    with app.app_context():
        version = agenda_publish.published_agenda(agenda_id).latest
        kinds = set(db.session.scalars(select(AgendaExport.kind).where(AgendaExport.version_id == version.id)))
        assert kinds == {"ballots", "csv", "gender_table"}
        job = db.session.scalar(select(Job).where(Job.name == "agenda.exports"))
        assert job.args == [version.id] and job.status.value == "done"
        agenda_exports.write_exports(job, version.id)  # run again (a killed worker): nothing is written twice
        assert db.session.scalar(select(func.count(AgendaExport.id))) == 3
        document = agenda_publish.document_of(version)

    def no_parsing(version):
        raise AssertionError("a download parsed the version's document")

    monkeypatch.setattr(agenda_publish, "document_of", no_parsing)
    ballots = client.get(f"/agendas/{agenda_id}/ballots.json")
    assert ballots.status_code == 200 and json.loads(ballots.data) == document["inputs"]["ballots"]
    assert ballots.headers["Content-Disposition"].endswith(f'-v{version.number}-ballots.json"')
    assert json.loads(client.get(f"/agendas/{agenda_id}/gender-table.json").data) == \
        document["inputs"]["gender_table"]
    csv_file = client.get(f"/agendas/{agenda_id}.csv")
    assert csv_file.data.startswith(b"\xef\xbb\xbf") and b"dissenting_clubs" in csv_file.data


def test_while_the_files_are_written_a_download_says_so_and_reloads_in_spanish(app, spread, client):
    from deliberate.models import Job, JobStatus

    agenda_id = _publish(app, spread)
    with app.app_context():
        db.session.execute(delete(AgendaExport))
        job = db.session.scalar(select(Job).where(Job.name == "agenda.exports"))
        job.status, job.finished_at, job.done, job.total = JobStatus.RUNNING, None, 1, 3
        db.session.commit()
    answer = client.get(f"/agendas/{agenda_id}/ballots.json", headers={"Accept-Language": "es"})
    assert answer.status_code == 202
    page = answer.get_data(as_text=True)
    assert "Se están escribiendo los archivos" in page and 'http-equiv="refresh"' in page and "1 de 3" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaExport.id))) == 0  # a GET writes nothing
