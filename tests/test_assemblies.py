"""Club assemblies: the record and its co-signature, demands from the assembly, the voter roll's paper marks, paper
ballots typed twice, and paper ballots counted with their club (services and HTTP, per role)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from deliberate.agenda.documents import recount
from deliberate.assemblies import services
from deliberate.ballots import sealing
from deliberate.ballots import services as ballots
from deliberate.consultations.services import advance_phase
from deliberate.demands.services import DemandInput
from deliberate.domain import assembly as engine
from deliberate.domain.count import Count
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Assembly,
    Ballot,
    BallotBox,
    BallotCast,
    Consultation,
    Language,
    PaperEntry,
    SealedBallot,
    Target,
    User,
)
from tests.factories import login


@pytest.fixture
def world(assembly_world) -> dict:
    return assembly_world


def _get(model, key):
    return db.session.get(model, key)


def _consultation(world) -> Consultation:
    return _get(Consultation, world["consultation_id"])


def _record(world, club="jerez", by="officer", present=16, **extra) -> int:
    data = services.AssemblyInput(date(2026, 11, 28), "Salón parroquial", present, "Se votó la agenda.")
    assembly = services.record_assembly(_consultation(world), _get(type(world[club]), world[club].id),
                                        _get(User, world[by].id), data, **extra)
    return assembly.id


def _cosigned(world, club="jerez", by="officer", cosigner="second") -> Assembly:
    assembly = _get(Assembly, _record(world, club, by))
    return services.cosign_assembly(assembly, _get(User, world[cosigner].id))


def _sheet_ballot(world, order):
    items = world["items"]
    return [[items[i]] for i in order], [items[order[0]]]


# --- the record and its co-signature -----------------------------------------------------------------------------

def test_an_officer_records_an_assembly_and_nothing_counts_until_another_person_cosigns(ctx, world):
    assembly = _get(Assembly, _record(world))
    assert not assembly.is_cosigned
    assert assembly.acta_sha256 == engine.acta_sha256("Se votó la agenda.", None)
    officer = _get(User, world["officer"].id)
    with pytest.raises(Conflict) as refused:
        services.mark_paper_voters(assembly, officer, [world["members"][0].id])
    assert refused.value.reason == "not_cosigned"
    with pytest.raises(Conflict):
        services.enter_sheet(assembly, officer, engine.new_sheet_code(), [[world["items"][0]]], [])
    with pytest.raises(Conflict) as same:
        services.cosign_assembly(assembly, officer)
    assert same.value.reason == "same_person"
    with pytest.raises(PermissionDenied):
        services.cosign_assembly(assembly, _get(User, world["members"][0].id))
    services.cosign_assembly(assembly, _get(User, world["board"].id))  # a board member may co-sign
    assert assembly.is_cosigned and assembly.cosigned_by_id == world["board"].id
    with pytest.raises(Conflict) as again:
        services.cosign_assembly(assembly, _get(User, world["second"].id))
    assert again.value.reason == "cosigned"


def test_only_an_officer_of_the_club_or_the_board_may_record_its_assembly(ctx, world):
    with pytest.raises(PermissionDenied):
        services.record_assembly(
            _consultation(world), _get(type(world["jerez"]), world["jerez"].id), _get(User, world["members"][0].id),
            services.AssemblyInput(date(2026, 11, 28), "Patio", 10, "Acta"))
    with pytest.raises(PermissionDenied):  # an officer of another club
        _record(world, by="solo_officer")
    assert _record(world, by="board")


@pytest.mark.parametrize(("field", "data"), [
    ("place", services.AssemblyInput(date(2026, 11, 28), "  ", 10, "Acta")),
    ("minutes", services.AssemblyInput(date(2026, 11, 28), "Patio", 10, "<b></b>")),
    ("members_present", services.AssemblyInput(date(2026, 11, 28), "Patio", 0, "Acta")),
    ("held_on", services.AssemblyInput(date(2099, 1, 1), "Patio", 10, "Acta")),
])
def test_a_record_with_a_bad_field_is_refused_by_that_field(ctx, world, field, data):
    with pytest.raises(ValidationFailed) as refused:
        services.record_assembly(_consultation(world), _get(type(world["jerez"]), world["jerez"].id),
                                 _get(User, world["officer"].id), data)
    assert refused.value.field == field


def test_the_scan_is_kept_without_its_metadata_and_its_hash_is_in_the_acta_hash(ctx, world):
    jpeg = (b"\xff\xd8" + b"\xff\xe1\x00\x10Exif\x00\x00GPS-HERE" + b"\xff\xdb\x00\x04\x00\x00"
            + b"\xff\xda\x00\x02IMAGEDATA\xff\xd9")
    assembly = _get(Assembly, _record(world, scan=jpeg))
    assert assembly.scan_type == "image/jpeg" and b"GPS-HERE" not in assembly.scan and b"IMAGEDATA" in assembly.scan
    assert assembly.acta_sha256 == engine.acta_sha256(assembly.minutes, assembly.scan_sha256)
    with pytest.raises(ValidationFailed) as refused:
        _record(world, scan=b"%PDF-1.7 ...")
    assert refused.value.code == "type"


# --- demands from the assembly -----------------------------------------------------------------------------------

def test_a_demand_from_the_assembly_belongs_to_the_club_and_says_where_it_came_from(app, world, client):
    with app.app_context():
        consultation = _consultation(world)
        consultation.phase = Phase.COLLECTING
        db.session.commit()
        assembly = _cosigned(world)
        demand = services.submit_assembly_demand(assembly, _get(User, world["second"].id), DemandInput(
            "Un centro para las personas mayores", "Lo pidieron en la asamblea.", None, Target.HOMETOWN_MUNICIPALITY,
            Language.ES))
        assert demand.club_id == world["jerez"].id and demand.assembly_id == assembly.id
        demand_id = demand.id
    login(client, world["members"][3])
    page = client.get(f"/demands/{demand_id}").get_data(as_text=True)
    assert "From the assembly of November 28, 2026, 16 members present" in page


# --- the voter roll ------------------------------------------------------------------------------------------------

def test_online_then_paper_the_member_is_not_marked_and_the_officer_is_told_why(ctx, world):
    assembly = _cosigned(world)
    online, paper = world["members"][0], world["members"][1]
    ballots.cast_ballot(_consultation(world), _get(User, online.id), [[world["items"][0]]], [])
    marks = services.mark_paper_voters(assembly, _get(User, world["officer"].id), [online.id, paper.id])
    assert [u.id for u in marks.marked] == [paper.id] and [u.id for u in marks.voted_online] == [online.id]
    cast = db.session.scalar(select(BallotCast).where(BallotCast.user_id == online.id))
    assert cast.assembly_id is None  # the online vote stays online


def test_paper_then_online_the_member_cannot_vote_online(ctx, world):
    assembly = _cosigned(world)
    member = world["members"][2]
    services.mark_paper_voters(assembly, _get(User, world["officer"].id), [member.id])
    with pytest.raises(Conflict) as refused:
        ballots.cast_ballot(_consultation(world), _get(User, member.id), [[world["items"][0]]], [])
    assert refused.value.reason == "voted_on_paper"
    assert db.session.scalar(select(func.count(SealedBallot.id))) == 0


def test_a_paper_mark_that_lands_while_the_online_ballot_is_sealed_wins_and_the_voter_is_told(
        app, world, monkeypatch):
    """The race settled by the roll's unique constraint: the online cast has loaded the member's ballot paper and
    is sealing the ballot when the officer's mark commits; the cast's own row then collides with it."""
    with app.app_context():
        assembly_id = _cosigned(world).id
    member = world["members"][4]
    real = sealing.seal

    def mark_meanwhile(*args):
        other = app.test_request_context()  # another request, with a session of its own, marks the roll
        with other:
            db.session.remove()
            services.mark_paper_voters(_get(Assembly, assembly_id), _get(User, world["officer"].id), [member.id])
            db.session.remove()
        return real(*args)

    monkeypatch.setattr(sealing, "seal", mark_meanwhile)
    with app.app_context():
        with pytest.raises(Conflict) as refused:
            ballots.cast_ballot(_consultation(world), _get(User, member.id), [[world["items"][0]]], [])
        assert refused.value.reason == "voted_on_paper"
        assert db.session.scalar(select(func.count(SealedBallot.id))) == 0
        cast = db.session.scalar(select(BallotCast).where(BallotCast.user_id == member.id))
        assert cast.assembly_id == assembly_id


def test_someone_who_is_not_a_member_of_the_club_cannot_be_marked(ctx, world):
    assembly = _cosigned(world)
    with pytest.raises(ValidationFailed):
        services.mark_paper_voters(assembly, _get(User, world["officer"].id), [world["tlaltes"][0].id])


# --- double entry ---------------------------------------------------------------------------------------------------

def _marked(world, assembly, count):
    services.mark_paper_voters(assembly, _get(User, world["officer"].id),
                               [user.id for user in world["members"][:count]])


def test_two_agreeing_entries_become_one_sealed_ballot_with_no_entry_left(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 3)
    code = engine.new_sheet_code()
    ranking, approved = _sheet_ballot(world, [2, 0, 1, 3])
    first = services.enter_sheet(assembly, _get(User, world["officer"].id), code, ranking, approved)
    assert first.state == "waiting" and db.session.scalar(select(func.count(PaperEntry.id))) == 1
    assert services.entry_state(assembly).waiting == (code,)
    second = services.enter_sheet(assembly, _get(User, world["second"].id), code.lower().replace("-", " "),
                                  ranking, approved)
    assert second.state == "agreed"
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0
    sealed = db.session.scalars(select(SealedBallot)).all()
    assert len(sealed) == 1
    content = sealing.open_sealed(world["consultation_id"], sealed[0].sealed)
    assert content.paper and content.club == world["jerez"].slug and content.gender is None
    assert content.ranking == ranking and content.receipt_hash == ballots.hash_receipt(code)
    assert _get(Assembly, assembly.id).ballots_entered == 1
    with pytest.raises(Conflict) as again:
        services.enter_sheet(assembly, _get(User, world["board"].id), code, ranking, approved)
    assert again.value.reason == "sheet_counted"


def test_the_same_officer_typing_a_sheet_twice_replaces_their_entry_and_still_waits(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 2)
    code = engine.new_sheet_code()
    officer = _get(User, world["officer"].id)
    services.enter_sheet(assembly, officer, code, *_sheet_ballot(world, [0, 1, 2, 3]))
    again = services.enter_sheet(assembly, officer, code, *_sheet_ballot(world, [1, 0, 2, 3]))
    assert again.state == "waiting" and db.session.scalar(select(func.count(PaperEntry.id))) == 1
    assert db.session.scalar(select(func.count(SealedBallot.id))) == 0


def test_conflicting_entries_are_shown_side_by_side_and_one_is_kept(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 2)
    code = engine.new_sheet_code()
    items = world["items"]
    services.enter_sheet(assembly, _get(User, world["officer"].id), code, [[items[0]], [items[1]], [items[2]]],
                         [items[0]])
    outcome = services.enter_sheet(assembly, _get(User, world["second"].id), code,
                                   [[items[1]], [items[0]], [items[2]]], [items[0]])
    assert outcome.state == "conflict"
    state = services.entry_state(assembly)
    (conflict,) = state.conflicts
    assert conflict.sheet == code and set(conflict.differences) == {items[0], items[1]}
    assert len(conflict.entries) == 2 and db.session.scalar(select(func.count(SealedBallot.id))) == 0
    keep = next(entry_id for entry_id, ballot in conflict.entries if ballot.ranking[0] == (items[1],))
    services.resolve_sheet(assembly, _get(User, world["officer"].id), conflict.tag, keep)
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0
    assert db.session.scalar(select(func.count(SealedBallot.id))) == 1
    assert services.entry_state(assembly).conflicts == ()


def test_a_mistyped_sheet_code_is_caught_by_its_check_character(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 1)
    code = engine.new_sheet_code()
    wrong = code[:-1] + next(c for c in engine.SHEET_ALPHABET if c != code[-1])
    with pytest.raises(ValidationFailed) as refused:
        services.enter_sheet(assembly, _get(User, world["officer"].id), wrong, *_sheet_ballot(world, [0, 1, 2, 3]))
    assert refused.value.field == "sheet"


def test_an_assembly_cannot_have_more_paper_ballots_than_members_marked_as_voting_on_paper(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 1)
    for number in range(2):
        code = engine.new_sheet_code()
        services.enter_sheet(assembly, _get(User, world["officer"].id), code, *_sheet_ballot(world, [0, 1, 2, 3]))
        if number == 0:
            services.enter_sheet(assembly, _get(User, world["second"].id), code, *_sheet_ballot(world, [0, 1, 2, 3]))
        else:
            with pytest.raises(Conflict) as refused:
                services.enter_sheet(assembly, _get(User, world["second"].id), code,
                                     *_sheet_ballot(world, [0, 1, 2, 3]))
            assert refused.value.reason == "more_ballots_than_voters"
    assert db.session.scalar(select(func.count(SealedBallot.id))) == 1


def test_paper_ballots_are_typed_only_while_voting_is_open(ctx, world):
    assembly = _cosigned(world)
    consultation = _consultation(world)
    consultation.phase = Phase.DELIBERATING
    db.session.commit()
    with pytest.raises(PhaseClosed):
        services.mark_paper_voters(assembly, _get(User, world["officer"].id), [world["members"][0].id])


# --- one count ------------------------------------------------------------------------------------------------------

def _paper(world, assembly, orders, club_officers=("officer", "second")) -> list[str]:
    codes = []
    for order in orders:
        code = engine.new_sheet_code()
        for who in club_officers:
            services.enter_sheet(assembly, _get(User, world[who].id), code, *_sheet_ballot(world, order))
        codes.append(code)
    return codes


def _close(world):
    advance_phase(_consultation(world), _get(User, world["board"].id), Phase.VOTING, Phase.TALLIED)


def test_paper_ballots_join_their_clubs_count_and_the_split_is_labelled(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 6)
    _paper(world, assembly, [[2, 0, 1, 3]] * 6)
    consultation = _consultation(world)
    for user in world["members"][6:12]:
        ballots.cast_ballot(consultation, _get(User, user.id), [[world["items"][0]], [world["items"][1]]], [])
    for user in world["tlaltes"]:
        ballots.cast_ballot(consultation, _get(User, user.id), [[world["items"][1]]], [world["items"][1]])
    _close(world)
    box = _get(BallotBox, world["consultation_id"])
    assert box.clubs[world["jerez"].slug]["paper"] == 6 and "paper" not in box.clubs[world["tlalte"].slug]
    channels = db.session.execute(select(Ballot.group, Ballot.channel)).all()
    assert sorted(c for g, c in channels if g == world["jerez"].slug) == ["online"] * 6 + ["paper"] * 6
    assert {c for g, c in channels if g == world["tlalte"].slug} == {None}
    document = ballots.official_tally_input(consultation)
    assert sum(1 for b in document["ballots"] if b.get("paper")) == 6
    tally = ballots.official_tally(consultation)
    assert tally.result["clubs"][world["jerez"].slug]["voters"] == 12
    # the recount from the published document gives the stored count, paper ballots included
    assert recount(document).to_dict() == tally.result


def test_a_small_split_is_not_shown_and_the_ballots_carry_no_channel(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 3)
    _paper(world, assembly, [[0, 1, 2, 3]] * 3)
    consultation = _consultation(world)
    for user in world["members"][3:10]:
        ballots.cast_ballot(consultation, _get(User, user.id), [[world["items"][1]]], [])
    _close(world)
    box = _get(BallotBox, world["consultation_id"])
    assert box.clubs[world["jerez"].slug]["paper"] is None
    assert db.session.scalars(select(Ballot.channel)).all() == [None] * 10
    assert not any("paper" in b for b in ballots.official_tally_input(consultation)["ballots"])


def test_a_paper_only_club_is_counted_and_labelled_all_on_paper(ctx, world):
    assembly = _cosigned(world, club="solo", by="solo_officer", cosigner="board")
    for user in world["solos"]:
        _get(User, user.id).gender = Gender.WOMAN
    db.session.commit()
    services.mark_paper_voters(assembly, _get(User, world["solo_officer"].id), [u.id for u in world["solos"]])
    codes = _paper(world, assembly, [[3, 2, 1, 0]] * 6, club_officers=("solo_officer", "board"))
    consultation = _consultation(world)
    for user in world["tlaltes"]:
        ballots.cast_ballot(consultation, _get(User, user.id), [[world["items"][1]]], [])
    _close(world)
    box = _get(BallotBox, world["consultation_id"])
    assert box.clubs[world["solo"].slug]["paper"] == 6
    assert box.turnout["woman"] == 6  # paper voters' genders come from the roll, never from their ballots
    view = ballots.results_view(consultation, Count.from_dict(ballots.official_tally(consultation).result))
    row = next(row for row in view["clubs"] if row["slug"] == world["solo"].slug)
    assert row["voters"] == 6 and row["channels"].paper == 6 and row["channels"].online == 0
    # a paper voter who kept their sheet's code finds it among the counted receipts
    assert all(ballots.receipt_counted(consultation, code.lower()) for code in codes)


def test_entries_never_agreed_on_are_dropped_at_the_close(ctx, world):
    assembly = _cosigned(world)
    _marked(world, assembly, 1)
    services.enter_sheet(assembly, _get(User, world["officer"].id), engine.new_sheet_code(),
                         *_sheet_ballot(world, [0, 1, 2, 3]))
    for user in world["tlaltes"]:
        ballots.cast_ballot(_consultation(world), _get(User, user.id), [[world["items"][1]]], [])
    _close(world)
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0
    assert db.session.scalar(select(func.count(Ballot.id))) == 8


# --- HTTP, per role ------------------------------------------------------------------------------------------------

def _client(app: Flask, user, language="en"):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    login(browser, user)
    return browser


def test_the_pages_answer_each_role(app, world):
    with app.app_context():
        assembly_id = _record(world)
    cid = world["consultation_id"]
    member, officer = _client(app, world["members"][0]), _client(app, world["officer"])
    outsider = _client(app, world["outsider"])
    anonymous = app.test_client()
    assert member.get(f"/consultations/{cid}/assemblies").status_code == 200
    assert outsider.get(f"/consultations/{cid}/assemblies").status_code == 403
    assert anonymous.get(f"/consultations/{cid}/assemblies").status_code == 302
    assert member.get(f"/consultations/{cid}/assemblies/new").status_code == 403
    assert officer.get(f"/consultations/{cid}/assemblies/new").status_code == 200
    assert member.get(f"/assemblies/{assembly_id}").status_code == 200
    assert outsider.get(f"/assemblies/{assembly_id}").status_code == 403
    assert member.get(f"/assemblies/{assembly_id}/roll").status_code == 403
    assert officer.get(f"/assemblies/{assembly_id}/roll").status_code == 403  # not co-signed yet
    assert member.get(f"/assemblies/{assembly_id}/sheets/print?sheets=2&language=es").status_code == 403
    assert officer.get("/assemblies/2147483648").status_code == 404
    assert officer.get("/assemblies/999999").status_code == 404
    response = member.post(f"/assemblies/{assembly_id}/cosign", follow_redirects=True)
    assert "Only an officer of the club, or a board member, can do this." in response.get_data(as_text=True)
    assert member.post(f"/assemblies/{assembly_id}/sheets/enter", data={"sheet": "x"}).status_code == 403
    assert member.post(f"/assemblies/{assembly_id}/roll", data={"member": "1"}).status_code == 403
    assert outsider.get(f"/assemblies/{assembly_id}/sheets/print?sheets=2").status_code == 403
    assert officer.get(f"/assemblies/{assembly_id}/sheets/print?sheets=100000000000000000000").status_code == 422
    assert officer.get(f"/assemblies/{assembly_id}/sheets/print?sheets=abc").status_code == 422
    assert officer.get(f"/assemblies/{assembly_id}/scan").status_code == 404  # no scan was sent
    with app.app_context():
        services.cosign_assembly(_get(Assembly, assembly_id), _get(User, world["board"].id))
    assert officer.get(f"/assemblies/{assembly_id}/sheets/enter?sheet=" + "A" * 500).status_code == 422
    assert officer.post(f"/assemblies/{assembly_id}/sheets/resolve", data={"sheet_tag": "x", "entry": "y"},
                        follow_redirects=True).status_code == 200
    response = officer.post(f"/assemblies/{assembly_id}/roll", data={"member": ["abc", "99999999999999"]},
                            follow_redirects=True)
    assert response.status_code == 200


def test_an_officer_records_a_second_cosigns_marks_and_both_type_a_sheet_over_http(app, world):
    cid = world["consultation_id"]
    officer, second = _client(app, world["officer"]), _client(app, world["second"])
    page = officer.get(f"/consultations/{cid}/assemblies/new").get_data(as_text=True)
    assert "Record the assembly" in page
    response = officer.post(f"/consultations/{cid}/assemblies/new", data={
        "club_id": str(world["jerez"].id), "held_on": "2026-11-28", "place": "Salón",
        "members_present": "16", "minutes": "Acta de la asamblea.",
        "scan": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10), "acta.png")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "cannot be read" in response.get_data(as_text=True)
    response = officer.post(f"/consultations/{cid}/assemblies/new", data={
        "club_id": str(world["jerez"].id), "held_on": "2026-11-28", "place": "Salón",
        "members_present": "16", "minutes": "Acta de la asamblea."})
    assert response.status_code == 302
    assembly_url = response.location
    page = second.get(assembly_url).get_data(as_text=True)
    assert "Co-sign this record" in page
    assert second.post(assembly_url + "/cosign", data={}).status_code == 302
    page = officer.get(assembly_url + "/roll").get_data(as_text=True)
    online = world["members"][0]
    with app.app_context():
        ballots.cast_ballot(_consultation(world), _get(User, online.id), [[world["items"][0]]], [])
    response = officer.post(assembly_url + "/roll", data={"member": [
        str(online.id), str(world["members"][1].id)]}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Marked as voting on paper: Jerez 01." in text and "already voted online: Jerez 00" in text
    printed = officer.get(assembly_url + "/sheets/print?sheets=3&language=es").get_data(as_text=True)
    assert printed.count('class="paper-sheet"') == 3 and "Boleta en papel" in printed
    code = printed.split('class="sheet-code">')[1].split("<")[0]
    page = officer.get(assembly_url + f"/sheets/enter?sheet={code}").get_data(as_text=True)
    order = [int(part.split('"')[0]) for part in page.split('name="rank_')[1:]]
    with app.app_context():
        assert order == engine.sheet_order(code, world["items"])
    boxes = {f"rank_{item}": str(position) for position, item in enumerate(order, start=1)}
    assert officer.post(assembly_url + "/sheets/enter", data={"sheet": code, **boxes,
                                                              f"support_{order[0]}": "1"}).status_code == 302
    page = second.get(assembly_url + f"/sheets/enter?sheet={code}").get_data(as_text=True)
    response = second.post(assembly_url + "/sheets/enter", data={"sheet": code, **boxes,
                                                                 f"support_{order[0]}": "1"}, follow_redirects=True)
    assert "both entries agree" in response.get_data(as_text=True)
    bad = officer.get(assembly_url + "/sheets/enter?sheet=ABCD-EFGH-2")
    assert bad.status_code == 422 and "not valid" in bad.get_data(as_text=True)
    paper_voter = _client(app, world["members"][1])
    response = paper_voter.get(f"/consultations/{cid}/ballot", follow_redirects=True)
    assert "You voted on paper at your club’s assembly" in response.get_data(as_text=True)
    page = paper_voter.get(f"/consultations/{cid}").get_data(as_text=True)
    assert "You voted on paper at your club’s assembly" in page and f'/consultations/{cid}/ballot"' not in page
