"""Notifications: stored in the caller's transaction, emailed after commit in each person's language, listed, read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberate.extensions import db
from deliberate.models import Notification, User
from deliberate.notifications.services import describe, mark_all_read, mark_read, notify, unread_count


def _notify(app, users, kind="phase_changed", params=None, link="/c/1", commit=True):
    with app.app_context():
        loaded = [db.session.get(User, u.id) for u in users]
        notify(loaded, kind, params or {"title_es": "Agenda 2027", "title_en": "2027 agenda", "phase": "collecting"},
               link)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def test_notify_stores_one_row_per_person_and_emails_each_in_their_language(app, create_user, outbox):
    ana, bob = create_user("Ana", locale="es"), create_user("Bob", locale="en")
    _notify(app, [ana, bob, ana])
    with app.app_context():
        assert db.session.query(Notification).count() == 2
        assert unread_count(db.session.get(User, ana.id)) == 1
    by_address = {message["To"]: message for message in outbox}
    assert set(by_address) == {ana.email, bob.email}
    assert "Agenda 2027" in by_address[ana.email].get_content()
    assert "nueva fase" in by_address[ana.email].get_content()
    assert "2027 agenda" in by_address[bob.email].get_content()
    assert "new phase" in by_address[bob.email].get_content()


def test_notify_does_not_commit_and_a_rollback_sends_nothing(app, create_user, outbox):
    ana = create_user("Ana")
    _notify(app, [ana], commit=False)
    with app.app_context():
        assert db.session.query(Notification).count() == 0
    assert outbox == []


def test_describe_gives_a_text_for_every_kind_and_a_generic_one_for_unknown_kinds(app):
    cases = {
        "argument_on_my_demand": ({"demand_title": "Agua", "side": "against"}, "against your demand “Agua”"),
        "content_hidden": ({"subject_type": "demand", "title": "Agua", "reason": "spam"}, "Reason: spam"),
        "content_kept": ({"subject_type": "argument", "title": "Agua"}, "decided to keep it"),
        "something_new": ({}, "You have a new notification."),
    }
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for kind, (params, expected) in cases.items():
            assert expected in describe(Notification(kind=kind, params=params))


def test_mark_read_marks_only_the_owners_notifications(app, create_user):
    ana, bob = create_user("Ana"), create_user("Bob")
    _notify(app, [ana, bob])
    _notify(app, [ana])
    with app.app_context():
        ana_db, bob_db = db.session.get(User, ana.id), db.session.get(User, bob.id)
        bobs = db.session.query(Notification).filter_by(user_id=bob.id).one()
        assert not mark_read(ana_db, bobs.id)
        assert unread_count(bob_db) == 1
        assert mark_all_read(ana_db) == 2
        assert unread_count(ana_db) == 0


# --- links in the emails ---------------------------------------------------------------------------------------------

BASE = "https://agenda.example.org"


def _mailed_link(outbox) -> str:
    return outbox[-1].get_content().split("See it here: ")[1].split()[0]


def _notify_in(app, users, link="/consultations/1") -> None:
    """Notify as a command does: in the app's context, with no request."""
    with app.app_context():
        notify([db.session.get(User, u.id) for u in users], "phase_changed", {"phase": "voting"}, link)
        db.session.commit()


def test_mail_sent_by_a_command_links_to_the_base_url_without_a_server_name(make_app, create_user):
    app = make_app(BASE_URL=BASE, SERVER_NAME=None)
    _notify_in(app, [create_user("Bob", locale="en")])
    assert _mailed_link(app.extensions["mail_outbox"]) == "https://agenda.example.org/consultations/1"


def test_a_base_url_with_a_path_prefixes_the_links_once(make_app, create_user):
    app = make_app(BASE_URL="https://example.org/federacion/", SERVER_NAME=None)
    bob = create_user("Bob", locale="en")
    _notify_in(app, [bob])
    assert _mailed_link(app.extensions["mail_outbox"]) == "https://example.org/federacion/consultations/1"
    _notify_in(app, [bob], link="/federacion/consultations/1")  # built in a request to the site under that path
    assert _mailed_link(app.extensions["mail_outbox"]) == "https://example.org/federacion/consultations/1"


def test_mail_sent_in_a_request_links_to_the_requests_host_when_no_base_url_is_set(make_app, create_user):
    app = make_app(SERVER_NAME=None)
    bob = create_user("Bob", locale="en")
    with app.test_request_context(base_url="http://club.example.net:8080"):
        notify([db.session.get(User, bob.id)], "phase_changed", {"phase": "voting"}, "/consultations/1")
        db.session.commit()
    assert _mailed_link(app.extensions["mail_outbox"]) == "http://club.example.net:8080/consultations/1"


def test_the_base_url_wins_over_a_requests_forged_host(make_app, create_user):
    app = make_app(BASE_URL=BASE, SERVER_NAME=None)
    bob = create_user("Bob", locale="en")
    with app.test_request_context(base_url="http://attacker.example"):
        notify([db.session.get(User, bob.id)], "phase_changed", {"phase": "voting"}, "/consultations/1")
        db.session.commit()
    assert _mailed_link(app.extensions["mail_outbox"]) == "https://agenda.example.org/consultations/1"


