"""Programmes: the board plans the published agenda's follow-up, owners report, everyone reads the tracker."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from deliberate.agenda import publish as agenda_publish
from deliberate.ballots.services import cast_ballot
from deliberate.consultations.services import advance_phase
from deliberate.domain.errors import Conflict, PermissionDenied, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.extensions import db
from deliberate.models import (
    AgendaItem,
    AuditEntry,
    Commitment,
    Consultation,
    Demand,
    Follow,
    Funding,
    Milestone,
    Notification,
    Organization,
    Programme,
    ProgrammeUpdate,
    Target,
    User,
    utcnow,
)
from deliberate.models.agenda import DemandPlacement, PlacementStatus
from deliberate.programmes import services, tracking

ROLES = ("anonymous", "outsider", "member", "officer", "board", "admin")


def _get(model, key):
    return db.session.get(model, key)


@pytest.fixture
def published(app, federation_world, create_user, add_member):
    """A published agenda of two items ("Becas", "Salud") out of four, 11 voters in two clubs; "Agua" left out.

    The member of Club Jerez wrote a demand placed on "Salud".
    """
    world = federation_world
    voters = [create_user(f"Voter {i}") for i in range(6)]
    for i, user in enumerate(voters):
        add_member(user, world["club"] if i < 3 else world["other_club"])
    with app.app_context():
        consultation = Consultation(federation_id=world["federation"].id, title_es="Agenda 2027",
                                    title_en="2027 Agenda", phase=Phase.VOTING, agenda_size=2)
        db.session.add(consultation)
        db.session.flush()
        items = {t: AgendaItem(consultation_id=consultation.id, title_es=t, title_en=t + " (en)")
                 for t in ("Salud", "Agua", "Becas", "Cultura")}
        db.session.add_all(items.values())
        db.session.flush()
        demand = Demand(consultation_id=consultation.id, author_id=world["member"].id, club_id=world["club"].id,
                        title="Clínica en Jerez", body="", body_html="")
        db.session.add(demand)
        db.session.flush()
        db.session.add(DemandPlacement(consultation_id=consultation.id, demand_id=demand.id,
                                       agenda_item_id=items["Salud"].id, status=PlacementStatus.LINKED))
        for title in ("Agua", "Becas", "Cultura"):  # every item on the ballot holds a demand
            other = Demand(consultation_id=consultation.id, title=title, body="", body_html="")
            db.session.add(other)
            db.session.flush()
            db.session.add(DemandPlacement(consultation_id=consultation.id, demand_id=other.id,
                                           agenda_item_id=items[title].id, status=PlacementStatus.LINKED))
        db.session.commit()
        ids = {key.lower(): item.id for key, item in items.items()}
        for user in [*voters, world["member"], world["officer"], world["other_club_member"]]:
            cast_ballot(consultation, _get(User, user.id), [[ids["becas"]], [ids["salud"]], [ids["agua"]],
                                                             [ids["cultura"]]], [ids["becas"], ids["salud"]])
        board = _get(User, world["board"].id)
        advance_phase(consultation, board, Phase.VOTING, Phase.TALLIED)
        version = agenda_publish.publish(_get(Consultation, consultation.id), board, expected_versions=0)
        agenda_id, consultation_id, demand_id = version.agenda_id, consultation.id, demand.id
    return {**world, **ids, "agenda": agenda_id, "consultation": consultation_id, "demand": demand_id}


def _board(data):
    return _get(User, data["board"].id)


def _agenda(data):
    return services.published_agenda(data["agenda"])


def _make_programme(data, item="salud", **overrides) -> int:
    values = {"title_es": "Clínica", "title_en": "Clinic", "owner_kind": OwnerKind.CLUB,
              "owner_club_id": data["club"].id, "authority": Target.MEXICAN_STATE,
              "starts_on": date(2027, 1, 1), "due_on": date(2027, 12, 31), **overrides}
    programme = services.create_programme(_agenda(data), _board(data), data[item], services.ProgrammeFields(**values))
    return programme.id


@pytest.fixture
def programme(app, published):
    with app.app_context():
        return _make_programme(published)


def _as(client, log_in, data, role):
    if role != "anonymous":
        log_in(client, data[role])


# --- services -----------------------------------------------------------------------------------------------------

def test_the_board_creates_a_programme_for_an_item_of_the_published_agenda(app, published):
    with app.app_context():
        programme = _get(Programme, _make_programme(published))
        assert programme.status is Status.PLANNED and programme.owner_club_id == published["club"].id
        with pytest.raises(ValidationFailed) as refused:
            _make_programme(published, item="agua")  # counted, but not on the agenda
        assert refused.value.code == "not_on_agenda"
        with pytest.raises(PermissionDenied):
            services.create_programme(_agenda(published), _get(User, published["officer"].id), published["salud"],
                                      services.ProgrammeFields(title_es="X", title_en="X"))
        assert db.session.scalar(select(func.count(Programme.id))) == 1


def test_a_programme_due_before_it_starts_is_refused_and_nothing_is_stored(app, published):
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            _make_programme(published, starts_on=date(2027, 6, 1), due_on=date(2027, 5, 1))
        assert refused.value.code == "due_before_start"
        assert db.session.scalar(select(func.count(Programme.id))) == 0


def test_an_unpublished_agenda_has_no_programmes(app, federation_world):
    from deliberate.domain.errors import NotFound
    from deliberate.models import Agenda

    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="B", title_en="B",
                                    phase=Phase.TALLIED)
        db.session.add(consultation)
        db.session.flush()
        agenda = Agenda(consultation_id=consultation.id)
        db.session.add(agenda)
        db.session.commit()
        with pytest.raises(NotFound):
            services.published_agenda(agenda.id)


def test_progress_comes_from_milestones_and_rolls_up_to_the_agenda(app, published, programme):
    with app.app_context():
        officer = _get(User, published["officer"].id)
        p = _get(Programme, programme)
        services.set_progress(p, officer, 40)
        assert tracking.programme_view(p).progress == pytest.approx(0.4)
        first = services.add_milestone(p, officer, title_es="Terreno", title_en="Land", due_on=date(2027, 3, 1),
                                       weight=60)
        services.add_milestone(p, officer, title_es="Obra", title_en="Works", due_on=date(2027, 9, 1), weight=40)
        with pytest.raises(ValidationFailed) as over:
            services.add_milestone(p, officer, title_es="Más", title_en="More", due_on=None, weight=1)
        assert over.value.code == "weights_over"
        with pytest.raises(Conflict):
            services.set_progress(p, officer, 10)
        services.tick_milestone(first, officer, True)
        tracker = tracking.tracker(_agenda(published), date(2027, 4, 1))
        views = {view.item.id: view for view in tracker.items}
        assert views[published["salud"]].progress == pytest.approx(0.6)
        assert views[published["becas"]].progress is None
        assert tracker.progress == pytest.approx(0.3)


def test_a_milestone_due_before_the_start_is_refused(app, published, programme):
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            services.add_milestone(_get(Programme, programme), _board(published), title_es="Antes", title_en="",
                                   due_on=date(2026, 12, 1), weight=10)
        assert (refused.value.field, refused.value.code) == ("due_on", "before_start")
        assert db.session.scalar(select(func.count(Milestone.id))) == 0


def test_blocking_needs_a_reason_and_tells_followers_and_the_demands_author(app, published, programme):
    with app.app_context():
        officer = _get(User, published["officer"].id)
        agenda = _agenda(published)
        services.follow(_get(User, published["other_club_member"].id), agenda, published["salud"])
        p = _get(Programme, programme)
        with pytest.raises(ValidationFailed):
            services.change_status(p, officer, Status.BLOCKED, "  ")
        assert _get(Programme, programme).status is Status.PLANNED
        services.change_status(p, officer, Status.BLOCKED, "El municipio no ha firmado el convenio.")
        assert p.status_reason.startswith("El municipio")
        told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "programme_status")))
        assert told == {published["other_club_member"].id, published["member"].id}
        with pytest.raises(Conflict):
            services.change_status(p, officer, Status.DONE)


def test_funding_is_never_received_beyond_its_commitment_and_currencies_stay_apart(app, published, programme):
    with app.app_context():
        officer = _get(User, published["officer"].id)
        p = _get(Programme, programme)
        with pytest.raises(ValidationFailed) as beyond:
            services.add_funding(p, officer, source=Source.STATE, currency=Currency.MXN, committed_cents=100_00,
                                 received_cents=200_00, committed_on=None, received_on=None)
        assert beyond.value.code == "beyond_committed"
        share = services.add_funding(p, officer, source=Source.STATE, currency=Currency.MXN,
                                     committed_cents=300_000_00, received_cents=0, committed_on=date(2027, 1, 5),
                                     received_on=None)
        services.add_funding(p, officer, source=Source.CLUB, currency=Currency.USD, committed_cents=5_000_00,
                             received_cents=5_000_00, committed_on=None, received_on=None)
        with pytest.raises(ValidationFailed):
            services.record_received(share, officer, 300_000_01, None)
        services.record_received(share, officer, 100_000_00, date(2027, 2, 1))
        totals = {(t.currency, t.source): t for t in tracking.programme_view(p).funding}
        assert totals[(Currency.MXN, None)].received_cents == 100_000_00
        assert totals[(Currency.USD, None)].committed_cents == 5_000_00


def test_a_promise_past_its_date_is_late_on_the_scorecard(app, published, programme):
    with app.app_context():
        p = _get(Programme, programme)
        board = _board(published)
        today = utcnow().date()
        late = services.add_commitment(p, board, official="Gobernador", authority=Target.MEXICAN_STATE,
                                       promise="Poner la mitad.", promised_on=today - timedelta(days=90),
                                       due_on=today - timedelta(days=1), evidence="https://example.org/acta")
        kept = services.add_commitment(p, board, official="Presidenta municipal",
                                       authority=Target.HOMETOWN_MUNICIPALITY, promise="El terreno.",
                                       promised_on=today - timedelta(days=90), due_on=None, evidence="")
        services.set_commitment_status(kept, board, CommitmentStatus.KEPT)
        with pytest.raises(ValidationFailed):
            services.add_commitment(p, board, official="X", authority=Target.CONSULATE, promise="Y",
                                    promised_on=today, due_on=None, evidence="javascript:alert(1)")
        tracker = tracking.tracker(_agenda(published))
        scores = {score.name: score for score in tracker.by_official}
        assert scores["Gobernador"].late == 1 and scores["Presidenta municipal"].kept == 1
        assert late.evidence_links == ["https://example.org/acta"]


def test_a_follow_is_one_row_per_member_and_item_and_outsiders_cannot_follow(app, published):
    with app.app_context():
        agenda = _agenda(published)
        member = _get(User, published["member"].id)
        services.follow(member, agenda, published["salud"])
        with pytest.raises(Conflict):
            services.follow(member, agenda, published["salud"])
        with pytest.raises(PermissionDenied):
            services.follow(_get(User, published["outsider"].id), agenda, published["salud"])
        with pytest.raises(ValidationFailed):
            services.follow(member, agenda, published["agua"])
        services.unfollow(member, agenda, published["salud"])
        assert db.session.scalar(select(func.count(Follow.id))) == 0


def test_following_is_never_derived_from_ballots(app, published):
    with app.app_context():
        assert db.session.scalar(select(func.count(Follow.id))) == 0  # eleven voters approved, nobody follows
        assert tracking.followed_items(_get(User, published["member"].id), [published["salud"]]) == set()


# --- pages and permissions ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_the_tracker_and_a_programme(app, published, programme, client, log_in, role):
    _as(client, log_in, published, role)
    page = client.get(f"/agendas/{published['agenda']}/tracker")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Clinic" in html and "Becas (en)" in html
    assert ("Add a programme for this item" in html) is (role in ("board", "admin"))
    assert ("Follow this item" in html) is (role not in ("anonymous", "outsider"))
    show = client.get(f"/programmes/{programme}")
    assert show.status_code == 200
    assert ("Post an update" in show.get_data(as_text=True)) is (role in ("officer", "board", "admin"))
    for suffix in ("tracker.csv", "tracker.json", "updates.atom"):
        assert client.get(f"/agendas/{published['agenda']}/{suffix}").status_code == 200
    dashboard = client.get(f"/o/{published['federation'].slug}/follow-up")
    assert dashboard.status_code == 200 and "Agenda 2027" not in dashboard.get_data(as_text=True)
    assert "2027 Agenda" in dashboard.get_data(as_text=True)
    assert client.get(f"/o/{published['federation'].slug}/follow-up.json").status_code == 200


# (route, who may, form data) — every write under every role; an anonymous visitor is sent to log in.
WRITES = [
    ("get", "/agendas/{agenda}/programmes/new", {"board", "admin"}, None),
    ("post", "/agendas/{agenda}/programmes", {"board", "admin"},
     {"item": "{becas}", "title_es": "Becas 2027", "title_en": "", "owner_kind": "board", "owner_club": "0",
      "owner_member": "0", "authority": "", "budget_currency": "MXN"}),
    ("get", "/programmes/{programme}/edit", {"board", "admin"}, None),
    ("post", "/programmes/{programme}/edit", {"board", "admin"},
     {"title_es": "Clínica nueva", "owner_kind": "club", "owner_club": "{club_id}", "owner_member": "0",
      "authority": "mexican_state", "budget_currency": "MXN"}),
    ("post", "/programmes/{programme}/commitments", {"board", "admin"},
     {"official": "Gobernador", "authority": "mexican_state", "promise": "La mitad", "promised_on": "2027-01-10"}),
    ("post", "/programmes/{programme}/status", {"officer", "board", "admin"},
     {"status": "in_progress", "reason": ""}),
    ("post", "/programmes/{programme}/progress", {"officer", "board", "admin"}, {"percent": "25"}),
    ("post", "/programmes/{programme}/milestones", {"officer", "board", "admin"},
     {"title_es": "Terreno", "due_on": "2027-03-01", "weight": "30"}),
    ("post", "/programmes/{programme}/funding", {"officer", "board", "admin"},
     {"source": "club", "currency": "USD", "committed": "1000", "received": "500"}),
    ("post", "/programmes/{programme}/updates", {"officer", "board", "admin"},
     {"happened_on": "2026-11-15", "text": "Firmamos el convenio.", "links": ""}),
    ("post", "/agendas/{agenda}/items/{salud}/follow", {"member", "officer", "board", "admin"}, {}),
]


def _fill(value, data, programme):
    return value.format(agenda=data["agenda"], programme=programme, becas=data["becas"], salud=data["salud"],
                        club_id=data["club"].id)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "route", "allowed", "form"), WRITES, ids=[f"{w[0]} {w[1]}" for w in WRITES])
def test_every_write_is_for_its_roles_only(app, published, programme, client, log_in, role, method, route,
                                           allowed, form):
    _as(client, log_in, published, role)
    url = _fill(route, published, programme)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data={key: _fill(value, published, programme) for key, value in form.items()})
    if role == "anonymous":
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_ticking_a_milestone_recording_money_and_scoring_a_promise_by_role(app, published, programme, client,
                                                                            log_in, role):
    with app.app_context():
        p = _get(Programme, programme)
        milestone = services.add_milestone(p, _board(published), title_es="Terreno", title_en="", due_on=None,
                                           weight=50).id
        share = services.add_funding(p, _board(published), source=Source.STATE, currency=Currency.MXN,
                                     committed_cents=1000_00, received_cents=0, committed_on=None,
                                     received_on=None).id
        promise = services.add_commitment(p, _board(published), official="Gobernador",
                                          authority=Target.MEXICAN_STATE, promise="La mitad",
                                          promised_on=date(2027, 1, 1), due_on=None, evidence="").id
    _as(client, log_in, published, role)
    answers = [client.post(f"/milestones/{milestone}/tick", data={"done": "1"}),
               client.post(f"/funding/{share}/received", data={"received": "100"}),
               client.post(f"/commitments/{promise}/status", data={"status": "kept"})]
    owners, board = {"officer", "board", "admin"}, {"board", "admin"}
    for answer, allowed in zip(answers, (owners, owners, board), strict=True):
        if role == "anonymous":
            assert answer.status_code == 302 and "/account/login" in answer.headers["Location"]
        else:
            assert answer.status_code == (302 if role in allowed else 403)
    with app.app_context():
        assert _get(Milestone, milestone).is_done is (role in owners)
        assert _get(Funding, share).received_cents == (100_00 if role in owners else 0)
        assert _get(Commitment, promise).status is (CommitmentStatus.KEPT if role in board
                                                     else CommitmentStatus.IN_PROGRESS)


def test_a_named_member_owns_her_programme(app, published, client, log_in):
    with app.app_context():
        programme = _make_programme(published, owner_kind=OwnerKind.MEMBER, owner_club_id=None,
                                    owner_user_id=published["member"].id)
    log_in(client, published["member"])
    answer = client.post(f"/programmes/{programme}/updates",
                         data={"happened_on": "2026-11-15", "text": "Hablé con el director.", "links": ""})
    assert answer.status_code == 302
    log_in(client, published["officer"])
    assert client.post(f"/programmes/{programme}/progress", data={"percent": "10"}).status_code == 403


@pytest.mark.parametrize(("route", "data", "message"), [
    ("milestones", {"title_es": "Antes", "due_on": "2026-12-01", "weight": "10"},
     "A milestone cannot be due before its programme starts."),
    ("milestones", {"title_es": "Todo", "due_on": "", "weight": "101"}, "Write a number from 1 to 100."),
    ("funding", {"source": "state", "currency": "MXN", "committed": "100", "received": "150"},
     "More cannot be received than was committed."),
    ("funding", {"source": "state", "currency": "EUR", "committed": "100", "received": "0"}, "Not a valid choice"),
    ("status", {"status": "blocked", "reason": ""}, "Blocking or dropping a programme needs a public reason."),
    ("status", {"status": "done", "reason": ""}, "A programme cannot move from this status to that one."),
    ("updates", {"happened_on": "9999-01-01", "text": "Texto que no se pierde", "links": ""},
     "Choose a date between the years 2000 and 2099."),
    ("updates", {"happened_on": "2026-11-01", "text": "Texto que no se pierde", "links": "ftp://x"},
     "Each link must be a full address starting with https://"),
    ("progress", {"percent": "250"}, "Write a number from 0 to 100."),
])
def test_bad_input_is_explained_and_what_was_typed_is_kept(app, published, programme, client, log_in, route, data,
                                                            message):
    log_in(client, published["officer"])
    answer = client.post(f"/programmes/{programme}/{route}", data=data)
    assert answer.status_code in (409, 422)
    html = answer.get_data(as_text=True)
    assert message in html
    for value in data.values():
        if value and value not in ("EUR",) and len(value) > 3:
            assert value in html
    with app.app_context():
        p = _get(Programme, programme)
        assert (len(p.milestones), len(p.fundings), len(p.updates), p.status) == (0, 0, 0, Status.PLANNED)


def test_weights_that_do_not_add_up_are_refused_through_the_page(app, published, programme, client, log_in):
    log_in(client, published["officer"])
    client.post(f"/programmes/{programme}/milestones", data={"title_es": "Uno", "weight": "80"})
    answer = client.post(f"/programmes/{programme}/milestones", data={"title_es": "Dos", "weight": "30"})
    assert answer.status_code == 422
    assert "add up to more than 100" in answer.get_data(as_text=True)


def test_the_board_form_refuses_a_programme_due_before_it_starts_in_spanish(app, published, client, log_in):
    with app.app_context():
        _board(published).locale = "es"
        db.session.commit()
    log_in(client, published["board"])
    answer = client.post(f"/agendas/{published['agenda']}/programmes", headers={"Accept-Language": "es"}, data={
        "item": str(published["becas"]), "title_es": "Becas para Jerez", "owner_kind": "board", "owner_club": "0",
        "owner_member": "0", "authority": "", "starts_on": "2027-05-01", "due_on": "2027-04-01",
        "budget_currency": "MXN"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Becas para Jerez" in html and "La fecha límite no puede ser anterior a la de inicio." in html


def test_the_board_cannot_choose_an_item_off_the_agenda_or_a_club_of_another_federation(app, published, client,
                                                                                          log_in):
    log_in(client, published["board"])
    base = {"title_es": "X", "owner_member": "0", "authority": "", "budget_currency": "MXN"}
    off = client.post(f"/agendas/{published['agenda']}/programmes",
                      data={**base, "item": str(published["agua"]), "owner_kind": "board", "owner_club": "0"})
    assert off.status_code == 422
    foreign = client.post(f"/agendas/{published['agenda']}/programmes",
                          data={**base, "item": str(published["becas"]), "owner_kind": "club",
                                "owner_club": str(published["foreign_club"].id)})
    assert foreign.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Programme.id))) == 0


@pytest.mark.parametrize("url", [
    "/agendas/99999/tracker", "/agendas/99999999999999999999/tracker", "/programmes/2147483648",
    "/programmes/99999999999999999999999", "/agendas/{agenda}/items/99999999999/follow",
])
def test_ids_out_of_range_are_not_found(app, published, client, log_in, url):
    log_in(client, published["member"])
    url = url.format(agenda=published["agenda"])
    answer = client.post(url) if url.endswith("follow") else client.get(url)
    assert answer.status_code == 404


def test_an_unpublished_agenda_has_no_tracker(app, federation_world, client):
    from deliberate.models import Agenda

    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="B", title_en="B",
                                    phase=Phase.TALLIED)
        db.session.add(consultation)
        db.session.flush()
        agenda = Agenda(consultation_id=consultation.id)
        db.session.add(agenda)
        db.session.commit()
        agenda_id = agenda.id
    assert client.get(f"/agendas/{agenda_id}/tracker").status_code == 404
    assert client.get(f"/agendas/{agenda_id}/tracker.csv").status_code == 404


# --- exports, feed, links -----------------------------------------------------------------------------------------

def test_the_csv_neutralises_formulas_and_opens_in_excel_as_utf8(app, published, client):
    with app.app_context():
        _make_programme(published, title_es="=HYPERLINK(\"http://x\")", title_en="+1 Clínica")
    body = client.get(f"/agendas/{published['agenda']}/tracker.csv").data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0]["title_es"].startswith("'=") and rows[0]["title_en"] == "'+1 Clínica"


def test_the_json_export_keeps_currencies_apart_in_cents(app, published, programme, client):
    with app.app_context():
        p = _get(Programme, programme)
        services.add_funding(p, _board(published), source=Source.MUNICIPALITY, currency=Currency.MXN,
                             committed_cents=50_000_00, received_cents=10_000_00, committed_on=None,
                             received_on=None)
    data = json.loads(client.get(f"/agendas/{published['agenda']}/tracker.json").data)
    assert data["format"] == "deliberate-tracker/1"
    assert {"currency": "MXN", "source": None, "committed_cents": 50_000_00, "received_cents": 10_000_00} \
        in data["funding"]
    salud = next(item for item in data["items"] if item["item"] == published["salud"])
    assert salud["programmes"][0]["owner"] == {"kind": "club", "name": "Club Jerez"}


def test_the_atom_feed_lists_updates_and_status_changes(app, published, programme, client):
    with app.app_context():
        p = _get(Programme, programme)
        services.change_status(p, _board(published), Status.IN_PROGRESS)
        services.post_update(p, _board(published), happened_on=utcnow().date(), text="Primera piedra.", links="")
    feed = ET.fromstring(client.get(f"/agendas/{published['agenda']}/updates.atom").data)  # noqa: S314 - our own feed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 2
    assert any("In progress" in entry.find("a:title", ns).text for entry in entries)


def test_the_published_agenda_links_to_its_tracker(app, published, client):
    html = client.get(f"/agendas/{published['agenda']}").get_data(as_text=True)
    assert f"/agendas/{published['agenda']}/tracker" in html


def test_a_member_follows_her_demand_to_its_programme(app, published, programme, client, log_in):
    with app.app_context():
        services.set_progress(_get(Programme, programme), _board(published), 35)
    log_in(client, published["member"])
    html = client.get(f"/demands/{published['demand']}").get_data(as_text=True)
    assert "What became of this demand" in html and "Clinic" in html and "35%" in html


def test_the_tracker_reads_in_spanish_with_local_amounts(app, published, programme, client):
    with app.app_context():
        services.add_funding(_get(Programme, programme), _board(published), source=Source.STATE,
                             currency=Currency.MXN, committed_cents=1_500_000_00, received_cents=250_000_00,
                             committed_on=None, received_on=None)
    html = client.get(f"/agendas/{published['agenda']}/tracker", headers={"Accept-Language": "es"}) \
        .get_data(as_text=True)
    assert "Seguimiento" in html and "$1,500,000.00" in html and "Planeado" in html


def test_an_update_with_markup_is_stored_clean(app, published, programme, client, log_in):
    log_in(client, published["officer"])
    client.post(f"/programmes/{programme}/updates", data={
        "happened_on": "2026-11-15", "text": "Avance <script>alert(1)</script> **real**", "links": ""})
    with app.app_context():
        update = db.session.scalar(select(ProgrammeUpdate))
        assert "<script" not in update.text_html and "<strong>real</strong>" in update.text_html
    assert "<script>alert" not in client.get(f"/programmes/{programme}").get_data(as_text=True)


# --- the demo -----------------------------------------------------------------------------------------------------

def test_demo_cycle_follows_its_agenda_up_with_some_late_and_one_blocked(app, client, make_app):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from deliberate.agenda.cli import demo_cycle_command

    demo = make_app(SERVER_NAME=None)
    result = CliRunner().invoke(demo_cycle_command, [], obj=ScriptInfo(create_app=lambda: demo))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output.strip().splitlines()[-1])
    assert output["tracker_url"] == f"http://localhost:5000/agendas/{output['agenda_id']}/tracker"
    with app.app_context():
        tracker = tracking.tracker(services.published_agenda(output["agenda_id"]))
        views = [view for item in tracker.items for view in item.programmes]
        assert len([v for v in views if not v.programme.is_for_women]) == len(tracker.items)
        assert tracker.counts["blocked"] == 1
        assert tracker.womens.total == 2 and dict(tracker.womens.by_status)[Status.IN_PROGRESS] == 1
        assert tracker.counts["overdue"] >= 1 and any(score.late for score in tracker.by_official)
        assert all(view.programme.updates for view in views if view.programme.status is not Status.PLANNED)
        assert {total.currency for total in tracker.funding} == {Currency.MXN, Currency.USD}
        assert any(update.photo and update.photo.description for view in views for update in view.programme.updates
                   if view.programme.status is Status.DONE)
    page = client.get(f"/agendas/{output['agenda_id']}/tracker").get_data(as_text=True)
    assert "Blocked" in page and "Overdue" in page and "2 projects designed by women, for women." in page


# --- projects designed for women ----------------------------------------------------------------------------------

def test_the_board_marks_a_project_designed_for_women_and_the_agenda_and_tracker_count_them(app, published, client,
                                                                                             log_in):
    log_in(client, published["board"])
    answer = client.post(f"/agendas/{published['agenda']}/programmes", data={
        "item": str(published["becas"]), "title_es": "Becas para mujeres líderes", "owner_kind": "board",
        "owner_club": "0", "owner_member": "0", "authority": "", "budget_currency": "MXN", "is_for_women": "y"})
    assert answer.status_code == 302
    with app.app_context():
        _make_programme(published)  # not for women
        women_id = db.session.scalar(select(Programme.id).where(Programme.is_for_women.is_(True)))
        services.change_status(_get(Programme, women_id), _board(published), Status.IN_PROGRESS, "")
    client.post("/account/logout")
    tracker = client.get(f"/agendas/{published['agenda']}/tracker").get_data(as_text=True)
    assert "1 project designed by women, for women." in tracker and "Designed for women" in tracker
    summary = tracker[tracker.index("womens-projects-title"):tracker.index("items-title")]
    assert "In progress" in summary and "Planned" not in summary
    agenda = client.get(f"/agendas/{published['agenda']}").get_data(as_text=True)
    assert "1 project designed by women, for women." in agenda
    assert "Designed for women" in client.get(f"/programmes/{women_id}").get_data(as_text=True)
    data = json.loads(client.get(f"/agendas/{published['agenda']}/tracker.json").get_data(as_text=True))
    assert data["womens_projects"]["total"] == 1 and data["womens_projects"]["by_status"]["in_progress"] == 1
    marks = sorted(p["is_for_women"] for item in data["items"] for p in item["programmes"])
    assert marks == [False, True]


def test_an_agenda_without_projects_for_women_says_so_on_the_tracker_only(app, published, programme, client):
    assert "No project designed for women yet." in client.get(
        f"/agendas/{published['agenda']}/tracker").get_data(as_text=True)
    assert "Projects designed for women" not in client.get(f"/agendas/{published['agenda']}").get_data(as_text=True)


def test_every_write_on_a_programme_is_in_the_federations_audit_log_and_a_refused_one_is_not(app, published,
                                                                                               programme, client,
                                                                                               log_in):
    with app.app_context():
        officer, board = _get(User, published["officer"].id), _board(published)
        p = _get(Programme, programme)
        with pytest.raises(ValidationFailed):
            services.change_status(p, officer, Status.BLOCKED, "")
        services.change_status(p, officer, Status.BLOCKED, "Falta el convenio.")
        milestone = services.add_milestone(p, officer, title_es="Terreno", title_en="Land", due_on=None, weight=40)
        services.tick_milestone(milestone, officer, True)
        share = services.add_funding(p, officer, source=Source.STATE, currency=Currency.MXN,
                                     committed_cents=300_000_00, received_cents=0, committed_on=None,
                                     received_on=None)
        services.record_received(share, officer, 100_000_00, None)
        services.add_commitment(p, board, official="Gobernadora", authority=Target.MEXICAN_STATE,
                                promise="Terreno donado", promised_on=date(2026, 11, 1), due_on=None, evidence="")
        services.post_update(p, officer, happened_on=date(2026, 11, 2), text="Visitamos el terreno.", links="")
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.subject == f"programme:{programme}")
                                     .order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == [
            "programme.create", "programme.status", "programme.milestone", "programme.tick", "programme.funding",
            "programme.received", "programme.commitment", "programme.update"]
        assert {e.organization_id for e in entries} == {published["federation"].id}
        assert entries[1].actor_id == officer.id
        board.locale = "es"
        db.session.commit()
    _as(client, log_in, published, "board")
    page = client.get(f"/o/{published['federation'].slug}/manage")
    text = page.get_data(as_text=True)
    assert "Estado del programa cambiado" in text and f"Programa #{programme}" in text
    assert "De «Planeado» a «Bloqueado». Motivo: Falta el convenio." in text
    assert "De Gobierno del estado: $300,000.00 comprometido, $0.00 recibido." in text


# --- photos of updates ----------------------------------------------------------------------------------------------

def _phone_photo() -> bytes:
    """A JPEG as a phone writes it: the picture, plus where, when and with what it was taken."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 39.0, 0.0), 3: "W", 4: (102.0, 59.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 140, 60)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def _post_photo(client, programme, photo: bytes, description="La barda del terreno, ya levantada", **fields):
    data = {"happened_on": "2026-11-15", "text": "Se levantó la barda.", "links": "",
            "photo_description": description, "photo": (io.BytesIO(photo), "IMG_2041.jpg"), **fields}
    return client.post(f"/programmes/{programme}/updates", data=data, content_type="multipart/form-data")


