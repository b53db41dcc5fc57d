"""Reactions: agree / disagree / pass per member and demand, the react flow, counts, concurrency and privacy.

Decided: authors may react to their own demands (as in Polis); only members with an active club membership in the
federation take part; an individual's reaction is shown to that person only.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from deliberate.deliberation import services
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Consultation, Reaction, ReactionValue
from tests.factories import (
    collecting_world,
    consultation_of,
    demand_of,
    discussion_path,
    login,
    set_phase,
    user_of,
)

AGREE, DISAGREE, PASS = ReactionValue.AGREE, ReactionValue.DISAGREE, ReactionValue.PASS


@pytest.fixture
def world(app, federation_world):
    return collecting_world(app, federation_world)


def reaction_rows(app, demand_id):
    with app.app_context():
        return db.session.execute(select(Reaction.user_id, Reaction.value).where(Reaction.demand_id == demand_id)).all()


# --- services ---------------------------------------------------------------------------------------------------


def test_a_member_reacts_and_the_counts_follow(app, world):
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), AGREE)
        services.react(consultation_of(world), user_of(world, "officer"), demand_of(world, "d_other"), DISAGREE)
        services.react(consultation_of(world), user_of(world, "other_club_member"), demand_of(world, "d_other"), PASS)
        d = demand_of(world, "d_other")
        assert (d.agree_count, d.disagree_count, d.pass_count) == (1, 1, 1)


def test_changing_a_reaction_replaces_it_and_recounts(app, world):
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), AGREE)
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), DISAGREE)
        d = demand_of(world, "d_other")
        assert (d.agree_count, d.disagree_count, d.pass_count) == (0, 1, 0)
    assert reaction_rows(app, world["d_other"]) == [(world["member"].id, -1)]


def test_counts_are_recomputed_from_rows_not_incremented(app, world):
    with app.app_context():
        d = demand_of(world, "d_other")
        d.agree_count = 99  # a wrong stored count is repaired by the next reaction
        db.session.commit()
        services.react(consultation_of(world), user_of(world, "member"), d, PASS)
        d = demand_of(world, "d_other")
        assert (d.agree_count, d.disagree_count, d.pass_count) == (0, 0, 1)


def test_an_author_may_react_to_their_own_demand(app, world):
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_member"), AGREE)
        assert demand_of(world, "d_member").agree_count == 1


@pytest.mark.parametrize("role", ["outsider", "stranger", "admin"])
def test_people_without_a_club_in_the_federation_cannot_react(app, world, role):
    with app.app_context(), pytest.raises(PermissionDenied):
        services.react(consultation_of(world), user_of(world, role), demand_of(world, "d_other"), AGREE)


def test_a_board_member_reacts_through_their_club(app, world):
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "board"), demand_of(world, "d_member"), AGREE)
        assert demand_of(world, "d_member").agree_count == 1


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CONSOLIDATING, Phase.VOTING, Phase.TALLIED, Phase.PUBLISHED])
def test_reactions_are_refused_outside_collecting_and_deliberating(app, world, phase):
    set_phase(app, world, phase)
    with app.app_context(), pytest.raises(PhaseClosed):
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), AGREE)
    assert reaction_rows(app, world["d_other"]) == []


def test_reactions_are_accepted_while_deliberating(app, world):
    set_phase(app, world, Phase.DELIBERATING)
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), AGREE)
    assert len(reaction_rows(app, world["d_other"])) == 1


@pytest.mark.parametrize("name", ["d_hidden", "d_withdrawn"])
def test_hidden_and_withdrawn_demands_take_no_reactions(app, world, name):
    with app.app_context(), pytest.raises(Conflict):
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, name), AGREE)


def test_the_flow_serves_the_least_reacted_demand_first_then_by_id(app, world):
    with app.app_context():
        c = consultation_of(world)
        services.react(c, user_of(world, "officer"), demand_of(world, "d_member"), AGREE)
        services.react(c, user_of(world, "officer"), demand_of(world, "d_other"), AGREE)
        services.react(c, user_of(world, "other_club_member"), demand_of(world, "d_officer"), AGREE)
        officer = user_of(world, "officer")
        assert services.next_demand_to_react(c, officer) is None  # reacted to both others; never offered their own
        member = user_of(world, "member")
        assert services.next_demand_to_react(c, member).id == world["d_other"]  # one reaction each: lowest id
        services.react(c, user_of(world, "board"), demand_of(world, "d_officer"), PASS)
        assert services.next_demand_to_react(c, member).id == world["d_other"]  # now the least reacted
        services.react(c, member, demand_of(world, "d_other"), DISAGREE)
        assert services.next_demand_to_react(c, member).id == world["d_officer"]
        assert services.reaction_progress(c, member) == services.ReactionProgress(seen=1, total=2)
        services.react(c, member, demand_of(world, "d_officer"), PASS)
        assert services.next_demand_to_react(c, member) is None
        assert services.reaction_progress(c, member).is_finished


def test_the_react_queue_never_offers_a_member_their_own_demand(client, world):
    login(client, world["member"])
    served = []
    for _ in range(3):
        name = _served(client, world) if 'name="value"' in client.get(flow_path(world)).get_data(as_text=True) else None
        if name is None:
            break
        served.append(name)
        client.post(reaction_path(world, name), data={"value": "1", "return_to": "flow"})
    assert sorted(served) == ["d_officer", "d_other"]  # d_member is her own


def _react_in_thread(app, world, value, barrier, errors):
    try:
        with app.app_context():
            consultation, member, target = consultation_of(world), user_of(world, "member"), demand_of(world, "d_other")
            barrier.wait(timeout=10)
            services.react(consultation, member, target, value)
    except Exception as error:  # noqa: BLE001 - reported to the test below
        errors.append(error)
    finally:
        with app.app_context():
            db.session.remove()


def test_two_reactions_by_one_member_at_once_leave_one_row(app, world):
    """Runs on PostgreSQL when DELIBERATE_TEST_DATABASE_URL is set, on SQLite otherwise."""
    for _ in range(3):
        barrier, errors = threading.Barrier(2), []
        threads = [threading.Thread(target=_react_in_thread, args=(app, world, value, barrier, errors))
                   for value in (AGREE, DISAGREE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        rows = reaction_rows(app, world["d_other"])
        assert len(rows) == 1
        with app.app_context():
            d = demand_of(world, "d_other")
            counts = {1: d.agree_count, -1: d.disagree_count, 0: d.pass_count}
            assert sum(counts.values()) == 1 and counts[rows[0][1]] == 1


def test_reactions_by_different_members_at_once_are_all_counted(app, world):
    members = ["member", "officer", "other_club_member", "board"]
    barrier, errors = threading.Barrier(len(members)), []

    def run(role):
        try:
            with app.app_context():
                consultation, person, target = consultation_of(world), user_of(world, role), demand_of(world, "d_other")
                barrier.wait(timeout=10)
                services.react(consultation, person, target, AGREE)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run, args=(role,)) for role in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with app.app_context():
        assert demand_of(world, "d_other").agree_count == len(members)
        assert db.session.scalar(select(func.count(Reaction.id))) == len(members)


# --- HTTP -------------------------------------------------------------------------------------------------------


def flow_path(world):
    return f"/consultations/{world['consultation_id']}/react"


def reaction_path(world, name):
    return f"/consultations/{world['consultation_id']}/demands/{world[name]}/reaction"


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("stranger", 403), ("outsider", 403), ("admin", 403),
    ("member", 200), ("officer", 200), ("other_club_member", 200), ("board", 200),
])
def test_the_react_flow_answers_each_role(client, world, role, expected):
    if role != "anonymous":
        login(client, world[role])
    assert client.get(flow_path(world)).status_code == expected


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("stranger", 403), ("outsider", 403), ("admin", 403), ("member", 302), ("board", 302),
])
def test_posting_a_reaction_answers_each_role(client, app, world, role, expected):
    if role != "anonymous":
        login(client, world[role])
    assert client.post(reaction_path(world, "d_other"), data={"value": "1"}).status_code == expected
    assert len(reaction_rows(app, world["d_other"])) == (1 if expected == 302 and role != "anonymous" else 0)


def test_the_flow_shows_progress_serves_one_demand_and_finishes(client, world):
    login(client, world["member"])
    page = client.get(flow_path(world)).get_data(as_text=True)
    assert "0 of 2 seen" in page  # the others' visible demands; her own is not offered to her
    assert page.count('name="value"') == 3 and "Texto ofensivo" not in page and "Retirada" not in page
    for _ in range(2):
        response = client.post(reaction_path(world, _served(client, world)), data={"value": "0", "return_to": "flow"})
        assert response.status_code == 302 and response.headers["Location"].endswith(flow_path(world))
    page = client.get(flow_path(world)).get_data(as_text=True)
    assert "2 of 2 seen" in page and "You have seen every demand" in page and 'name="value"' not in page


def _served(client, world):
    page = client.get(flow_path(world)).get_data(as_text=True)
    for name in ("d_member", "d_other", "d_officer"):
        if reaction_path(world, name) in page:
            return name
    raise AssertionError("no demand served")


def test_the_flow_in_spanish(client, app, world):
    with app.app_context():
        user_of(world, "member").locale = "es"
        db.session.commit()
    login(client, world["member"])
    page = client.get(flow_path(world)).get_data(as_text=True)
    assert "Llevas 0 de 2" in page and "De acuerdo" in page


def test_a_bad_reaction_value_is_refused(client, app, world):
    login(client, world["member"])
    assert client.post(reaction_path(world, "d_other"), data={"value": "7"}).status_code == 400
    assert client.post(reaction_path(world, "d_other"), data={"value": "1", "return_to": "//evil"}).status_code == 400
    assert reaction_rows(app, world["d_other"]) == []


def test_a_closed_phase_is_explained(client, app, world):
    set_phase(app, world, Phase.VOTING)
    login(client, world["member"])
    page = client.post(reaction_path(world, "d_other"), data={"value": "1"}, follow_redirects=True)
    assert "does not accept this in its current phase" in page.get_data(as_text=True)
    assert "does not take reactions" in client.get(flow_path(world)).get_data(as_text=True)


def test_a_reaction_to_a_demand_of_another_consultation_is_not_found(client, app, world):
    with app.app_context():
        other = Consultation(federation_id=world["federation"].id, title_es="Otra", title_en="Other",
                             phase=Phase.COLLECTING)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    login(client, world["member"])
    assert client.post(f"/consultations/{other_id}/demands/{world['d_other']}/reaction",
                       data={"value": "1"}).status_code == 404


def test_a_members_reaction_is_shown_to_them_and_to_nobody_else(client, app, world):
    login(client, world["member"])
    client.post(reaction_path(world, "d_other"), data={"value": "-1"})
    own = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "Your reaction: Disagree" in own and 'aria-pressed="true"' in own
    client.post("/account/logout")
    for role in ("officer", "other_club_member", "board"):
        login(client, world[role])
        page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
        assert "Your reaction:" not in page and 'aria-pressed="true"' not in page, role
        assert "1</span> disagree" in page  # the public count
        client.post("/account/logout")


def test_the_demand_page_shows_the_panel_without_anyone_elses_reaction(client, app, world):
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), AGREE)
    path = None
    with app.test_request_context():
        if "demands.show" in app.view_functions:
            with app.app_context():
                path = services.demand_url(demand_of(world, "d_other"))
    if path is None:
        pytest.skip("the demands area is not installed")
    login(client, world["officer"])
    page = client.get(path).get_data(as_text=True)
    assert 'name="value"' in page and "Your reaction:" not in page and 'aria-pressed="true"' not in page