def test_without_a_base_url_a_commands_mail_keeps_the_path_and_warns(make_app, create_user, caplog):
    app = make_app(SERVER_NAME=None)
    _notify_in(app, [create_user("Bob", locale="en")])
    assert _mailed_link(app.extensions["mail_outbox"]) == "/consultations/1"
    assert "DELIBERATE_BASE_URL" in caplog.text


def test_a_phase_change_from_a_command_mails_an_absolute_link(make_app, create_user, federation_world):
    from deliberate.consultations.services import advance_phase
    from deliberate.domain.phases import Phase
    from deliberate.models import Consultation

    command_app = make_app(BASE_URL=BASE, SERVER_NAME=None)
    with command_app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Consulta",
                                    title_en="Consultation", phase=Phase.DRAFT)
        db.session.add(consultation)
        db.session.commit()
        advance_phase(consultation, db.session.get(User, federation_world["board"].id), Phase.DRAFT,
                      Phase.COLLECTING)
        consultation_id = consultation.id
    outbox = command_app.extensions["mail_outbox"]
    assert outbox, "the federation's members are told"
    assert {_mailed_link([m]) for m in outbox} == {f"https://agenda.example.org/consultations/{consultation_id}"}


# --- the page ------------------------------------------------------------------------------------------------------

def _seed(app, user, count, link="/o/somewhere"):
    with app.app_context():
        for n in range(count):
            db.session.add(Notification(user_id=user.id, kind="phase_changed", link=link,
                                        params={"title_es": f"Consulta {n}", "title_en": f"Consultation {n}",
                                                "phase": "voting"}))
        db.session.commit()


def test_the_notifications_page_needs_a_log_in(client):
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read-all").status_code == 302


def test_my_notifications_are_listed_newest_first_paginated_with_the_count_in_the_nav(app, client, create_user,
                                                                                      log_in):
    ana, bob = create_user("Ana"), create_user("Bob")
    _seed(app, ana, 25)
    _seed(app, bob, 1)
    log_in(client, ana)
    first = client.get("/notifications").get_data(as_text=True)
    assert "Notifications (25)" in first
    assert "You have 25 unread notifications." in first
    assert first.index("Consultation 24") < first.index("Consultation 23")
    assert "Consultation 4<" not in first and "Page 1 of 2" in first
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Consultation 4" in second and "Consultation 24" not in second
    assert client.get("/notifications?page=9").status_code == 200


def test_opening_a_notification_marks_it_read_and_follows_its_link(app, client, create_user, log_in):
    ana = create_user("Ana")
    _seed(app, ana, 2)
    _seed(app, ana, 1, link="https://evil.example/phish")
    log_in(client, ana)
    with app.app_context():
        first, second, evil = db.session.scalars(select(Notification.id).order_by(Notification.id)).all()
    response = client.post(f"/notifications/{first}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/o/somewhere"
    assert client.post(f"/notifications/{evil}/open").headers["Location"].endswith("/notifications")
    assert client.post(f"/notifications/{second}/read").status_code == 302
    with app.app_context():
        assert unread_count(db.session.get(User, ana.id)) == 0


def test_nobody_can_mark_someone_elses_notification(app, client, create_user, log_in):
    ana, bob = create_user("Ana"), create_user("Bob")
    _seed(app, bob, 1)
    log_in(client, ana)
    with app.app_context():
        bobs = db.session.scalar(select(Notification.id))
    assert client.post(f"/notifications/{bobs}/open").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    with app.app_context():
        assert unread_count(db.session.get(User, bob.id)) == 1


def test_mark_all_read_empties_the_badge(app, client, create_user, log_in):
    ana = create_user("Ana")
    _seed(app, ana, 3)
    log_in(client, ana)
    page = client.post("/notifications/read-all", follow_redirects=True).get_data(as_text=True)
    assert "Notifications (0)" in page and "All your notifications are marked as read." in page
    assert "Mark all as read" not in page


def test_the_notifications_page_speaks_spanish(app, client, create_user, log_in):
    ana = create_user("Ana", locale="es")
    _seed(app, ana, 1)
    log_in(client, ana)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Notificaciones (1)" in page
    assert "La consulta «Consulta 0» pasó a una nueva fase: Votación." in page
    assert "Marcar todas como leídas" in page


@pytest.mark.parametrize("kind, params, words", [
    ("programme_status", {"title_es": "Clínica", "title_en": "Clinic", "status": "blocked", "reason": "Sin fondos"},
     "The programme “Clinic” has a new status: Blocked. Reason: Sin fondos"),
    ("programme_status", {"title_es": "Clínica", "title_en": "Clinic", "status": "done"},
     "The programme “Clinic” has a new status: Done."),
    ("programme_update", {"title_es": "Clínica", "title_en": "Clinic"}, "The programme “Clinic” has a new update."),
])
def test_programme_notifications_say_what_happened(app, kind, params, words):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert describe(Notification(kind=kind, params=params)) == words