def test_an_owner_posts_an_update_with_a_photo_published_without_its_metadata(app, published, programme, client,
                                                                             log_in):
    log_in(client, published["officer"])
    answer = _post_photo(client, programme, _phone_photo())
    assert answer.status_code == 302
    with app.app_context():
        update = db.session.scalar(select(ProgrammeUpdate))
        update_id, width = update.id, update.photo.width
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "programme.update"))
        assert json.loads(entry.detail)["photo"] is True
    assert width == 320
    page = client.get(f"/programmes/{programme}").get_data(as_text=True)
    assert f'src="/updates/{update_id}/photo"' in page and 'alt="La barda del terreno, ya levantada"' in page
    served = client.get(f"/updates/{update_id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"PhoneMaker" not in served.data and b"Exif" not in served.data
    assert client.get(f"/updates/{update_id}/photo", headers={"If-None-Match": served.headers["ETag"]}) \
        .status_code == 304
    feed = client.get(f"/agendas/{published['agenda']}/updates.atom").get_data(as_text=True)
    assert f"/updates/{update_id}/photo" in feed and 'rel="enclosure"' in feed


@pytest.mark.parametrize(("photo", "description", "words"), [
    (b"%PDF-1.7 not a picture", "Un documento", "Envía la foto como imagen JPEG, PNG o WebP"),
    ("phone", "", "Di qué muestra la foto"),
    ("cut", "La barda", "No se pudo leer esta foto"),
])
def test_a_bad_photo_is_explained_in_spanish_and_the_text_is_kept(app, published, programme, client, log_in, photo,
                                                                  description, words):
    photo = {"phone": _phone_photo(), "cut": _phone_photo()[:300]}.get(photo, photo)
    with app.app_context():
        officer = _get(User, published["officer"].id)
        officer.locale = "es"
        db.session.commit()
    log_in(client, published["officer"])
    answer = _post_photo(client, programme, photo, description)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert words in html and "Se levantó la barda." in html
    with app.app_context():
        assert db.session.scalar(select(func.count(ProgrammeUpdate.id))) == 0


def test_a_photo_over_the_limit_keeps_the_text_and_a_body_far_over_it_is_refused_unread(app, published, programme,
                                                                                        client, log_in,
                                                                                        monkeypatch):
    from deliberate.domain import photos

    monkeypatch.setattr(photos, "MAX_BYTES", 2_000)  # the route reads up to three times the photo's limit
    log_in(client, published["officer"])
    over = _post_photo(client, programme, b"\xff\xd8" + b"\0" * 3_000)
    assert over.status_code == 422
    assert "The photo is larger than 15 MB. Your text is still here" in over.get_data(as_text=True)
    assert "Se levantó la barda." in over.get_data(as_text=True)
    far = _post_photo(client, programme, b"\xff\xd8" + b"\0" * 10_000)
    assert far.status_code == 413 and "nothing was posted" in far.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ProgrammeUpdate.id))) == 0


