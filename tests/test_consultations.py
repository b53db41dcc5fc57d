"""Consultations: creating and editing them, settings, categories and phase moves, as services and over HTTP."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from deliberate.consultations import services
from deliberate.domain.errors import Conflict, InvalidTransition, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.domain.rules import ClubWeighting, VotingMethod
from deliberate.extensions import db
from deliberate.models import AuditEntry, Category, Consultation, Notification, Organization, Role, User
from deliberate.organizations.services import create_federation, seed_default_categories
from tests.factories import login

ROLES = ["anonymous", "stranger", "outsider", "other_club_member", "member", "officer", "board", "admin"]
BOARD_ONLY = {"anonymous": 302, "stranger": 403, "outsider": 403, "other_club_member": 403, "member": 403,
              "officer": 403, "board": 200, "admin": 200}

SETTINGS = {
    "agenda_size": 8, "voting_method": "borda", "club_weighting": "capped", "weighting_cap": 40,
    "club_mode": "bloc", "selection": "equal-shares", "voters_threshold": 60, "clubs_threshold": 50,
    "women_slot": "enforce", "participation_parity": "off", "board_composition": "warn",
}


def as_role(client, world, role):
    if role != "anonymous":
        login(client, world[role])
    return client


def make_consultation(app, world, phase: Phase = Phase.COLLECTING, **details) -> int:
    with app.app_context():
        consultation = Consultation(
            federation_id=world["federation"].id, title_es=details.pop("title_es", "Agenda 2027"),
            title_en=details.pop("title_en", "2027 agenda"), description_es="Hablemos del **agua**.",
            description_en="Let us talk about **water**.", phase=phase, collecting_until=date(2027, 3, 1),
            consolidating_until=date(2027, 3, 15), deliberating_until=date(2027, 4, 1),
            voting_until=date(2027, 4, 15), **details,
        )
        db.session.add(consultation)
        db.session.commit()
        return consultation.id


def load(model, key):
    return db.session.get(model, key)


def _add_demand(app, consultation_id: int, world) -> None:
    """Give a consultation one demand, so that it may move on to consolidating."""
    from deliberate.models import Demand

    with app.app_context():
        db.session.add(Demand(consultation_id=consultation_id, author_id=world["member"].id,
                              club_id=world["club"].id, title="Agua potable", body=""))
        db.session.commit()


# --- pages per role ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_every_consultation_page_answers_each_role_as_expected(app, client, federation_world, role):
    open_id = make_consultation(app, federation_world)
    draft_id = make_consultation(app, federation_world, Phase.DRAFT, title_en="Secret draft")
    slug = federation_world["federation"].slug
    as_role(client, federation_world, role)
    board = role in ("board", "admin")
    matrix = [
        (f"/o/{slug}/consultations", dict.fromkeys(ROLES, 200)),
        (f"/consultations/{open_id}", dict.fromkeys(ROLES, 200)),
        (f"/consultations/{draft_id}", {r: 200 if r in ("board", "admin") else 404 for r in ROLES}),
        (f"/o/{slug}/consultations/new", BOARD_ONLY),
        (f"/consultations/{open_id}/edit", BOARD_ONLY),
        (f"/consultations/{open_id}/settings", BOARD_ONLY),
        (f"/consultations/{open_id}/advance", BOARD_ONLY),
        (f"/o/{slug}/categories", BOARD_ONLY),
        ("/consultations/999999", dict.fromkeys(ROLES, 404)),
        (f"/o/{federation_world['club'].slug}/consultations", dict.fromkeys(ROLES, 404)),
    ]
    for path, expected in matrix:
        assert client.get(path).status_code == expected[role], (path, role)
    listing = client.get(f"/o/{slug}/consultations").get_data(as_text=True)
    assert "2027 agenda" in listing
    assert ("Secret draft" in listing) is board
    federation_page = client.get(f"/o/{slug}").get_data(as_text=True)
    assert "2027 agenda" in federation_page
    assert ("Secret draft" in federation_page) is board
    assert ("New consultation" in federation_page) is board


def test_a_site_administrator_runs_any_federations_consultations(app, client, federation_world, create_user):
    root = create_user("Root", is_admin=True)
    consultation_id = make_consultation(app, federation_world, Phase.DRAFT)
    login(client, root)
    assert client.get(f"/consultations/{consultation_id}/advance").status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member", "officer"])
def test_only_the_board_can_post_to_the_board_controls(app, client, federation_world, role):
    consultation_id = make_consultation(app, federation_world, Phase.DRAFT)
    slug = federation_world["federation"].slug
    with app.app_context():
        category_id = services.ensure_default_categories(load(Organization, federation_world["federation"].id))[0].id
    as_role(client, federation_world, role)
    expected = 302 if role == "anonymous" else 404 if role != "anonymous" else None
    posts = [
        (f"/o/{slug}/consultations/new", {"title_en": "Hijack"}, 302 if role == "anonymous" else 403),
        (f"/consultations/{consultation_id}/edit", {"title_en": "Hijack"}, expected),
        (f"/consultations/{consultation_id}/settings", SETTINGS, expected),
        (f"/consultations/{consultation_id}/advance", {"expected": "draft", "target": "collecting"}, expected),
        (f"/o/{slug}/categories", {"name_en": "Hijack"}, 302 if role == "anonymous" else 403),
        (f"/categories/{category_id}", {f"c{category_id}-name_en": "Hijack"}, 302 if role == "anonymous" else 403),
        (f"/categories/{category_id}/archive", {}, 302 if role == "anonymous" else 403),
    ]
    for path, data, status in posts:
        assert client.post(path, data=data).status_code == status, path
    with app.app_context():
        consultation = load(Consultation, consultation_id)
        assert consultation.phase is Phase.DRAFT and consultation.title_en == "2027 agenda"
        assert db.session.scalar(select(func.count(Category.id)).where(Category.name_en == "Hijack")) == 0
        assert not load(Category, category_id).is_archived


# --- creating and editing ------------------------------------------------------------------------------------------

def test_the_board_creates_a_draft_consultation_and_the_audit_log_records_it(app, client, federation_world):
    login(client, federation_world["board"])
    slug = federation_world["federation"].slug
    response = client.post(f"/o/{slug}/consultations/new", data={
        "title_es": "Agenda <script>alert(1)</script>2027", "title_en": "", "description_es": "Texto",
        "collecting_until": "2027-03-01", "voting_until": "2027-05-01",
    })
    assert response.status_code == 302
    with app.app_context():
        consultation = db.session.scalars(select(Consultation)).one()
        assert consultation.phase is Phase.DRAFT
        assert consultation.title_es == "Agenda alert(1)2027"  # markup stripped on the way in
        assert consultation.title("en") == "Agenda alert(1)2027"  # falls back to the Spanish title
        assert consultation.created_by_id == federation_world["board"].id
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consultation.create"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>" not in page and "Board controls" in page


def test_a_consultation_needs_a_title_and_dates_in_order_and_nothing_typed_is_lost(app, client, federation_world):
    login(client, federation_world["board"])
    slug = federation_world["federation"].slug
    response = client.post(f"/o/{slug}/consultations/new", data={"description_en": "Keep this text"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Give the consultation a title" in body and "Keep this text" in body
    response = client.post(f"/o/{slug}/consultations/new", data={
        "title_en": "Out of order", "collecting_until": "2027-04-01", "consolidating_until": "2027-03-01"})
    assert response.status_code == 422
    assert "Dates must be in order" in response.get_data(as_text=True)
    assert 'value="Out of order"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Consultation.id))) == 0


def test_the_service_refuses_a_missing_title_and_a_schedule_out_of_order(ctx, federation_world):
    federation, board = load(Organization, federation_world["federation"].id), load(User, federation_world["board"].id)
    with pytest.raises(ValidationFailed) as error:
        services.create_consultation(federation, board, title_es="  ", title_en="")
    assert error.value.field == "title_es"
    with pytest.raises(ValidationFailed) as error:
        services.create_consultation(federation, board, title_en="x", collecting_until=date(2027, 5, 1),
                                     voting_until=date(2027, 4, 1))
    assert (error.value.field, error.value.code) == ("voting_until", "out_of_order")
    club = load(Organization, federation_world["club"].id)
    with pytest.raises(ValidationFailed):
        services.create_consultation(club, board, title_en="A club cannot hold one")


def test_the_board_edits_the_texts_and_schedule(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world)
    login(client, federation_world["admin"])
    form = client.get(f"/consultations/{consultation_id}/edit").get_data(as_text=True)
    assert 'value="2027-03-01"' in form
    response = client.post(f"/consultations/{consultation_id}/edit", data={
        "title_es": "Agenda nueva", "title_en": "New agenda", "description_en": "Now with [a link](https://x.org)",
        "collecting_until": "2027-03-10", "consolidating_until": "", "deliberating_until": "", "voting_until": ""})
    assert response.status_code == 302
    with app.app_context():
        consultation = load(Consultation, consultation_id)
        assert (consultation.title_es, consultation.collecting_until) == ("Agenda nueva", date(2027, 3, 10))
        assert consultation.voting_until is None
    page = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert 'rel="nofollow ugc"' in page and "New agenda" in page


# --- settings ------------------------------------------------------------------------------------------------------

def test_the_board_saves_the_settings_before_voting(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.DELIBERATING)
    login(client, federation_world["board"])
    page = client.get(f"/consultations/{consultation_id}/settings").get_data(as_text=True)
    assert 'value="50"' in page  # thresholds shown as percentages
    assert client.post(f"/consultations/{consultation_id}/settings", data=SETTINGS).status_code == 302
    with app.app_context():
        consultation = load(Consultation, consultation_id)
        assert consultation.agenda_size == 8 and consultation.voting_method is VotingMethod.BORDA
        assert consultation.club_weighting is ClubWeighting.CAPPED and consultation.weighting_cap == 40
        assert consultation.voters_threshold == pytest.approx(0.6)
        assert consultation.women_slot.value == "enforce"


@pytest.mark.parametrize(("change", "message"), [
    ({"weighting_cap": ""}, "say how many members the cap is"),
    ({"agenda_size": "51"}, "Number must be between 1 and 50"),
    ({"agenda_size": "0"}, "Number must be between 1 and 50"),
    ({"voting_method": "dictator"}, "Not a valid choice"),
    ({"clubs_threshold": "0"}, "Number must be between 1 and 100"),
])
def test_bad_settings_are_refused_with_a_message(app, client, federation_world, change, message):
    consultation_id = make_consultation(app, federation_world)
    login(client, federation_world["board"])
    response = client.post(f"/consultations/{consultation_id}/settings", data=SETTINGS | change)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert load(Consultation, consultation_id).agenda_size == 10


@pytest.mark.parametrize("phase", [Phase.VOTING, Phase.TALLIED, Phase.PUBLISHED])
def test_settings_are_locked_once_voting_opens(app, client, federation_world, phase):
    consultation_id = make_consultation(app, federation_world, phase)
    login(client, federation_world["board"])
    page = client.get(f"/consultations/{consultation_id}/settings").get_data(as_text=True)
    assert "can no longer be changed" in page and "<select" not in page
    response = client.post(f"/consultations/{consultation_id}/settings", data=SETTINGS, follow_redirects=True)
    assert "Voting has opened: the settings can no longer be changed." in response.get_data(as_text=True)
    with app.app_context():
        consultation = load(Consultation, consultation_id)
        assert consultation.agenda_size == 10
        with pytest.raises(PhaseClosed):
            services.update_settings(consultation, load(User, federation_world["board"].id),
                                     **SETTINGS | {"voters_threshold": 0.5, "clubs_threshold": 0.5})


def test_the_settings_service_checks_its_input(ctx, federation_world):
    consultation = load(Consultation, make_consultation(ctx, federation_world))
    board = load(User, federation_world["board"].id)
    good = SETTINGS | {"voters_threshold": 0.6, "clubs_threshold": 0.5}
    for bad, field in [({"weighting_cap": None}, "weighting_cap"), ({"agenda_size": 0}, "agenda_size"),
                       ({"women_slot": "maybe"}, "women_slot"), ({"voters_threshold": 1.5}, "voters_threshold")]:
        with pytest.raises(ValidationFailed) as error:
            services.update_settings(consultation, board, **good | bad)
        assert error.value.field == field
    services.update_settings(consultation, board, **good | {"club_weighting": "equal", "weighting_cap": 40})
    assert consultation.weighting_cap is None  # a cap only means something with the capped weighting


# --- phases --------------------------------------------------------------------------------------------------------

def test_advancing_shows_a_confirmation_then_moves_one_step_notifying_every_member(
        app, client, federation_world, outbox, create_user, add_member):
    spanish = create_user("Socia Española", locale="es")
    add_member(spanish, federation_world["other_club"])
    consultation_id = make_consultation(app, federation_world, Phase.DRAFT)
    login(client, federation_world["board"])
    confirm = client.get(f"/consultations/{consultation_id}/advance").get_data(as_text=True)
    assert "Collecting demands" in confirm and 'name="expected" type="hidden" value="draft"' in confirm
    with app.app_context():
        assert load(Consultation, consultation_id).phase is Phase.DRAFT  # GET changes nothing
    response = client.post(f"/consultations/{consultation_id}/advance",
                           data={"expected": "draft", "target": "collecting"}, follow_redirects=True)
    assert "Members have been notified" in response.get_data(as_text=True)
    with app.app_context():
        consultation = load(Consultation, consultation_id)
        assert consultation.phase is Phase.COLLECTING
        notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "phase_changed")))
        members = {federation_world[r].id for r in ("member", "officer", "board", "admin", "other_club_member")}
        assert notified == members | {spanish.id}  # not the other federation's people, nor strangers
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consultation.phase"))
        assert json.loads(entry.detail) == {"from": "draft", "to": "collecting"}
    mails = {message["To"]: message.get_content() for message in outbox}
    assert set(mails) == {user.email for user in (spanish, *(federation_world[r] for r in (
        "member", "officer", "board", "admin", "other_club_member")))}
    assert "Recogiendo demandas" in mails[spanish.email] and "Agenda 2027" in mails[spanish.email]
    assert "Collecting demands" in mails[federation_world["member"].email]
    assert f"/consultations/{consultation_id}" in mails[spanish.email]


def test_a_stale_advance_form_changes_nothing_and_says_why(app, client, federation_world, outbox):
    consultation_id = make_consultation(app, federation_world, Phase.COLLECTING)
    _add_demand(app, consultation_id, federation_world)
    login(client, federation_world["board"])
    # Another board member already moved it from draft; this form still says "draft".
    response = client.post(f"/consultations/{consultation_id}/advance",
                           data={"expected": "draft", "target": "collecting"}, follow_redirects=True)
    assert "Another board member already changed the phase" in response.get_data(as_text=True)
    # A double submit of the same form: the second one is stale.
    data = {"expected": "collecting", "target": "consolidating"}
    client.post(f"/consultations/{consultation_id}/advance", data=data)
    response = client.post(f"/consultations/{consultation_id}/advance", data=data, follow_redirects=True)
    assert "Nothing was changed" in response.get_data(as_text=True)
    with app.app_context():
        assert load(Consultation, consultation_id).phase is Phase.CONSOLIDATING
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "consultation.phase")) == 1


def test_an_invalid_move_is_refused(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.COLLECTING)
    login(client, federation_world["board"])
    for target in ("voting", "draft", "collecting", "nonsense"):
        response = client.post(f"/consultations/{consultation_id}/advance",
                               data={"expected": "collecting", "target": target}, follow_redirects=True)
        assert "can only move one phase forward" in response.get_data(as_text=True), target
    with app.app_context():
        consultation = load(Consultation, consultation_id)
        assert consultation.phase is Phase.COLLECTING
        board = load(User, federation_world["board"].id)
        with pytest.raises(InvalidTransition):
            services.advance_phase(consultation, board, Phase.COLLECTING, Phase.VOTING)
        with pytest.raises(Conflict):
            services.advance_phase(consultation, board, Phase.DRAFT, Phase.COLLECTING)
        assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_published_consultation_has_no_next_phase(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.PUBLISHED)
    login(client, federation_world["board"])
    response = client.get(f"/consultations/{consultation_id}/advance", follow_redirects=True)
    assert "already in its last phase" in response.get_data(as_text=True)


def test_the_consultation_page_explains_the_phase_with_an_accessible_timeline(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.CONSOLIDATING)
    body = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert '<ol class="timeline">' in body
    assert body.count('aria-current="step"') == 1
    assert "new ones are not accepted" in body
    assert "March 15, 2027" in body  # the current phase's last day
    assert "Board controls" not in body


def test_links_to_other_areas_appear_only_when_they_exist(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.COLLECTING)
    login(client, federation_world["member"])
    body = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert ("/demands" in body) is ("demands.index" in app.view_functions)


# --- categories ----------------------------------------------------------------------------------------------------

def test_default_categories_are_seeded_once(ctx, federation_world):
    federation = load(Organization, federation_world["federation"].id)
    first = services.ensure_default_categories(federation)
    again = services.ensure_default_categories(federation)
    assert [c.slug for c in first] == [c.slug for c in again]
    assert [c.name_en for c in first] == [
        "Health", "Education", "Migration and legal help", "Hometown infrastructure", "Economy and remittances",
        "Culture and sport", "Women", "Youth"]
    assert db.session.scalar(select(func.count(Category.id))) == 8
    other = load(Organization, federation_world["other_federation"].id)
    assert len(services.ensure_default_categories(other)) == 8  # each federation has its own list
    services.set_category_archived(first[0], load(User, federation_world["board"].id), True)
    assert len(services.ensure_default_categories(federation)) == 7  # archiving is not a reason to reseed


def test_the_board_adds_renames_archives_and_restores_categories(app, client, federation_world):
    slug = federation_world["federation"].slug
    with app.app_context():  # as create_federation leaves a new federation
        seed_default_categories(load(Organization, federation_world["federation"].id))
        db.session.commit()
    login(client, federation_world["board"])
    page = client.get(f"/o/{slug}/categories").get_data(as_text=True)
    assert "Hometown infrastructure" in page
    assert client.post(f"/o/{slug}/categories", data={"name_es": "Vivienda", "name_en": "Housing"}).status_code == 302
    assert client.post(f"/o/{slug}/categories", data={"name_es": "Vivienda", "name_en": "Housing"}).status_code == 302
    with app.app_context():
        housing = db.session.scalars(select(Category).where(Category.name_en == "Housing")).all()
        assert [c.slug for c in housing] == ["housing", "housing-2"]
        health = db.session.scalar(select(Category).where(Category.slug == "health"))
        health_id = health.id
    response = client.post(f"/categories/{health_id}", data={f"c{health_id}-name_es": "Salud y bienestar",
                                                            f"c{health_id}-name_en": "Health and wellbeing"})
    assert response.status_code == 302
    assert client.post(f"/categories/{health_id}/archive").status_code == 302
    response = client.post(f"/categories/{health_id}/archive", follow_redirects=True)
    assert "Nothing to change" in response.get_data(as_text=True)
    with app.app_context():
        health = load(Category, health_id)
        assert (health.name_en, health.slug, health.is_archived) == ("Health and wellbeing", "health", True)
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "category.rename"))
    client.post(f"/categories/{health_id}/restore")
    with app.app_context():
        assert not load(Category, health_id).is_archived


def test_a_category_needs_a_name_and_a_bad_rename_keeps_the_text(app, client, federation_world):
    slug = federation_world["federation"].slug
    with app.app_context():
        services.ensure_default_categories(load(Organization, federation_world["federation"].id))
    login(client, federation_world["board"])
    response = client.post(f"/o/{slug}/categories", data={"name_es": "", "name_en": " "})
    assert response.status_code == 422 and "Give the category a name." in response.get_data(as_text=True)
    with app.app_context():
        health_id = db.session.scalar(select(Category.id).where(Category.slug == "health"))
    response = client.post(f"/categories/{health_id}", data={f"c{health_id}-name_es": "x" * 81,
                                                            f"c{health_id}-name_en": ""})
    assert response.status_code == 422
    assert "x" * 81 in response.get_data(as_text=True)


def test_another_federations_board_cannot_touch_these_categories(app, client, federation_world, create_user,
                                                                 add_member):
    foreign_board = create_user("Foreign Board")
    add_member(foreign_board, federation_world["other_federation"], role=Role.BOARD)
    with app.app_context():
        category_id = services.ensure_default_categories(load(Organization, federation_world["federation"].id))[0].id
    login(client, foreign_board)
    assert client.post(f"/categories/{category_id}/archive").status_code == 403
    assert client.get(f"/o/{federation_world['federation'].slug}/categories").status_code == 403


# --- Spanish -------------------------------------------------------------------------------------------------------

def test_pages_speak_spanish(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.COLLECTING)
    login(client, federation_world["board"])
    with app.app_context():
        board = load(User, federation_world["board"].id)
        board.locale = None
        db.session.commit()
    headers = {"Accept-Language": "es"}
    page = client.get(f"/consultations/{consultation_id}", headers=headers).get_data(as_text=True)
    assert "Agenda 2027" in page and "agua" in page
    assert "Ahora: Recogiendo demandas" in page
    assert "1 de marzo de 2027" in page
    assert "Controles de la mesa directiva" in page
    confirm = client.get(f"/consultations/{consultation_id}/advance", headers=headers).get_data(as_text=True)
    assert "¿Pasar a la siguiente fase?" in confirm
    settings = client.get(f"/consultations/{consultation_id}/settings", headers=headers).get_data(as_text=True)
    assert "Tamaño de la agenda" in settings
    with app.app_context():
        services.ensure_default_categories(load(Organization, federation_world["federation"].id))
    categories = client.get(f"/o/{federation_world['federation'].slug}/categories", headers=headers)
    assert "Infraestructura en el pueblo" in categories.get_data(as_text=True)


def test_two_board_members_advancing_at_once_move_the_phase_only_once(ctx, federation_world):
    consultation = load(Consultation, make_consultation(ctx, federation_world, Phase.COLLECTING))
    _add_demand(ctx, consultation.id, federation_world)
    board = load(User, federation_world["board"].id)
    # Another request moves the phase after this one loaded the consultation (its copy still says collecting).
    db.session.execute(
        Consultation.__table__.update().where(Consultation.id == consultation.id).values(phase="consolidating"))
    db.session.commit()
    set_committed_value(consultation, "phase", Phase.COLLECTING)
    with pytest.raises(Conflict):
        services.advance_phase(consultation, board, Phase.COLLECTING, Phase.CONSOLIDATING)
    db.session.expire_all()
    assert load(Consultation, consultation.id).phase is Phase.CONSOLIDATING
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "consultation.phase")) == 0


def test_every_phase_has_a_name_and_a_plain_explanation_in_both_languages(app):
    from flask_babel import force_locale

    from deliberate.consultations.views import PHASE_HELP
    from deliberate.labels import phase_name

    with app.test_request_context():
        for locale in ("en", "es"):
            with force_locale(locale):
                names = [phase_name(phase) for phase in Phase]
                assert len(set(names)) == len(Phase) and all(names)
                assert all(str(PHASE_HELP[phase]) for phase in Phase)
        with force_locale("es"):
            assert phase_name(Phase.VOTING) == "Votación"


def test_the_vote_cannot_open_on_an_empty_ballot_and_nobody_is_notified(ctx, federation_world):
    from deliberate.domain.errors import NotReady

    consultation = load(Consultation, make_consultation(ctx, federation_world, Phase.DELIBERATING))
    _add_demand(ctx, consultation.id, federation_world)  # a demand, but in no agenda item
    board = load(User, federation_world["board"].id)
    with pytest.raises(NotReady) as refused:
        services.advance_phase(consultation, board, Phase.DELIBERATING, Phase.VOTING)
    assert [(gap.code, gap.blocking) for gap in refused.value.gaps] == [("no_items", True),
                                                                          ("unplaced_demands", False)]
    db.session.expire_all()
    assert load(Consultation, consultation.id).phase is Phase.DELIBERATING
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_warning_needs_the_boards_confirmation_and_then_the_move_goes_ahead(ctx, federation_world):
    from deliberate.domain.errors import NotReady

    consultation = load(Consultation, make_consultation(ctx, federation_world, Phase.VOTING))
    board = load(User, federation_world["board"].id)
    with pytest.raises(NotReady) as unconfirmed:
        services.advance_phase(consultation, board, Phase.VOTING, Phase.TALLIED, confirmed=False)
    assert unconfirmed.value.needs_confirmation and unconfirmed.value.gaps[0].code == "no_ballots"
    db.session.expire_all()
    consultation = load(Consultation, consultation.id)
    assert consultation.phase is Phase.VOTING
    services.advance_phase(consultation, board, Phase.VOTING, Phase.TALLIED, confirmed=True)
    assert load(Consultation, consultation.id).phase is Phase.TALLIED


def test_the_board_sees_why_the_vote_cannot_open_and_a_forced_post_changes_nothing(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.DELIBERATING)
    _add_demand(app, consultation_id, federation_world)
    login(client, federation_world["board"])
    url = f"/consultations/{consultation_id}/advance"
    page = client.get(url).get_data(as_text=True)
    assert "Not ready to move on" in page and "members would get an empty ballot" in page
    assert "Yes, move to" not in page
    forced = client.post(url, data={"expected": "deliberating", "target": "voting"})
    assert forced.status_code == 409 and "empty ballot" in forced.get_data(as_text=True)
    with app.app_context():
        assert load(Consultation, consultation_id).phase is Phase.DELIBERATING


def test_a_warning_is_confirmed_with_a_tick_before_the_move_in_both_languages(app, client, federation_world):
    consultation_id = make_consultation(app, federation_world, Phase.VOTING)
    login(client, federation_world["board"])
    url = f"/consultations/{consultation_id}/advance"
    page = client.get(url).get_data(as_text=True)
    assert "Before you move on" in page and "Nobody has voted yet" in page and 'name="confirm"' in page
    data = {"expected": "voting", "target": "tallied"}
    unconfirmed = client.post(url, data=data)
    assert unconfirmed.status_code == 409 and "Nobody has voted yet" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert load(Consultation, consultation_id).phase is Phase.VOTING
    assert client.post(url, data={**data, "confirm": "y"}).status_code == 302
    with app.app_context():
        assert load(Consultation, consultation_id).phase is Phase.TALLIED
    spanish = make_consultation(app, federation_world, Phase.VOTING)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    with app.app_context():
        load(User, federation_world["board"].id).locale = "es"
        db.session.commit()
    assert "Nadie ha votado todavía" in client.get(f"/consultations/{spanish}/advance").get_data(as_text=True)


def test_a_new_federation_starts_with_its_categories_and_pages_never_write_them(app, client, federation_world):
    with app.app_context():
        federation = create_federation("Federación Nueva", slug="fed-nueva").federation
        assert [c.slug for c in services.categories_of(federation)][:2] == ["health", "education"]
    login(client, federation_world["board"])
    assert client.get(f"/o/{federation_world['federation'].slug}/categories").status_code == 200
    with app.app_context():  # the older federation, made without them, gets none from a visit
        assert services.categories_of(load(Organization, federation_world["federation"].id)) == []
