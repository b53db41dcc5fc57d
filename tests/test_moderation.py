"""Reports and moderation: members report once; the board hides with a reason, keeps or unhides."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from deliberate.deliberation import services
from deliberate.domain.errors import Conflict, PermissionDenied, ValidationFailed
from deliberate.extensions import db
from deliberate.models import Argument, AuditEntry, Demand, Notification, Report
from tests.factories import collecting_world, consultation_of, demand_of, discussion_path, login, user_of

OFFENSIVE = "Esto es un insulto <b>grave</b>"


@pytest.fixture
def world(app, federation_world):
    w = collecting_world(app, federation_world)
    with app.app_context():
        w["argument_id"] = services.write_argument(consultation_of(w), user_of(w, "officer"), demand_of(w, "d_other"),
                                                   "against", OFFENSIVE).id
    return w


def queue_path(world):
    return f"/consultations/{world['consultation_id']}/moderation"


def report_path(world, subject_type, subject_id):
    return f"/consultations/{world['consultation_id']}/report/{subject_type}/{subject_id}"


def moderate_path(world, subject_type, subject_id, action):
    return f"{queue_path(world)}/{subject_type}/{subject_id}/{action}"


def notes(app, person, kind):
    with app.app_context():
        return db.session.scalars(
            select(Notification).where(Notification.user_id == person.id, Notification.kind == kind)
        ).all()


def argument(world):
    return db.session.get(Argument, world["argument_id"])


def test_any_member_reports_an_item_once(app, world):
    with app.app_context():
        services.report(consultation_of(world), user_of(world, "member"), argument(world), "Insulta a otro socio")
        services.report(consultation_of(world), user_of(world, "board"), argument(world), "Lenguaje ofensivo")
        with pytest.raises(Conflict) as error:
            services.report(consultation_of(world), user_of(world, "member"), argument(world), "otra vez")
        assert error.value.reason == "duplicate"
        with pytest.raises(ValidationFailed):
            services.report(consultation_of(world), user_of(world, "officer"), argument(world), "   ")
        with pytest.raises(PermissionDenied):
            services.report(consultation_of(world), user_of(world, "outsider"), argument(world), "no soy de aquí")
        [entry] = services.moderation_queue(consultation_of(world))
        assert entry.subject.id == world["argument_id"] and len(entry.reports) == 2


def test_the_queue_groups_reports_by_item_most_reported_first(app, world):
    with app.app_context():
        c = consultation_of(world)
        services.report(c, user_of(world, "member"), demand_of(world, "d_officer"), "spam")
        services.report(c, user_of(world, "member"), argument(world), "insulto")
        services.report(c, user_of(world, "other_club_member"), argument(world), "insulto")
        queue = services.moderation_queue(c)
        assert [(e.subject_type, e.subject.id, len(e.reports)) for e in queue] == [
            ("argument", world["argument_id"], 2), ("demand", world["d_officer"], 1)]


def test_hiding_keeps_the_content_in_the_audit_log_and_tells_the_author(app, world):
    with app.app_context():
        services.report(consultation_of(world), user_of(world, "member"), argument(world), "insulto")
        services.hide(consultation_of(world), user_of(world, "board"), argument(world), "Lenguaje que ofende")
        hidden = argument(world)
        assert hidden.is_hidden and hidden.hidden_reason == "Lenguaje que ofende"
        assert hidden.hidden_by_id == world["board"].id
        report = db.session.scalars(select(Report)).one()
        assert report.resolution == "hidden" and report.resolved_at is not None
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "argument.hide")).one()
        detail = json.loads(entry.detail)
        assert detail["reason"] == "Lenguaje que ofende" and detail["content"]["body"] == hidden.body
        assert services.moderation_queue(consultation_of(world)) == []
        with pytest.raises(Conflict):
            services.hide(consultation_of(world), user_of(world, "board"), argument(world), "otra vez")
    [note] = notes(app, world["officer"], "content_hidden")
    assert note.params == {"subject_type": "argument", "title": "Becas para estudiantes",
                           "reason": "Lenguaje que ofende"}


def test_keeping_closes_the_reports_and_tells_the_reporters(app, world):
    with app.app_context():
        services.report(consultation_of(world), user_of(world, "member"), demand_of(world, "d_officer"), "no me gusta")
        assert services.keep(consultation_of(world), user_of(world, "admin"), demand_of(world, "d_officer")) == 1
        assert not demand_of(world, "d_officer").is_hidden
        assert db.session.scalars(select(Report)).one().resolution == "kept"
        with pytest.raises(Conflict):
            services.keep(consultation_of(world), user_of(world, "admin"), demand_of(world, "d_officer"))
    assert len(notes(app, world["member"], "content_kept")) == 1
    assert notes(app, world["officer"], "content_hidden") == []


def test_unhiding_shows_the_item_again_and_counts_its_reactions(app, world):
    with app.app_context():
        services.react(consultation_of(world), user_of(world, "member"), demand_of(world, "d_officer"), 1)
        services.hide(consultation_of(world), user_of(world, "board"), demand_of(world, "d_officer"),
                      "Datos personales")
        assert services.next_demand_to_react(consultation_of(world), user_of(world, "officer")).id != world["d_officer"]
        services.unhide(consultation_of(world), user_of(world, "board"), demand_of(world, "d_officer"))
        shown = demand_of(world, "d_officer")
        assert shown.is_visible and shown.hidden_reason is None and shown.agree_count == 1
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "demand.unhide"))
        with pytest.raises(Conflict):
            services.unhide(consultation_of(world), user_of(world, "board"), demand_of(world, "d_officer"))


@pytest.mark.parametrize("role", ["member", "officer", "other_club_member", "outsider"])
def test_only_the_board_moderates(app, world, role):
    with app.app_context():
        with pytest.raises(PermissionDenied):
            services.hide(consultation_of(world), user_of(world, role), argument(world), "no")
        with pytest.raises(PermissionDenied):
            services.unhide(consultation_of(world), user_of(world, role), demand_of(world, "d_hidden"))


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("stranger", 403), ("outsider", 403), ("member", 403), ("officer", 403),
    ("other_club_member", 403), ("board", 200), ("admin", 200),
])
def test_the_moderation_queue_is_for_the_board_only(client, world, role, expected):
    if role != "anonymous":
        login(client, world[role])
    assert client.get(queue_path(world)).status_code == expected
    post = client.post(moderate_path(world, "demand", world["d_hidden"], "unhide"))
    assert post.status_code == (302 if expected in (200, 302) else 403)


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("stranger", 403), ("outsider", 403), ("member", 200), ("officer", 200), ("board", 200),
])
def test_the_report_form_answers_each_role(client, world, role, expected):
    if role != "anonymous":
        login(client, world[role])
    assert client.get(report_path(world, "argument", world["argument_id"])).status_code == expected


def test_report_hide_journey_over_http(client, app, world):
    login(client, world["member"])
    empty = client.post(report_path(world, "argument", world["argument_id"]), data={"reason": ""})
    assert empty.status_code == 422 and "Please give a reason" in empty.get_data(as_text=True)
    sent = client.post(report_path(world, "argument", world["argument_id"]), data={"reason": "Insulta"},
                       follow_redirects=True)
    assert "The board will review your report" in sent.get_data(as_text=True)
    again = client.post(report_path(world, "argument", world["argument_id"]), data={"reason": "Insulta"},
                        follow_redirects=True)
    assert "already reported" in again.get_data(as_text=True)
    client.post("/account/logout")

    login(client, world["board"])
    queue = client.get(queue_path(world)).get_data(as_text=True)
    assert "Insulta" in queue and "Esto es un insulto grave" in queue
    prefix = f"argument-{world['argument_id']}"
    bad = client.post(moderate_path(world, "argument", world["argument_id"], "hide"), data={f"{prefix}-reason": ""})
    assert bad.status_code == 422 and "Please give a reason" in bad.get_data(as_text=True)
    done = client.post(moderate_path(world, "argument", world["argument_id"], "hide"),
                       data={f"{prefix}-reason": "Lenguaje ofensivo"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "The author has been told why" in page and "No open reports" in page and "Show again" in page
    client.post("/account/logout")

    login(client, world["officer"])  # the author sees the content and why it was hidden
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "The board hid your argument" in page and "Lenguaje ofensivo" in page and "Esto es un insulto" in page
    client.post("/account/logout")

    login(client, world["other_club_member"])  # others see only the board's reason
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "Hidden by the board: Lenguaje ofensivo" in page and "Esto es un insulto" not in page


def test_keep_and_unhide_over_http(client, app, world):
    with app.app_context():
        services.report(consultation_of(world), user_of(world, "member"), demand_of(world, "d_officer"), "duplicada")
    login(client, world["board"])
    page = client.post(moderate_path(world, "demand", world["d_officer"], "keep"), follow_redirects=True)
    assert "The reports are closed" in page.get_data(as_text=True)
    page = client.post(moderate_path(world, "demand", world["d_hidden"], "unhide"), follow_redirects=True)
    assert "visible again" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Demand, world["d_hidden"]).is_visible


def test_an_unknown_action_or_item_is_not_found(client, world):
    login(client, world["board"])
    assert client.post(moderate_path(world, "demand", world["d_officer"], "delete")).status_code == 404
    assert client.post(moderate_path(world, "poll", 1, "keep")).status_code == 404
    assert client.post(moderate_path(world, "demand", 99999, "keep")).status_code == 404


def test_a_hidden_demand_is_not_shown_to_other_members(client, app, world):
    login(client, world["member"])
    assert client.get(discussion_path(world, "d_hidden")).status_code == 404
    client.post("/account/logout")
    login(client, world["other_club_member"])  # its author
    page = client.get(discussion_path(world, "d_hidden")).get_data(as_text=True)
    assert "The board hid this demand" in page and "insultos" in page
