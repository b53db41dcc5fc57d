"""Notifications: stored in the caller's transaction, emailed after commit in each person's language, listed, read."""

from __future__ import annotations

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