def test_a_photo_is_only_for_an_update_that_has_one(app, published, programme, client, log_in):
    log_in(client, published["officer"])
    client.post(f"/programmes/{programme}/updates", data={"happened_on": "2026-11-15", "text": "Sin foto"})
    with app.app_context():
        update_id = db.session.scalar(select(ProgrammeUpdate.id))
    assert client.get(f"/updates/{update_id}/photo").status_code == 404
    assert client.get("/updates/99999/photo").status_code == 404
    assert client.get(f"/updates/{2**40}/photo").status_code == 404



# --- the federation's follow-up across its agendas ----------------------------------------------------------------

def test_the_federation_dashboard_spans_its_agendas_and_puts_the_blocked_first(app, published, programme, client):
    with app.app_context():
        officer = _get(User, published["officer"].id)
        p = _get(Programme, programme)
        services.change_status(p, officer, Status.BLOCKED, "El municipio no ha firmado el convenio.")
        other = _get(Programme, _make_programme(published, "becas", title_es="Becas", title_en="Scholarships",
                                                due_on=date(2026, 1, 31), starts_on=date(2025, 1, 1)))
        services.add_funding(other, officer, source=Source.CLUB, currency=Currency.USD, committed_cents=1_000_00,
                             received_cents=400_00, committed_on=None, received_on=None)
        services.add_funding(p, officer, source=Source.STATE, currency=Currency.MXN, committed_cents=50_000_00,
                             received_cents=0, committed_on=None, received_on=None)
        data = tracking.federation_dashboard(_get(Organization, published["federation"].id), date(2026, 12, 1))
        assert data.counts == {"agendas": 1, "programmes": 2, "overdue": 1, "blocked": 1, "done": 0}
        assert [view.programme.id for _t, view in data.attention] == [programme, other.id]  # blocked first
        assert {(t.currency, t.committed_cents) for t in data.funding if t.source is None} == {
            (Currency.USD, 1_000_00), (Currency.MXN, 50_000_00)}
        assert data.progress == pytest.approx(data.trackers[0].progress)
    slug = published["federation"].slug
    html = client.get(f"/o/{slug}/follow-up", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Seguimiento de" in html and "Requiere atención" in html and "El municipio no ha firmado" in html
    assert "Bloqueado" in html and "Atrasado" in html and f'href="/agendas/{published["agenda"]}/tracker"' in html
    exported = json.loads(client.get(f"/o/{slug}/follow-up.json").data)
    assert exported["format"] == "deliberate-follow-up/1" and exported["counts"]["blocked"] == 1
    assert [agenda["agenda"] for agenda in exported["agendas"]] == [published["agenda"]]
    assert f"/o/{slug}/follow-up" in client.get(f"/agendas/{published['agenda']}/tracker").get_data(as_text=True)
    assert f"/o/{slug}/follow-up" in client.get(f"/o/{slug}").get_data(as_text=True)


def test_a_federation_without_a_published_agenda_says_so_and_a_club_or_unknown_name_has_no_dashboard(
        app, federation_world, client):
    world = federation_world
    html = client.get(f"/o/{world['federation'].slug}/follow-up").get_data(as_text=True)
    assert "No agenda has been published yet" in html
    assert json.loads(client.get(f"/o/{world['federation'].slug}/follow-up.json").data)["agendas"] == []
    assert client.get(f"/o/{world['club'].slug}/follow-up").status_code == 404
    assert client.get("/o/no-such-federation/follow-up").status_code == 404
