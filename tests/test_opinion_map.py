"""The opinion map in the app: who sees it, privacy of positions, recomputing, staleness, freezing, composition."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberate.consultations.services import advance_phase
from deliberate.domain import opinion as engine
from deliberate.domain.errors import Conflict
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    AuditEntry,
    Consultation,
    Demand,
    OpinionSnapshot,
    OrganizationKind,
    Reaction,
    User,
    utcnow,
)
from deliberate.opinion import layout, services
from tests.factories import login

N_DEMANDS = 12
CAMPS = 3
PER_CAMP = 8


@pytest.fixture
def world(app, federation_world, create_user, add_member):
    """A deliberating consultation with 12 demands and three camps of members who react alike within a camp."""
    w = dict(federation_world)
    voters = [w["member"], w["officer"], w["other_club_member"]]
    for i in range(CAMPS * PER_CAMP - len(voters)):
        person = create_user(f"Voter {i}", gender=Gender.WOMAN if i % 2 else Gender.MAN)
        add_member(person, w["club"] if i % 3 else w["other_club"])
        voters.append(person)
    with app.app_context():
        consultation = Consultation(federation_id=w["federation"].id, title_es="Consulta 2026",
                                    title_en="Consultation 2026", phase=Phase.DELIBERATING)
        db.session.add(consultation)
        db.session.flush()
        demands = [Demand(consultation_id=consultation.id, title=f"Demand number {j}", body="", body_html="",
                          author_id=w["officer"].id, club_id=w["club"].id) for j in range(N_DEMANDS)]
        db.session.add_all(demands)
        db.session.flush()
        past = utcnow() - timedelta(hours=1)
        for i, person in enumerate(voters):
            camp = i % CAMPS
            for j, demand in enumerate(demands):
                value = 1 if j % CAMPS == camp else -1
                if (i + j) % 7 == 0:
                    value = 0
                db.session.add(Reaction(demand_id=demand.id, user_id=person.id, value=value, created_at=past,
                                        updated_at=past))
        db.session.commit()
        w["consultation_id"] = consultation.id
        w["demand_ids"] = [d.id for d in demands]
    w["voters"] = voters
    return w


def load(world) -> Consultation:
    return db.session.get(Consultation, world["consultation_id"])


def page(client, world):
    return client.get(f"/consultations/{world['consultation_id']}/opinion-map")


def compute(app, world) -> None:
    with app.app_context():
        services.recompute(load(world))


def add_reactions(app, world, count: int) -> None:
    """Change `count` existing reactions now (they count as new since the snapshot)."""
    with app.app_context():
        rows = db.session.scalars(
            select(Reaction).join(Demand).where(Demand.consultation_id == world["consultation_id"])
            .order_by(Reaction.id).limit(count)
        ).all()
        for row in rows:
            row.value = 0 if row.value else 1
            row.updated_at = utcnow()
        db.session.commit()


def snapshot(app, world) -> OpinionSnapshot | None:
    with app.app_context():
        row = db.session.scalar(select(OpinionSnapshot).where(
            OpinionSnapshot.consultation_id == world["consultation_id"]))
        if row is not None:
            db.session.expunge(row)
        return row


def svg_of(html: str) -> str:
    return re.search(r"<svg class=\"om-map\".*?</svg>", html, re.S).group(0)


def drawn_labels(svg: str) -> tuple[list[layout.Box], tuple[float, float] | None]:
    """Read the letters and the viewer's label back from the page, with the room each takes; and the ring's centre."""
    boxes = []
    for cls, x, y, anchor, text in re.findall(
        r'<text class="(om-label|om-own-label)" x="([\d.-]+)" y="([\d.-]+)" text-anchor="(\w+)">([^<]+)</text>', svg
    ):
        size = layout.LETTER_SIZE if cls == "om-label" else layout.OWN_SIZE
        width, height = layout.text_extent(text, size)
        at = float(x)
        left = {"start": at - layout.HALO, "end": at + layout.HALO - width}.get(anchor, at - width / 2)
        top = float(y) - layout.ASCENT * size - layout.HALO
        boxes.append(layout.Box(left, top, left + width, top + height))
    ring = re.search(r'<circle class="om-own" cx="([\d.-]+)" cy="([\d.-]+)"', svg)
    return boxes, (float(ring.group(1)), float(ring.group(2))) if ring else None


def assert_labels_apart(svg: str) -> None:
    boxes, ring = drawn_labels(svg)
    for i, a in enumerate(boxes):
        assert a.inside(services.MAP_SIZE), a
        assert ring is None or a.distance_to(*ring) >= layout.ring_extent(), (a, ring)
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)


# --- who may see it ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "status"), [
    ("member", 200), ("officer", 200), ("board", 200), ("admin", 200), ("other_club_member", 200),
    ("outsider", 403), ("stranger", 403),
])
def test_members_of_the_federation_see_the_map_and_nobody_else(app, client, world, role, status):
    compute(app, world)
    login(client, world[role])
    assert page(client, world).status_code == status


def test_anonymous_visitors_are_sent_to_log_in_before_publishing(app, client, world):
    compute(app, world)
    response = page(client, world)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_the_published_map_is_public(app, client, world):
    with app.app_context():
        services.freeze_for_voting(load(world))
        load(world).phase = Phase.PUBLISHED
        db.session.commit()
    response = page(client, world)
    assert response.status_code == 200
    assert "Group A" in response.get_data(as_text=True)
    assert "You are here" not in response.get_data(as_text=True)


def test_a_draft_consultation_has_no_map_for_members(app, client, world):
    with app.app_context():
        load(world).phase = Phase.DRAFT
        db.session.commit()
    login(client, world["member"])
    assert page(client, world).status_code == 404


def test_the_consultation_page_links_to_the_map_for_members(app, client, world):
    login(client, world["member"])
    html = client.get(f"/consultations/{world['consultation_id']}").get_data(as_text=True)
    assert f"/consultations/{world['consultation_id']}/opinion-map" in html


# --- privacy -----------------------------------------------------------------------------------------------------

def test_the_map_names_nobody_and_marks_only_the_viewer(app, client, world):
    compute(app, world)
    login(client, world["member"])
    html = page(client, world).get_data(as_text=True)
    svg = svg_of(html)
    # Dots carry no names, ids, titles, links or data attributes: only shapes and coordinates.
    assert "data-" not in svg and "href" not in svg
    assert set(re.findall(r'id="([^"]+)"', svg)) == {"om-map-title", "om-map-desc"}
    assert svg.count("<title") == 1
    assert len(re.findall(r"<(?:circle|rect|polygon|path) class=\"om-(?:g\d|none)", svg)) == len(world["voters"])
    for person in world["voters"]:
        if person.id != world["member"].id:
            assert person.display_name not in html
            assert person.email not in html
    assert html.count("You are here") == 1
    assert "Only you can see this." in html


def test_the_order_of_the_dots_says_nothing_about_who_they_are(app, client, world):
    compute(app, world)
    login(client, world["board"])
    svg = svg_of(page(client, world).get_data(as_text=True))
    xs = [float(x) for x in re.findall(r'<circle class="om-g\d" cx="([\d.]+)"', svg)]
    assert xs == sorted(xs)
    assert "You are here" not in svg  # the board member did not react: no marker


def test_another_member_sees_their_own_marker_elsewhere(app, client, world):
    compute(app, world)
    with app.app_context():
        stored = db.session.scalar(select(OpinionSnapshot)).result
    login(client, world["officer"])
    html = page(client, world).get_data(as_text=True)
    own_group = stored[str(world["officer"].id)]["group"]
    assert f"You are in group {'ABCDE'[own_group]}" in html
    assert html.count("om-own\"") == 2  # the ring on the map and its key in the legend


# --- computing ---------------------------------------------------------------------------------------------------

def test_the_board_recomputes_the_map_on_request(app, client, world):
    login(client, world["board"])
    response = client.post(f"/consultations/{world['consultation_id']}/opinion-map/recompute")
    assert response.status_code == 302
    stored = snapshot(app, world)
    assert stored is not None and not stored.is_frozen
    assert stored.reactions_count == len(world["voters"]) * N_DEMANDS
    assert stored.participants_count == len(world["voters"])
    assert len(stored.groups) == CAMPS
    assert stored.parameters["min_reactions"] == engine.MIN_REACTIONS
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "opinion.recompute")) == 1
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The opinion map has been computed again." in html
    assert "Computed on" in html


@pytest.mark.parametrize("role", ["member", "officer"])
def test_only_the_board_may_ask_for_a_recomputation(app, client, world, role):
    login(client, world[role])
    response = client.post(f"/consultations/{world['consultation_id']}/opinion-map/recompute")
    assert response.status_code == 403
    assert snapshot(app, world) is None


def test_a_member_visit_never_computes_the_map(app, client, world):
    login(client, world["member"])
    html = page(client, world).get_data(as_text=True)
    assert "The map has not been computed yet." in html
    assert snapshot(app, world) is None


def test_a_few_new_reactions_do_not_make_the_map_stale(app, world):
    compute(app, world)
    add_reactions(app, world, 5)  # 5 of 288: under 10% and under 50
    with app.app_context():
        assert not services.is_stale(load(world))


def test_a_burst_of_reactions_queues_one_recomputation_off_the_request_and_no_visit_computes(
        app, client, world):
    from deliberate.deliberation.services import react
    from deliberate.jobs import services as jobs
    from deliberate.models import Job, JobStatus, User

    compute(app, world)
    before = snapshot(app, world)
    add_reactions(app, world, 30)  # over 10% of 288
    with app.app_context():
        consultation = load(world)
        for person in world["voters"][3:6]:  # three reactions through the service, seconds apart: one burst
            react(consultation, db.session.get(User, person.id), db.session.get(Demand, world["demand_ids"][0]), 1)
        assert db.session.scalar(select(func.count(Job.id)).where(Job.name == "opinion.recompute")) == 1
    for role in ("member", "board"):  # neither visit computes: a GET never writes
        login(client, world[role])
        assert "the map will be updated soon" in page(client, world).get_data(as_text=True)
        client.get("/account/logout")
    assert snapshot(app, world).computed_at == before.computed_at
    with app.app_context():
        assert jobs.run_waiting() == 1  # what a worker does once the burst is over
        assert db.session.scalar(select(Job.status).where(Job.name == "opinion.recompute")) is JobStatus.DONE
        assert not services.is_stale(load(world))
    assert snapshot(app, world).computed_at > before.computed_at


def test_members_see_a_map_once_they_react_without_anyone_opening_it(app, client, world):
    with app.app_context():
        db.session.execute(Reaction.__table__.delete())
        db.session.commit()
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation_id']}/demands/{world['demand_ids'][0]}/reaction",
                           data={"value": "1"})
    assert response.status_code == 302
    with app.app_context():
        from deliberate.jobs import services as jobs

        assert jobs.run_waiting() == 1  # the worker, once the burst of reactions is over
    assert snapshot(app, world) is not None
    assert "The map has not been computed yet." not in page(client, world).get_data(as_text=True)


def test_fifty_new_reactions_make_a_large_map_stale(app, world):
    compute(app, world)
    with app.app_context():
        row = db.session.scalar(select(OpinionSnapshot))
        row.reactions_count = 10_000  # as if it had counted many: 10% would be 1,000
        db.session.commit()
    add_reactions(app, world, 49)
    with app.app_context():
        assert not services.is_stale(load(world))
    add_reactions(app, world, 50)
    with app.app_context():
        assert services.is_stale(load(world))


def test_the_refresh_command_recomputes_stale_maps_only(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["opinion-refresh"])
    assert result.exit_code == 0, result.output
    assert f'"recomputed": [{world["consultation_id"]}]' in result.output
    first = snapshot(app, world)
    assert runner.invoke(args=["opinion-refresh"]).output.strip() == '{"recomputed": []}'
    add_reactions(app, world, 40)
    assert f'[{world["consultation_id"]}]' in runner.invoke(args=["opinion-refresh"]).output
    assert snapshot(app, world).computed_at > first.computed_at


def test_hidden_demands_carry_no_weight_and_are_not_listed(app, client, world):
    with app.app_context():
        hidden = db.session.get(Demand, world["demand_ids"][0])
        hidden.hidden_at = utcnow()
        hidden.title = "Hidden demand text"
        db.session.commit()
    compute(app, world)
    stored = snapshot(app, world)
    assert stored.parameters["hidden_demands"] == 1
    listed = {r["demand_id"] for g in stored.groups for r in g["representative"]}
    assert world["demand_ids"][0] not in listed
    login(client, world["member"])
    assert "Hidden demand text" not in page(client, world).get_data(as_text=True)


# --- freezing ----------------------------------------------------------------------------------------------------

def _open_vote(app, world):
    """Group the demands into one agenda item (a vote never opens on an empty ballot), then open the vote."""
    from deliberate.models import AgendaItem
    from deliberate.models.agenda import DemandPlacement, PlacementStatus

    consultation = load(world)
    item = AgendaItem(consultation_id=consultation.id, title_es="Punto", title_en="Item")
    db.session.add(item)
    db.session.flush()
    db.session.add_all(DemandPlacement(consultation_id=consultation.id, demand_id=demand_id, agenda_item_id=item.id,
                                       status=PlacementStatus.LINKED) for demand_id in world["demand_ids"])
    db.session.commit()
    advance_phase(load(world), db.session.get(User, world["board"].id), Phase.DELIBERATING, Phase.VOTING)


def test_opening_the_vote_freezes_a_final_snapshot_that_is_never_recomputed(app, client, world):
    compute(app, world)
    add_reactions(app, world, 40)
    with app.app_context():
        _open_vote(app, world)
    frozen = snapshot(app, world)
    assert frozen.is_frozen and frozen.frozen_at is not None
    with app.app_context():
        assert services.frozen_snapshot(load(world)).id == frozen.id
        assert not services.is_stale(load(world))
        with pytest.raises(Conflict):
            services.recompute(load(world))
        assert services.refresh_stale() == []
    login(client, world["board"])
    response = client.post(f"/consultations/{world['consultation_id']}/opinion-map/recompute",
                           follow_redirects=True)
    assert "it is no longer recomputed" in response.get_data(as_text=True)
    html = page(client, world).get_data(as_text=True)
    assert "Frozen when voting opened" in html
    assert "Compute the map again now" not in html
    assert snapshot(app, world).computed_at == frozen.computed_at


def test_the_frozen_snapshot_counts_reactions_up_to_the_vote(app, world):
    with app.app_context():
        _open_vote(app, world)
        assert services.frozen_snapshot(load(world)).reactions_count == len(world["voters"]) * N_DEMANDS


def test_without_a_frozen_snapshot_there_is_none(app, world):
    compute(app, world)
    with app.app_context():
        assert services.frozen_snapshot(load(world)) is None


# --- composition -------------------------------------------------------------------------------------------------

def test_gender_is_shown_only_where_every_category_has_five(app, create_user, create_organization, add_member):
    federation = create_organization("Federación")
    club = create_organization("Club Uno", kind=OrganizationKind.CLUB, parent=federation)
    people = {}
    for gender, n in ((Gender.WOMAN, 9), (Gender.MAN, 9), (None, 6)):
        people[gender] = []
        for _ in range(n):
            person = create_user(gender=gender)
            add_member(person, club)
            people[gender].append(person.id)
    shown = (*people[Gender.WOMAN][:5], *people[Gender.MAN][:5], *people[None][:5])
    small = (*people[Gender.WOMAN][5:], *people[Gender.MAN][5:], people[None][5])  # 4 women, 4 men, 1 other
    groups = (engine.OpinionGroup(0, len(shown), shown, ()), engine.OpinionGroup(1, len(small), small, ()))
    with app.app_context():
        from deliberate.models import Organization

        composition = services._composition(db.session.get(Organization, federation.id), groups)
    assert composition[0]["gender"] == {"woman": 5, "man": 5, "other": 5}
    assert composition[1]["gender"] is None
    assert composition[0]["clubs"] == {str(club.id): 15}
    assert composition[1]["clubs"] == {str(club.id): 9}


@pytest.mark.parametrize(("counts", "shown"), [
    ({"woman": 5, "man": 5, "other": 0}, True),
    ({"woman": 5, "man": 5, "other": 5}, True),
    ({"woman": 5, "man": 5, "other": 4}, False),
    ({"woman": 5, "man": 4, "other": 0}, False),
    ({"woman": 0, "man": 12, "other": 0}, False),
    ({"woman": 4, "man": 30, "other": 9}, False),
])
def test_gender_needs_five_women_five_men_and_no_small_rest(counts, shown):
    assert services._gender_shown(counts) is shown


def test_clubs_with_fewer_than_five_in_a_group_are_not_named(app, create_user, create_organization, add_member):
    federation = create_organization("Federación")
    big = create_organization("Club Grande", kind=OrganizationKind.CLUB, parent=federation)
    small = create_organization("Club Chico", kind=OrganizationKind.CLUB, parent=federation)
    members = []
    for club, n in ((big, 6), (small, 1)):
        for _ in range(n):
            person = create_user()
            add_member(person, club)
            members.append(person.id)
    loner = create_user()  # no club in this federation
    members.append(loner.id)
    groups = (engine.OpinionGroup(0, len(members), tuple(members), ()),)
    with app.app_context():
        from deliberate.models import Organization

        composition = services._composition(db.session.get(Organization, federation.id), groups)
    assert composition[0]["clubs"] == {str(big.id): 6, "other": 2}


def test_the_page_shows_clubs_and_hides_small_gender_counts(app, client, world):
    compute(app, world)
    login(client, world["member"])
    html = page(client, world).get_data(as_text=True)
    assert "Club Jerez" in html
    assert "Gender is not shown for this group" in html  # 8 per group: never five of each category
    assert "women," not in html


# --- languages and the demo ------------------------------------------------------------------------------------------

def test_the_page_is_in_spanish_for_spanish_speakers(app, client, world):
    compute(app, world)
    login(client, world["member"])
    html = client.get(f"/consultations/{world['consultation_id']}/opinion-map",
                      headers={"Accept-Language": "es"}).get_data(as_text=True)
    with app.app_context():
        db_user = db.session.get(User, world["member"].id)
        db_user.locale = "es"
        db.session.commit()
    html = page(client, world).get_data(as_text=True)
    assert "Mapa de opiniones" in html
    assert "Grupo A" in html
    assert "Aquí estás" in html
    assert "Calculado el" in html


def test_no_members_labels_overlap_on_their_map_in_either_language(app, client, world):
    compute(app, world)
    for person in world["voters"][:8]:
        login(client, person)
        for language in ("en", "es"):
            client.post("/account/language", data={"locale": language, "next": "/"})
            svg = svg_of(page(client, world).get_data(as_text=True))
            assert ("You are here" if language == "en" else "Aquí estás") in svg
            assert svg.count('class="om-label"') == CAMPS
            assert_labels_apart(svg)
        client.post("/account/logout")


def test_the_demo_consultation_shows_its_opinion_groups(app, client):
    from deliberate.demo import seed_demo

    with app.app_context():
        result = seed_demo()
        consultation = db.session.scalar(select(Consultation))
        stored = services.recompute(consultation)
        assert len(stored.groups) >= 2
        assert all(group["representative"] for group in stored.groups)
        assert stored.participants_count > 50
        consultation_id = consultation.id
        board = db.session.scalar(select(User).where(User.email == {r: e for r, e, _ in result.logins}["board"]))
    login(client, board, result.password)
    html = client.get(f"/consultations/{consultation_id}/opinion-map").get_data(as_text=True)
    assert "Grupo A" in html and "Grupo B" in html  # the demo's people read Spanish
    assert "<svg class=\"om-map\"" in html
    assert_labels_apart(svg_of(html))  # the demo board's label used to be drawn across group A's letter
