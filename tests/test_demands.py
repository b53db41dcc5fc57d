"""Demands: submit, similar hint, edit with versions, withdraw, endorse, list and search, per role and phase."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberate.demands import services
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Category, Consultation, Demand, Language, Target, User
from tests.factories import login

ROLES = ["anonymous", "stranger", "outsider", "other_club_member", "member", "officer", "board", "admin"]


@pytest.fixture
def world(app, federation_world):
    """The federation world with a collecting consultation and two categories."""
    with app.app_context():
        consultation = Consultation(
            federation_id=federation_world["federation"].id, title_es="Agenda 2027", title_en="Agenda 2027",
            phase=Phase.COLLECTING,
        )
        health = Category(federation_id=federation_world["federation"].id, slug="salud", name_es="Salud",
                          name_en="Health", position=1)
        water = Category(federation_id=federation_world["federation"].id, slug="agua", name_es="Agua y caminos",
                         name_en="Water and roads", position=2)
        foreign = Category(federation_id=federation_world["other_federation"].id, slug="salud", name_es="Salud",
                           name_en="Health")
        db.session.add_all([consultation, health, water, foreign])
        db.session.commit()
        ids = {"consultation": consultation.id, "health": health.id, "water": water.id, "foreign": foreign.id}
    return {**federation_world, **ids}


def as_role(client, world, role):
    if role != "anonymous":
        login(client, world[role])
    return client


def form(world, **overrides):
    return {"title": "Un médico para la clínica de Jerez", "body": "La clínica no tiene **médico** fijo.",
            "category_id": str(world["health"]), "target": "mexican_state", "language": "es", **overrides}


def submit(app, world, who="member", **overrides) -> Demand:
    """Submit a demand through the service, as a person of the world."""
    with app.app_context():
        data = form(world, **overrides)
        demand = services.submit_demand(
            db.session.get(Consultation, world["consultation"]), db.session.get(User, world[who].id),
            services.DemandInput(data["title"], data["body"], int(data["category_id"]) or None,
                                 Target(data["target"]), Language(data["language"])),
        )
        return demand.id


def set_phase(app, world, phase: Phase) -> None:
    with app.app_context():
        db.session.get(Consultation, world["consultation"]).phase = phase
        db.session.commit()


def speak_spanish(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = "es"
        db.session.commit()


def demand_row(app, demand_id) -> Demand:
    with app.app_context():
        demand = db.session.get(Demand, demand_id)
        db.session.expunge(demand)
        return demand


# ---------------------------------------------------------------------------------------------------------------
# Submitting


def test_a_member_submits_a_demand_for_their_club(client, app, world):
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world))
    assert response.status_code == 302
    with app.app_context():
        demand = db.session.scalar(select(Demand))
        assert demand.club_id == world["club"].id and demand.author_id == world["member"].id
        assert demand.body_html == "<p>La clínica no tiene <strong>médico</strong> fijo.</p>\n"
        assert demand.target is Target.MEXICAN_STATE and demand.category_id == world["health"]
        assert response.headers["Location"].endswith(f"/demands/{demand.id}")


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("stranger", 403), ("outsider", 403), ("other_club_member", 302), ("member", 302),
    ("officer", 302), ("board", 302), ("admin", 403),
])
def test_only_club_members_of_the_federation_can_submit(client, app, world, role, expected):
    as_role(client, world, role)
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world))
    assert response.status_code == expected
    if role == "anonymous":
        assert "/account/login" in response.headers["Location"]
    with app.app_context():
        count = db.session.scalar(select(func.count(Demand.id)))
        assert count == (1 if expected == 302 and role != "anonymous" else 0)


def test_the_board_member_submits_for_their_own_club(app, world):
    demand = demand_row(app, submit(app, world, "board"))
    assert demand.club_id == world["other_club"].id


def test_a_double_submit_records_one_demand(client, app, world):
    login(client, world["member"])
    first = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world))
    second = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world))
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == 1


def test_the_same_text_again_after_a_minute_is_a_new_demand(app, world):
    first = submit(app, world)
    with app.app_context():
        db.session.get(Demand, first).created_at -= timedelta(minutes=2)
        db.session.commit()
    assert submit(app, world) != first


def test_submitting_after_collecting_is_refused_with_a_clear_message(client, app, world):
    set_phase(app, world, Phase.CONSOLIDATING)
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "collecting has ended" in page and "Un médico para la clínica de Jerez" in page
    assert client.get(f"/consultations/{world['consultation']}/demands/new").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == 0
        with pytest.raises(PhaseClosed):
            submit(app, world)


def test_the_phase_closed_message_is_in_spanish(client, app, world):
    set_phase(app, world, Phase.DELIBERATING)
    speak_spanish(app, world["member"])
    login(client, world["member"])
    page = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world)).get_data(as_text=True)
    assert "ya terminó" in page


def test_a_title_is_required(client, app, world):
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world, title="  "))
    assert response.status_code == 422
    assert "Please give your demand a title." in response.get_data(as_text=True)


def test_an_oversized_body_is_refused_and_kept_in_the_form(client, app, world):
    login(client, world["member"])
    body = "Necesitamos agua. " * 300  # 5,400 characters
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world, body=body))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at most 5,000 characters; it has 5,400" in page
    assert body.strip() in page
    assert 'maxlength="5000"' not in page  # a browser would silently cut a long paste


def test_an_oversized_title_is_refused(client, app, world):
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world, title="x" * 141))
    assert response.status_code == 422 and "at most 140 characters" in response.get_data(as_text=True)
    with pytest.raises(ValidationFailed):
        submit(app, world, title="y" * 141)


def test_a_body_of_exactly_5000_characters_with_line_breaks_is_accepted(client, app, world):
    login(client, world["member"])
    body = ("a" * 99 + "\r\n") * 50  # 5,000 characters once line breaks count as one
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world, body=body))
    assert response.status_code == 302


def test_a_category_of_another_federation_is_refused(client, app, world):
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new",
                           data=form(world, category_id=str(world["foreign"])))
    assert response.status_code == 422
    with pytest.raises(ValidationFailed):
        submit(app, world, category_id=str(world["foreign"]))


def test_script_tags_and_javascript_links_never_render_as_script(client, app, world):
    login(client, world["member"])
    hostile = form(
        world, title='<script>alert("t")</script>Agua <b>ya</b>',
        body='<script>alert(1)</script>\n\n[clic](javascript:alert(2)) <img src=x onerror=alert(3)> '
             '<a href="javascript:alert(4)">x</a> [ok](https://example.org)',
    )
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=hostile)
    assert response.status_code == 302
    with app.app_context():
        demand = db.session.scalar(select(Demand))
        assert "<" not in demand.title and 'href="javascript:' not in demand.body_html
        assert "<script" not in demand.body_html and "<img" not in demand.body_html
        assert 'href="https://example.org" rel="nofollow ugc"' in demand.body_html
        demand_id = demand.id
    for path in [f"/demands/{demand_id}", f"/consultations/{world['consultation']}/demands",
                 f"/consultations/{world['consultation']}/demands?q=agua"]:
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script[^>]*>\s*alert", page)
        assert not re.search(r"<img", page) and not re.search(r"<[^>]+\son\w+=", page)
        assert not re.search(r"href=[\"']?\s*javascript:", page, re.I)


def test_invalid_utf8_bytes_are_refused_with_a_clear_message(client, app, world):
    login(client, world["member"])
    raw = (b"title=Agua+potable+\xff\xfe+para+Jerez&body=Texto&category_id=" + str(world["health"]).encode()
           + b"&target=us_city&language=es")
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=raw,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "invalid or invisible characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == 0


@pytest.mark.parametrize("text", ["Agua\x00 potable", "Agua\u202e potable", "Agua\x1b[31m potable"])
def test_control_characters_are_refused(client, app, world, text):
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world, body=text))
    assert response.status_code == 422
    assert "invalid or invisible characters" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------------------------
# Similar demands


def test_the_check_button_shows_similar_demands_without_submitting(client, app, world):
    road = submit(app, world, "other_club_member", title="Pavimentar el camino de Jerez a Los Haro",
                  body="El camino a Los Haro se inunda cada temporal de lluvias.")
    submit(app, world, "officer", title="Becas para estudiantes de Juchipila", body="Becas universitarias.")
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new",
                           data=form(world, title="Pave the road from Jerez to Los Haro", body="", check="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Similar demands already submitted" in page and f'href="/demands/{road}"' in page
    assert page.index("Pavimentar el camino") < page.index("Becas") if "Becas" in page else True
    assert 'value="Pave the road from Jerez to Los Haro"' in page  # the text stays in the form
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == 2


def test_the_check_without_any_demand_says_so(client, app, world):
    login(client, world["member"])
    page = client.post(f"/consultations/{world['consultation']}/demands/new",
                       data=form(world, check="1")).get_data(as_text=True)
    assert "No similar demand has been submitted yet." in page


def test_similar_shows_at_most_five_visible_demands(app, world):
    ids = [submit(app, world, "other_club_member", title=f"Agua potable para Jerez, pozo {n}",
                  body=f"Pozo número {n}") for n in range(7)]
    with app.app_context():
        hidden = db.session.get(Demand, ids[0])
        hidden.hidden_at = hidden.created_at
        db.session.commit()
        found = services.similar_demands(db.session.get(Consultation, world["consultation"]), "agua potable Jerez")
        assert len(found) == 5 and ids[0] not in [d.id for d, _ in found]
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_a_very_close_demand_is_shown_after_submitting_but_does_not_block(client, app, world):
    original = submit(app, world, "other_club_member")
    login(client, world["member"])
    response = client.post(f"/consultations/{world['consultation']}/demands/new", data=form(world),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your demand has been submitted" in page and "A very similar demand was already submitted" in page
    assert f'href="/demands/{original}"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == 2


# ---------------------------------------------------------------------------------------------------------------
# Editing and withdrawing


def test_an_edit_keeps_the_earlier_text_as_a_version(client, app, world):
    demand_id = submit(app, world)
    login(client, world["member"])
    edit_page = client.get(f"/demands/{demand_id}/edit")
    assert edit_page.status_code == 200 and 'name="version" type="hidden" value="1"' in edit_page.get_data(as_text=True)
    response = client.post(f"/demands/{demand_id}/edit",
                           data=form(world, title="Un médico y una enfermera para Jerez", version="1"))
    assert response.status_code == 302
    client.post(f"/demands/{demand_id}/edit", data=form(world, title="Un médico de planta para Jerez", version="2"))
    with app.app_context():
        demand = db.session.get(Demand, demand_id)
        assert demand.version == 3 and demand.title == "Un médico de planta para Jerez"
        assert [(v.version, v.title) for v in demand.versions] == [
            (1, "Un médico para la clínica de Jerez"), (2, "Un médico y una enfermera para Jerez")]
    page = client.get(f"/demands/{demand_id}").get_data(as_text=True)
    assert "edited" in page and "History" in page and "Version 1" in page and "Version 3 (current)" in page
    earlier = client.get(f"/demands/{demand_id}/versions/1").get_data(as_text=True)
    assert "Un médico para la clínica de Jerez" in earlier and "<strong>médico</strong>" in earlier
    assert client.get(f"/demands/{demand_id}/versions/9").status_code == 404


def test_saving_an_unchanged_form_adds_no_version(client, app, world):
    demand_id = submit(app, world)
    login(client, world["member"])
    client.post(f"/demands/{demand_id}/edit", data=form(world, version="1"))
    assert demand_row(app, demand_id).version == 1


def test_a_stale_edit_form_is_refused_and_keeps_the_text(client, app, world):
    demand_id = submit(app, world)
    login(client, world["member"])
    client.post(f"/demands/{demand_id}/edit", data=form(world, title="Segunda versión", version="1"))
    response = client.post(f"/demands/{demand_id}/edit", data=form(world, title="Otra pestaña", version="1"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed in the meantime" in page and 'value="Otra pestaña"' in page
    assert demand_row(app, demand_id).title == "Segunda versión"


@pytest.mark.parametrize("role", ["other_club_member", "officer", "board", "admin"])
def test_only_the_author_edits_or_withdraws(client, app, world, role):
    demand_id = submit(app, world)
    login(client, world[role])
    assert client.get(f"/demands/{demand_id}/edit").status_code == 403
    assert client.post(f"/demands/{demand_id}/edit", data=form(world, title="Ajeno", version="1")).status_code == 403
    assert client.post(f"/demands/{demand_id}/withdraw", data={"confirm": "y"}).status_code == 403
    assert demand_row(app, demand_id).title == "Un médico para la clínica de Jerez"


def test_editing_after_collecting_is_refused_with_a_clear_message(client, app, world):
    demand_id = submit(app, world)
    set_phase(app, world, Phase.CONSOLIDATING)
    login(client, world["member"])
    response = client.post(f"/demands/{demand_id}/edit", data=form(world, title="Tarde", version="1"))
    assert response.status_code == 409 and "collecting has ended" in response.get_data(as_text=True)
    assert client.get(f"/demands/{demand_id}/edit").status_code == 302
    withdraw = client.post(f"/demands/{demand_id}/withdraw", data={"confirm": "y"}, follow_redirects=True)
    assert "can no longer be withdrawn" in withdraw.get_data(as_text=True)
    demand = demand_row(app, demand_id)
    assert demand.title == "Un médico para la clínica de Jerez" and not demand.is_withdrawn


def test_a_withdrawn_demand_is_seen_only_by_its_author_and_the_board(client, app, world):
    demand_id = submit(app, world)
    login(client, world["member"])
    client.post(f"/demands/{demand_id}/withdraw", data={"confirm": "y"})
    assert demand_row(app, demand_id).is_withdrawn
    listing = f"/consultations/{world['consultation']}/demands"
    for role, sees in [("member", True), ("board", True), ("officer", False), ("other_club_member", False)]:
        client.post("/account/logout")
        login(client, world[role])
        page = client.get(f"/demands/{demand_id}")
        assert page.status_code == (200 if sees else 404), role
        assert ("Un médico para la clínica" in client.get(listing).get_data(as_text=True)) is sees, role
        if sees:
            assert "Withdrawn" in page.get_data(as_text=True)
    with app.app_context(), pytest.raises(Conflict):
        services.edit_demand(db.session.get(Demand, demand_id), db.session.get(User, world["member"].id),
                             services.DemandInput("x", "", None, None, Language.ES), 1)


# ---------------------------------------------------------------------------------------------------------------
# Endorsing


def test_an_officer_of_the_club_endorses_and_withdraws_the_endorsement(client, app, world):
    demand_id = submit(app, world)
    login(client, world["officer"])
    assert "Endorse for my club" in client.get(f"/demands/{demand_id}").get_data(as_text=True)
    client.post(f"/demands/{demand_id}/endorse")
    demand = demand_row(app, demand_id)
    assert demand.endorsed_by_id == world["officer"].id
    page = client.get(f"/demands/{demand_id}").get_data(as_text=True)
    assert "Endorsed by the club" in page and "Withdraw the club's endorsement" in page
    again = client.post(f"/demands/{demand_id}/endorse", follow_redirects=True)
    assert "already in that state" in again.get_data(as_text=True)
    client.post(f"/demands/{demand_id}/unendorse")
    assert demand_row(app, demand_id).endorsed_at is None


@pytest.mark.parametrize("role", ["member", "other_club_member", "board", "admin"])
def test_only_the_clubs_own_officers_endorse(client, app, world, role):
    demand_id = submit(app, world)
    login(client, world[role])
    assert "Endorse for my club" not in client.get(f"/demands/{demand_id}").get_data(as_text=True)
    assert client.post(f"/demands/{demand_id}/endorse").status_code == 403
    assert demand_row(app, demand_id).endorsed_at is None


def test_an_officer_of_another_club_cannot_endorse(app, world, create_user, add_member):
    from deliberate.models import Role

    other_officer = create_user("Otra Oficial")
    add_member(other_officer, world["other_club"], Role.OFFICER)
    demand_id = submit(app, world)
    with app.app_context(), pytest.raises(PermissionDenied):
        services.set_endorsement(db.session.get(Demand, demand_id), db.session.get(User, other_officer.id), True)


def test_endorsements_stop_changing_once_voting_starts(client, app, world):
    demand_id = submit(app, world)
    set_phase(app, world, Phase.VOTING)
    login(client, world["officer"])
    response = client.post(f"/demands/{demand_id}/endorse", follow_redirects=True)
    assert "voting has started" in response.get_data(as_text=True)
    assert demand_row(app, demand_id).endorsed_at is None


# ---------------------------------------------------------------------------------------------------------------
# Viewing, listing and searching


@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_each_role_as_expected(client, app, world, role):
    demand_id = submit(app, world)
    as_role(client, world, role)
    expected = {"anonymous": 302, "stranger": 403, "outsider": 403}.get(role, 200)
    for path in [f"/consultations/{world['consultation']}/demands", f"/demands/{demand_id}",
                 f"/consultations/{world['consultation']}/demands/new"]:
        assert client.get(path).status_code == expected, (path, role)
    assert client.get("/demands/99999").status_code == (302 if role == "anonymous" else 404)


def test_a_draft_consultation_is_seen_only_by_the_board(client, app, world):
    set_phase(app, world, Phase.DRAFT)
    login(client, world["member"])
    assert client.get(f"/consultations/{world['consultation']}/demands").status_code == 404
    client.post("/account/logout")
    login(client, world["board"])
    assert client.get(f"/consultations/{world['consultation']}/demands").status_code == 200


def test_a_demand_page_shows_the_public_summary_and_never_an_individuals_reaction(client, app, world):
    from deliberate.models import Reaction

    demand_id = submit(app, world)
    with app.app_context():
        demand = db.session.get(Demand, demand_id)
        for who, value in [("member", 1), ("officer", 1), ("other_club_member", -1), ("board", 0)]:
            db.session.add(Reaction(demand_id=demand_id, user_id=world[who].id, value=value))
        demand.agree_count, demand.disagree_count, demand.pass_count = 2, 1, 1
        db.session.commit()
    login(client, world["other_club_member"])
    page = client.get(f"/demands/{demand_id}").get_data(as_text=True)
    assert "4 members have reacted." in page and "50%" in page and "25%" in page
    assert "Member M" in page  # the author
    assert "Officer O" not in page and "Board B" not in page  # reactors are never named
    assert "Club Jerez" in page and "Health" in page and "Mexican state government" in page


def test_the_author_of_a_deleted_account_shows_as_former_member(client, app, world):
    demand_id = submit(app, world)
    with app.app_context():
        db.session.get(Demand, demand_id).author_id = None
        db.session.commit()
    login(client, world["officer"])
    assert "former member" in client.get(f"/demands/{demand_id}").get_data(as_text=True)


def test_hidden_demands_are_listed_only_to_the_board_marked(client, app, world):
    demand_id = submit(app, world)
    with app.app_context():
        demand = db.session.get(Demand, demand_id)
        demand.hidden_at, demand.hidden_reason = demand.created_at, "Insultos"
        db.session.commit()
    listing = f"/consultations/{world['consultation']}/demands"
    login(client, world["board"])
    page = client.get(listing).get_data(as_text=True)
    assert "Un médico para la clínica" in page and "Hidden by the board" in page
    client.post("/account/logout")
    login(client, world["officer"])
    assert "Un médico para la clínica" not in client.get(listing).get_data(as_text=True)
    assert client.get(f"/demands/{demand_id}").status_code == 404
    client.post("/account/logout")
    login(client, world["member"])  # the author sees why
    assert "Insultos" in client.get(f"/demands/{demand_id}").get_data(as_text=True)


def test_the_spanish_list_translates_labels(client, app, world):
    submit(app, world)
    speak_spanish(app, world["member"])
    login(client, world["member"])
    page = client.get(f"/consultations/{world['consultation']}/demands").get_data(as_text=True)
    assert "Demandas" in page and "Gobierno del estado" in page and "Salud" in page


@pytest.fixture
def many(app, world):
    """Demands in both clubs, categories, targets and languages, with reactions."""
    rows = [
        ("member", "Agua potable para Jerez", "Pozo y red nueva.", "water", "hometown_municipality", "es", 5),
        ("member", "Médico para la clínica", "Un doctor de planta.", "health", "mexican_state", "es", 1),
        ("officer", "Lower remittance fees", "Fees are too HIGH for families.", "health", "us_federal", "en", 9),
        ("other_club_member", "Educación bilingüe", "Maestros en Tlaltenango.", "water", "mexican_state", "es", 3),
        ("other_club_member", "EDUCACION para adultos", "Clases nocturnas.", "health", "us_city", "other", 0),
    ]
    ids = {}
    for who, title, body, category, target, language, agree in rows:
        demand_id = submit(app, world, who, title=title, body=body, category_id=str(world[category]), target=target,
                           language=language)
        with app.app_context():
            db.session.get(Demand, demand_id).agree_count = agree
            db.session.commit()
        ids[title] = demand_id
    return ids


def titles(client, world, query=""):
    page = client.get(f"/consultations/{world['consultation']}/demands?{query}").get_data(as_text=True)
    return re.findall(r'class="demand-row-title"><a href="/demands/\d+">([^<]+)</a>', page)


def test_filters_by_club_category_target_and_language(client, world, many):
    login(client, world["member"])
    assert len(titles(client, world)) == 5
    assert set(titles(client, world, f"club={world['other_club'].id}")) == {"Educación bilingüe",
                                                                            "EDUCACION para adultos"}
    assert set(titles(client, world, f"category={world['water']}")) == {"Agua potable para Jerez",
                                                                        "Educación bilingüe"}
    assert titles(client, world, "target=us_federal") == ["Lower remittance fees"]
    assert titles(client, world, "language=other") == ["EDUCACION para adultos"]
    assert titles(client, world, "language=es&target=mexican_state&club=" + str(world["club"].id)) == [
        "Médico para la clínica"]
    assert len(titles(client, world, "target=nonsense&language=xx&club=abc")) == 5  # unknown filters are ignored


def test_text_search_ignores_case_and_accents_over_title_and_body(client, world, many):
    login(client, world["member"])
    assert set(titles(client, world, "q=educacion")) == {"Educación bilingüe", "EDUCACION para adultos"}
    assert set(titles(client, world, "q=EDUCACIÓN")) == {"Educación bilingüe", "EDUCACION para adultos"}
    assert titles(client, world, "q=medico") == ["Médico para la clínica"]
    assert titles(client, world, "q=high") == ["Lower remittance fees"]  # in the body
    assert titles(client, world, "q=agua+jerez") == ["Agua potable para Jerez"]
    assert titles(client, world, "q=100%25") == [] and titles(client, world, "q=_") == []


def test_sorting_by_reactions_and_newest(client, world, many):
    login(client, world["member"])
    assert titles(client, world, "sort=reactions")[:3] == ["Lower remittance fees", "Agua potable para Jerez",
                                                           "Educación bilingüe"]
    assert titles(client, world, "sort=newest")[0] == "EDUCACION para adultos"


def test_pagination_keeps_the_filters(client, app, world, many):
    login(client, world["member"])
    page_one = client.get(f"/consultations/{world['consultation']}/demands?per_page=2&sort=reactions")
    text = page_one.get_data(as_text=True)
    assert "page 1 of 3" in text and "per_page=2" in text and "sort=reactions" in text
    assert titles(client, world, "per_page=2&sort=reactions&page=3") == ["EDUCACION para adultos"]
    assert titles(client, world, "per_page=2&page=99") == []


def test_the_demands_list_uses_a_fixed_number_of_queries(client, app, world, many):
    from sqlalchemy import event

    login(client, world["member"])
    counts = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for per_page in (1, 5):
            counts.append(0)
            client.get(f"/consultations/{world['consultation']}/demands?per_page={per_page}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------------------------------------------
# The demo consultation


def test_the_demo_has_a_collecting_consultation_with_consistent_counts(app):
    from deliberate.demo import seed_demo
    from deliberate.models import Reaction

    with app.app_context():
        seed_demo()
        seed_demo()  # idempotent
        consultations = db.session.scalars(select(Consultation)).all()
        assert [(c.title_en, c.phase) for c in consultations] == [("2027 Federation Agenda", Phase.COLLECTING)]
        demands = db.session.scalars(select(Demand)).all()
        assert len(demands) >= 35 and {d.language for d in demands} == {Language.ES, Language.EN, Language.OTHER}
        assert len({d.club_id for d in demands}) == 8
        for demand in demands:
            values = db.session.scalars(select(Reaction.value).where(Reaction.demand_id == demand.id)).all()
            assert (demand.agree_count, demand.disagree_count, demand.pass_count) == (
                values.count(1), values.count(-1), values.count(0))
        reactors = db.session.scalar(select(func.count(func.distinct(Reaction.user_id))))
        assert reactors >= 60  # most of the 80 demo members
        assert any(d.versions for d in demands) and any(d.endorsed_at for d in demands)


def test_a_demo_member_sees_the_demo_demands_in_spanish(client, app):
    from deliberate.demo import seed_demo

    with app.app_context():
        logins = {role: email for role, email, _ in seed_demo().logins}
        consultation_id = db.session.scalar(select(Consultation.id))
    client.post("/account/login", data={"email": logins["member"], "password": "demo-federacion-2026"})
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = client.get(f"/consultations/{consultation_id}/demands?per_page=100").get_data(as_text=True)
    assert page.count('class="demand-row"') >= 35 and "Agenda 2027 de la Federación" in page


def test_withdrawing_needs_the_confirmation_box(client, app, world):
    demand_id = submit(app, world)
    login(client, world["member"])
    response = client.post(f"/demands/{demand_id}/withdraw")
    assert response.status_code == 422 and "Tick the box" in response.get_data(as_text=True)
    assert not demand_row(app, demand_id).is_withdrawn
