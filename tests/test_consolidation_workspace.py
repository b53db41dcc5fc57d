"""The board's consolidation workspace: suggestions, agenda items with provenance and objections."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberate.consolidation import objections, services, suggestions
from deliberate.domain.consolidation import confidence
from deliberate.domain.errors import Conflict, PhaseClosed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import AuditEntry, Consultation, Demand, Language, Notification, Reaction, User
from deliberate.models.agenda import AgendaItem, DemandPlacement, Objection, PlacementStatus
from tests.factories import login

TEXTS = [
    ("Pavimentar la calle principal de Jerez", Language.ES),
    ("Pave the main street in Jerez", Language.EN),
    ("Pavimentación de la calle principal en Jerez", Language.ES),
    ("Un médico para la clínica de Tlaltenango", Language.ES),
    ("A doctor for the Tlaltenango clinic", Language.EN),
    ("Becas para estudiantes de preparatoria", Language.ES),
]
STATUS_BOARD = {"anonymous": 302, "outsider": 403, "member": 403, "officer": 403, "board": 200}


@pytest.fixture
def world(federation_world):
    return federation_world


def make(app, world, phase: Phase = Phase.CONSOLIDATING, hidden: int | None = None) -> dict:
    """Create a consultation with six demands by the member, officer and other-club member."""
    with app.app_context():
        consultation = Consultation(federation_id=world["federation"].id, title_es="Agenda 2027",
                                    title_en="2027 agenda", phase=phase)
        db.session.add(consultation)
        db.session.flush()
        authors = [world["member"], world["officer"], world["other_club_member"]]
        clubs = [world["club"], world["club"], world["other_club"]]
        ids = []
        for n, (title, language) in enumerate(TEXTS):
            demand = Demand(consultation_id=consultation.id, author_id=authors[n % 3].id, club_id=clubs[n % 3].id,
                            title=title, body="", language=language)
            if n == hidden:
                demand.hidden_at = consultation.phase_changed_at
            db.session.add(demand)
            db.session.flush()
            ids.append(demand.id)
        db.session.commit()
        return {"consultation": consultation.id, "demands": ids}


def as_role(client, world, role):
    if role != "anonymous":
        login(client, world[role])
    return client


def user(world, role) -> User:
    return db.session.get(User, world[role].id)


def placed_once(consultation_id: int) -> dict[int, DemandPlacement]:
    rows = db.session.scalars(select(DemandPlacement).where(DemandPlacement.consultation_id == consultation_id))
    result: dict[int, DemandPlacement] = {}
    for row in rows:
        assert row.demand_id not in result
        result[row.demand_id] = row
    return result


def accept(consultation_id, board, demand_ids, title="Calles"):
    consultation = db.session.get(Consultation, consultation_id)
    return services.accept_cluster(consultation, board, demand_ids, title_es=title, title_en=title + " (en)")


# --- permissions and phases ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(STATUS_BOARD))
def test_only_the_board_opens_the_workspace(app, client, world, role):
    data = make(app, world)
    response = as_role(client, world, role).get(f"/consultations/{data['consultation']}/consolidation")
    assert response.status_code == STATUS_BOARD[role]


@pytest.mark.parametrize("role", ["outsider", "member", "officer"])
def test_people_outside_the_board_cannot_accept_a_group(app, client, world, role):
    data = make(app, world)
    response = as_role(client, world, role).post(
        f"/consultations/{data['consultation']}/consolidation/accept",
        data={"demand_ids": data["demands"][:2], "title_es": "Calles"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 0


def test_board_actions_are_refused_outside_consolidating_with_a_clear_message(app, client, world):
    data = make(app, world, phase=Phase.COLLECTING)
    login(client, world["board"])
    response = client.post(f"/consultations/{data['consultation']}/consolidation/accept",
                           data={"demand_ids": data["demands"][:2], "title_es": "Calles"}, follow_redirects=True)
    assert "only while the consultation is consolidating" in response.get_data(as_text=True)
    response = client.post(f"/consultations/{data['consultation']}/consolidation/suggestions", follow_redirects=True)
    assert "Nothing was changed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 0
        with pytest.raises(PhaseClosed):
            accept(data["consultation"], user(world, "board"), data["demands"][:1])


@pytest.mark.parametrize(("role", "status"), [("anonymous", 302), ("outsider", 403), ("member", 200),
                                               ("board", 200)])
def test_members_of_the_federation_read_an_item_while_consolidating(app, client, world, role, status):
    data = make(app, world)
    with app.app_context():
        item = accept(data["consultation"], user(world, "board"), data["demands"][:3])
        item_id = item.id
    assert as_role(client, world, role).get(f"/agenda-items/{item_id}").status_code == status
    assert client.get(f"/consultations/{data['consultation']}/items").status_code == status


def test_the_public_reads_items_after_consolidating(app, client, world):
    data = make(app, world)
    with app.app_context():
        item_id = accept(data["consultation"], user(world, "board"), data["demands"][:3]).id
        db.session.get(Consultation, data["consultation"]).phase = Phase.DELIBERATING
        db.session.commit()
    page = client.get(f"/agenda-items/{item_id}")
    assert page.status_code == 200
    assert "Pave the main street in Jerez" in page.get_data(as_text=True)
    assert f"/demands/{data['demands'][0]}\"" not in page.get_data(as_text=True)  # demand pages are for members


# --- suggestions --------------------------------------------------------------------------------------------------

def test_suggestions_group_visible_demands_and_skip_hidden_ones(app, client, world):
    data = make(app, world, hidden=5)
    login(client, world["board"])
    response = client.post(f"/consultations/{data['consultation']}/consolidation/suggestions",
                           follow_redirects=True)
    assert "The suggestions were updated" in response.get_data(as_text=True)
    with app.app_context():
        suggestion = suggestions.suggestion_of(db.session.get(Consultation, data["consultation"]))
        flat = sorted(i for group in suggestion.clusters for i in group)
        assert flat == sorted(data["demands"][:5])
        jerez = next(g for g in suggestion.clusters if data["demands"][0] in g)
        assert set(data["demands"][:3]) <= set(jerez)
        assert data["demands"][3] not in jerez
    page = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    assert "Pave the main street in Jerez" in page and "Becas para estudiantes" not in page


def test_rerunning_suggestions_keeps_accepted_work(app, world):
    data = make(app, world)
    with app.app_context():
        board = user(world, "board")
        consultation = db.session.get(Consultation, data["consultation"])
        suggestions.refresh_suggestions(consultation, board)
        item = accept(data["consultation"], board, data["demands"][:3])
        suggestion = suggestions.refresh_suggestions(consultation, board)
        flat = {i for group in suggestion.clusters for i in group}
        assert flat == set(data["demands"][3:])
        assert {p.agenda_item_id for p in placed_once(consultation.id).values()} == {item.id}
        assert len(placed_once(consultation.id)) == 3


# --- the board's actions ------------------------------------------------------------------------------------------

def test_accepting_a_group_links_its_demands_notifies_authors_and_is_audited(app, client, world):
    data = make(app, world)
    login(client, world["board"])
    response = client.post(f"/consultations/{data['consultation']}/consolidation/accept", data={
        "demand_ids": data["demands"][:3], "title_es": "Pavimentar la calle de Jerez",
        "title_en": "Pave Jerez's main street", "summary_es": "Tres clubes", "summary_en": "Three clubs"})
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(AgendaItem))
        assert (item.title_es, item.title_en) == ("Pavimentar la calle de Jerez", "Pave Jerez's main street")
        assert set(placed_once(data["consultation"])) == set(data["demands"][:3])
        notes = db.session.scalars(select(Notification).where(Notification.kind == "demand_linked")).all()
        assert {n.user_id for n in notes} == {world["member"].id, world["officer"].id, world["other_club_member"].id}
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consolidation.accept")).actor_id \
            == world["board"].id
    login(client, world["member"])
    listing = client.get("/notifications").get_data(as_text=True)
    assert "linked your demand" in listing


def test_accepting_without_a_title_keeps_the_text_and_says_why(app, client, world):
    data = make(app, world)
    login(client, world["board"])
    response = client.post(f"/consultations/{data['consultation']}/consolidation/accept", data={
        "demand_ids": data["demands"][:2], "title_es": "", "title_en": "", "summary_es": "Mi resumen"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Mi resumen" in text and "This field is required" in text
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 0


def test_accepting_demands_already_placed_is_a_stale_form_that_changes_nothing(app, client, world):
    data = make(app, world)
    with app.app_context():
        accept(data["consultation"], user(world, "board"), data["demands"][:2])
    login(client, world["board"])
    response = client.post(f"/consultations/{data['consultation']}/consolidation/accept",
                           data={"demand_ids": data["demands"][1:3], "title_es": "Otra"}, follow_redirects=True)
    assert "already been placed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 1
        assert set(placed_once(data["consultation"])) == set(data["demands"][:2])


def test_merge_moves_links_and_keeps_the_source_item(app, client, world):
    data = make(app, world)
    with app.app_context():
        board = user(world, "board")
        a = accept(data["consultation"], board, data["demands"][:2]).id
        b = accept(data["consultation"], board, data["demands"][2:3], title="Pavimentación").id
    login(client, world["board"])
    response = client.post(f"/agenda-items/{b}/merge", data={"target_id": a}, follow_redirects=True)
    assert "was merged into" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AgendaItem, b).merged_into_id == a
        assert {p.agenda_item_id for p in placed_once(data["consultation"]).values()} == {a}
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 2
        assert [i.id for i in services.active_items(db.session.get(Consultation, data["consultation"]))] == [a]
    again = client.post(f"/agenda-items/{b}/merge", data={"target_id": a}, follow_redirects=True)
    assert "already been merged" in again.get_data(as_text=True)
    merged_page = client.get(f"/agenda-items/{b}").get_data(as_text=True)
    assert "was merged into another one" in merged_page


def test_split_move_own_and_out_of_scope_keep_every_demand_placed_exactly_once(app, client, world):
    data = make(app, world)
    d = data["demands"]
    with app.app_context():
        board = user(world, "board")
        first = accept(data["consultation"], board, d[:5]).id
    login(client, world["board"])
    assert client.post(f"/agenda-items/{first}/split", data={
        "demand_ids": [d[3], d[4]], "title_es": "Médico para la clínica", "title_en": "A doctor"}).status_code == 302
    with app.app_context():
        second = db.session.get(DemandPlacement, placed_once(data["consultation"])[d[3]].id).agenda_item_id
    assert second != first
    assert client.post(f"/demands/{d[2]}/placement/move",
                       data={"target_id": second, "expected": f"item:{first}"}).status_code == 302
    assert client.post(f"/demands/{d[5]}/placement/own", data={"expected": ""}).status_code == 302
    assert client.post(f"/demands/{d[2]}/placement/out-of-scope",
                       data={"reason": "Ya lo hace el municipio", "expected": f"item:{second}"}).status_code == 302
    with app.app_context():
        placed = placed_once(data["consultation"])
        assert set(placed) == set(d)
        assert placed[d[2]].status is PlacementStatus.OUT_OF_SCOPE and placed[d[2]].agenda_item_id is None
        assert placed[d[5]].status is PlacementStatus.OWN_ITEM
        assert {placed[d[0]].agenda_item_id, placed[d[1]].agenda_item_id} == {first}
        assert db.session.scalar(select(func.count(Demand.id))) == len(d)
        assert db.session.get(Demand, d[2]).title == TEXTS[2][0]  # never rewritten
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"consolidation.split", "consolidation.move", "consolidation.own",
                "consolidation.out_of_scope"} <= actions
    page = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    assert "Ya lo hace el municipio" in page
    log = client.get(f"/consultations/{data['consultation']}/consolidation/log").get_data(as_text=True)
    assert "Demand set aside" in log and "Board B" in log


def test_keeping_a_demand_alone_in_its_own_item_again_is_refused_and_makes_no_empty_item(app, client, world):
    data = make(app, world)
    d = data["demands"]
    login(client, world["board"])
    assert client.post(f"/demands/{d[0]}/placement/own", data={"expected": ""}).status_code == 302
    with app.app_context():
        item = placed_once(data["consultation"])[d[0]].agenda_item_id
        items_before = db.session.scalar(select(func.count(AgendaItem.id)))
    page = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    article = page[page.index(f'id="item-{item}"'):]
    article = article[:article.index("</article>")]
    assert "Keep as an item of its own" not in article  # not offered where it would empty the item
    again = client.post(f"/demands/{d[0]}/placement/own", data={"expected": f"item:{item}"}, follow_redirects=True)
    assert "already the only one in its agenda item" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AgendaItem.id))) == items_before


def test_a_stale_move_changes_nothing(app, client, world):
    data = make(app, world)
    d = data["demands"]
    with app.app_context():
        board = user(world, "board")
        a = accept(data["consultation"], board, d[:2]).id
        b = accept(data["consultation"], board, d[2:3]).id
        c = accept(data["consultation"], board, d[3:4]).id
        consultation = db.session.get(Consultation, data["consultation"])
        services.move_demand(db.session.get(Demand, d[0]), db.session.get(AgendaItem, b), board, f"item:{a}")
        with pytest.raises(Conflict):
            services.move_demand(db.session.get(Demand, d[0]), db.session.get(AgendaItem, c), board, f"item:{a}")
        assert consultation is not None
    login(client, world["board"])
    response = client.post(f"/demands/{d[0]}/placement/move", data={"target_id": c, "expected": f"item:{a}"},
                           follow_redirects=True)
    assert "out of date" in response.get_data(as_text=True)
    with app.app_context():
        assert placed_once(data["consultation"])[d[0]].agenda_item_id == b


def test_out_of_scope_without_a_reason_is_refused_and_keeps_nothing_half_done(app, client, world):
    data = make(app, world)
    login(client, world["board"])
    response = client.post(f"/demands/{data['demands'][5]}/placement/out-of-scope", data={"reason": "", "expected": ""})
    assert response.status_code == 422
    with app.app_context():
        assert placed_once(data["consultation"]) == {}


# --- provenance ---------------------------------------------------------------------------------------------------

def test_an_item_counts_clubs_and_members_who_wrote_or_agreed(app, client, world):
    data = make(app, world)
    with app.app_context():
        db.session.add(Reaction(demand_id=data["demands"][0], user_id=world["board"].id, value=1))
        db.session.add(Reaction(demand_id=data["demands"][0], user_id=world["officer"].id, value=1))
        db.session.add(Reaction(demand_id=data["demands"][1], user_id=world["admin"].id, value=-1))
        db.session.commit()
        item = accept(data["consultation"], user(world, "board"), data["demands"][:3])
        numbers = services.provenance(item)
        assert (numbers.demand_count, numbers.club_count, numbers.clubs_in_federation) == (3, 2, 2)
        assert (numbers.author_count, numbers.member_count) == (3, 4)
        item_id = item.id
    login(client, world["member"])
    page = client.get(f"/agenda-items/{item_id}").get_data(as_text=True)
    assert "Raised by 2 of 2 clubs" in page and "4 members" in page and "Club Jerez" in page
    assert f"/demands/{data['demands'][0]}" in page


def test_the_spanish_item_page_speaks_spanish(app, client, world):
    data = make(app, world)
    with app.app_context():
        item_id = accept(data["consultation"], user(world, "board"), data["demands"][:3]).id
        user(world, "member").locale = "es"
        db.session.commit()
    login(client, world["member"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = client.get(f"/agenda-items/{item_id}").get_data(as_text=True)
    assert "Planteado por 2 de 2 clubes" in page


# --- objections ---------------------------------------------------------------------------------------------------

def test_an_author_objects_within_the_window_and_reads_the_board_answer(app, client, world):
    data = make(app, world)
    demand_id = data["demands"][0]  # written by the member
    with app.app_context():
        accept(data["consultation"], user(world, "board"), data["demands"][:2])
    login(client, world["member"])
    page = client.get(f"/demands/{demand_id}/placement").get_data(as_text=True)
    assert "Object to this placement" in page
    response = client.post(f"/demands/{demand_id}/placement/objection", data={"text": "Es otra calle"})
    assert response.status_code == 302
    login(client, world["officer"])  # not the author
    assert client.post(f"/demands/{demand_id}/placement/objection", data={"text": "Yo también"}).status_code == 403
    login(client, world["board"])
    workspace = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    assert "Es otra calle" in workspace
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id))
    client.post(f"/objections/{objection_id}/answer", data={"answer": "Es la misma calle principal"})
    again = client.post(f"/objections/{objection_id}/answer", data={"answer": "Otra vez"}, follow_redirects=True)
    assert "out of date" in again.get_data(as_text=True)
    login(client, world["member"])
    page = client.get(f"/demands/{demand_id}/placement").get_data(as_text=True)
    assert "Es la misma calle principal" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Objection.id))) == 1
        kinds = [n.params.get("status") for n in db.session.scalars(
            select(Notification).where(Notification.user_id == world["member"].id,
                                       Notification.kind == "demand_linked"))]
        assert "answered" in kinds


def test_objections_after_the_window_are_refused(app, client, world):
    data = make(app, world)
    demand_id = data["demands"][0]
    with app.app_context():
        accept(data["consultation"], user(world, "board"), data["demands"][:1])
        placement = db.session.scalar(select(DemandPlacement))
        placement.placed_at = placement.placed_at - timedelta(days=8)
        db.session.commit()
    login(client, world["member"])
    assert "time to object" in client.get(f"/demands/{demand_id}/placement").get_data(as_text=True)
    response = client.post(f"/demands/{demand_id}/placement/objection", data={"text": "Tarde"},
                           follow_redirects=True)
    assert "time to object to this placement has passed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_the_board_sets_the_objection_window_and_it_applies_to_placements(app, client, world):
    data = make(app, world)
    demand_id = data["demands"][0]
    with app.app_context():
        accept(data["consultation"], user(world, "board"), data["demands"][:1])
        placement = db.session.scalar(select(DemandPlacement))
        placement.placed_at = placement.placed_at - timedelta(days=8)
        db.session.commit()
    login(client, world["member"])
    assert client.post(f"/consultations/{data['consultation']}/consolidation/window",
                       data={"days": 10}).status_code == 403
    login(client, world["board"])
    bad = client.post(f"/consultations/{data['consultation']}/consolidation/window", data={"days": 0},
                      follow_redirects=True)
    assert "between 1 and 60" in bad.get_data(as_text=True)
    client.post(f"/consultations/{data['consultation']}/consolidation/window", data={"days": 10})
    login(client, world["member"])
    assert client.post(f"/demands/{demand_id}/placement/objection", data={"text": "A tiempo"}).status_code == 302
    with app.app_context():
        assert db.session.get(Consultation, data["consultation"]).objection_days == 10
        assert db.session.scalar(select(func.count(Objection.id))) == 1


def test_the_board_edits_an_item_and_bad_input_keeps_the_text(app, client, world):
    data = make(app, world)
    with app.app_context():
        item_id = accept(data["consultation"], user(world, "board"), data["demands"][:2]).id
    login(client, world["board"])
    assert client.get(f"/agenda-items/{item_id}/edit").status_code == 200
    bad = client.post(f"/agenda-items/{item_id}/edit", data={"title_es": "", "title_en": "", "summary_es": "Guardado"})
    assert bad.status_code == 422 and "Guardado" in bad.get_data(as_text=True)
    assert client.post(f"/agenda-items/{item_id}/edit", data={"title_es": "Calles de Jerez",
                                                             "title_en": "Jerez streets"}).status_code == 302
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        assert (item.title_es, item.title_en) == ("Calles de Jerez", "Jerez streets")
        assert len(placed_once(data["consultation"])) == 2


def test_active_items_lists_live_items_with_demands_for_the_ballot(app, world):
    data = make(app, world)
    d = data["demands"]
    with app.app_context():
        board = user(world, "board")
        a = accept(data["consultation"], board, d[:2])
        b = accept(data["consultation"], board, d[2:3])
        c = accept(data["consultation"], board, d[3:4])
        services.move_demand(db.session.get(Demand, d[3]), a, board, f"item:{c.id}")  # c is left empty
        services.merge_items(b, a, board)
        consultation = db.session.get(Consultation, data["consultation"])
        assert [i.id for i in services.active_items(consultation)] == [a.id]
        assert db.session.scalar(select(func.count(AgendaItem.id))) == 3


# --- the log, in the reader's language -----------------------------------------------------------------------------

def _log_world(app, world) -> tuple[int, list[int], int, int]:
    """Accept a group, set a demand aside, move one, change the window; add an entry written in the older English."""
    data = make(app, world)
    d = data["demands"]
    with app.app_context():
        board = user(world, "board")
        first = accept(data["consultation"], board, d[:3])
        second = accept(data["consultation"], board, d[3:4])
        services.move_demand(db.session.get(Demand, d[2]), second, board, f"item:{first.id}")
        services.set_out_of_scope(db.session.get(Demand, d[5]), board, "Ya lo hace el municipio", "")
        objections.set_objection_days(db.session.get(Consultation, data["consultation"]), board, 10)
        db.session.add(AuditEntry(organization_id=world["federation"].id, actor_id=board.id,
                                  action="consolidation.edit", subject="Calles",
                                  detail=f"consultation {data['consultation']}: item #{first.id} edited"))
        db.session.commit()
        return data["consultation"], d, first.id, second.id


def _reading_in(app, world, locale: str) -> None:
    with app.app_context():
        user(world, "board").locale = locale
        db.session.commit()


def test_the_consolidation_log_tells_each_action_in_english(app, client, world):
    consultation_id, d, first, second = _log_world(app, world)
    _reading_in(app, world, "en")
    login(client, world["board"])
    page = client.get(f"/consultations/{consultation_id}/consolidation/log").get_data(as_text=True)
    assert f"Item #{first} created, linking demands #{d[0]}, #{d[1]}, #{d[2]}." in page
    assert f"Demand #{d[2]} moved from item #{first} to item #{second}." in page
    assert f"Demand #{d[5]} set aside: Ya lo hace el municipio" in page
    assert "Objection window set to 10 days." in page
    assert f'<p class="cons-demand-meta muted" lang="en">item #{first} edited</p>' in page  # the older entry
    assert page.count('muted" lang="en"') == 1  # only the older entry: the new ones are in the page's language
    assert '{"consultation"' not in page


def test_the_consolidation_log_tells_each_action_in_spanish(app, client, world):
    consultation_id, d, first, second = _log_world(app, world)
    _reading_in(app, world, "es")
    login(client, world["board"])
    page = client.get(f"/consultations/{consultation_id}/consolidation/log").get_data(as_text=True)
    assert f"Punto #{first} creado; vincula las demandas #{d[0]}, #{d[1]}, #{d[2]}." in page
    assert f"Demanda #{d[2]} movida del punto #{first} al punto #{second}." in page
    assert f"Demanda #{d[5]} apartada: Ya lo hace el municipio" in page
    assert "Plazo para objetar: 10 días." in page
    assert "created, linking" not in page and "set aside" not in page and "moved from" not in page
    assert f'lang="en">item #{first} edited</p>' in page  # an older entry is still shown, marked as English
    assert '{"consultation"' not in page


def test_the_consolidation_log_lists_only_its_own_consultation(app, client, world):
    consultation_id, _d, _first, _second = _log_world(app, world)
    other = make(app, world)
    with app.app_context():
        accept(other["consultation"], user(world, "board"), other["demands"][:1])
        consultation = db.session.get(Consultation, consultation_id)
        assert len(services.audit_log(consultation)) == 6  # five actions and the older entry
        assert len(services.audit_log(db.session.get(Consultation, other["consultation"]))) == 1


# --- how sure the engine is ---------------------------------------------------------------------------------------

def _checked(page: str, demand_id: int) -> bool:
    match = re.search(rf'<input type="checkbox" name="demand_ids" value="{demand_id}" id="c\d+-d{demand_id}"'
                      rf' form="accept-\d+"( checked)?>', page)
    assert match, demand_id
    return match.group(1) is not None


def test_the_workspace_preselects_only_the_groups_the_engine_is_sure_of(app, client, world, monkeypatch):
    data = make(app, world)
    login(client, world["board"])
    client.post(f"/consultations/{data['consultation']}/consolidation/suggestions")
    page = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    jerez, clinic, scholarships = data["demands"][:3], data["demands"][3:5], data["demands"][5]
    assert all(_checked(page, d) for d in jerez + clinic)
    assert not _checked(page, scholarships)  # a demand alone is never pre-selected
    assert "How sure the engine is that these demands ask for the same thing: high (100%)" in page
    assert "How sure the engine is that no other demand asks for the same thing" in page
    assert page.count("Sure it belongs in this group: high") == 5
    # The same groups, had the engine been less sure of them, come unchecked: the board checks them itself.
    monkeypatch.setattr(confidence, "CONFIDENT", 1.01)
    page = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    assert not any(_checked(page, d) for d in data["demands"])
    assert "How sure the engine is that these demands ask for the same thing: high (100%)" in page


def test_the_workspace_tells_how_sure_the_engine_is_in_spanish(app, client, world):
    data = make(app, world)
    _reading_in(app, world, "es")
    login(client, world["board"])
    client.post(f"/consultations/{data['consultation']}/consolidation/suggestions")
    page = client.get(f"/consultations/{data['consultation']}/consolidation").get_data(as_text=True)
    assert "Certeza del motor de que estas demandas piden lo mismo: alta (100 %)" in page
    assert "Certeza de que pertenece a este grupo: alta" in page
    assert "marca tú las demandas" in page


def test_the_ratings_follow_the_demands_still_to_place(app, world):
    data = make(app, world)
    with app.app_context():
        board = user(world, "board")
        consultation = db.session.get(Consultation, data["consultation"])
        suggestions.refresh_suggestions(consultation, board)
        accept(data["consultation"], board, data["demands"][:3])
        demands = services.visible_demands(consultation)
        groups = suggestions.suggested_groups(consultation, demands, services.placements(consultation))
        assert [[d.id for d in g.demands] for g in groups] == [data["demands"][3:5], data["demands"][5:]]
        assert all(0.0 <= g.confidence <= 1.0 for g in groups)
        assert set(groups[0].demand_confidence) == set(data["demands"][3:5])
        assert groups[0].is_confident and not groups[1].is_confident


def test_an_item_titled_in_one_language_is_marked_translation_pending_until_translated(app, client, world):
    data = make(app, world)
    d = data["demands"]
    login(client, world["board"])
    client.post(f"/demands/{d[0]}/placement/own", data={"expected": ""})
    with app.app_context():
        item = db.session.get(AgendaItem, placed_once(data["consultation"])[d[0]].agenda_item_id)
        assert item.is_translation_pending
        item_id, title = item.id, item.title_es or item.title_en
    assert "translation pending" in client.get(f"/consultations/{data['consultation']}/consolidation").get_data(
        as_text=True)
    client.post(f"/agenda-items/{item_id}/edit", data={"title_es": title, "title_en": "Drinking water",
                                                       "summary_es": "", "summary_en": ""})
    assert "translation pending" not in client.get(f"/agenda-items/{item_id}").get_data(as_text=True)
