"""How members receive notifications: per topic at once, in a daily or weekly digest or on the site only; one-click
unsubscribe (RFC 8058); reminders before a phase's last day to those who have not taken part, each once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from deliberate import background
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    BallotCast,
    Consultation,
    Delivery,
    Demand,
    Notification,
    NotificationPreference,
    Organization,
    OutgoingMail,
    Reaction,
    User,
)
from deliberate.notifications import reminders
from deliberate.notifications.services import (
    notify,
    notify_federation,
    queue_digests,
    queue_due_digests,
    set_preferences,
)
from tests.factories import login


def _notify(app, users, kind="phase_changed"):
    with app.app_context():
        notify([db.session.get(User, user.id) for user in users], kind,
               {"title_es": "Agenda 2027", "title_en": "2027 agenda", "phase": "voting"}, "/c/1")
        db.session.commit()


def _prefer(app, user, **choices):
    with app.app_context():
        set_preferences(user.id, {topic: Delivery(value) for topic, value in choices.items()})


def test_the_settings_page_saves_a_choice_per_topic_in_both_languages(app, client, create_user):
    ana = create_user("Ana", locale=None)
    login(client, ana)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Un resumen diario por correo" in page and "Solo en el sitio" in page
    response = client.post("/notifications/settings", data={
        "phases": "daily", "reminders": "immediate", "my_content": "in_app", "programmes": "weekly"})
    assert response.status_code == 302
    with app.app_context():
        chosen = dict(db.session.execute(select(NotificationPreference.topic, NotificationPreference.delivery)
                                         .where(NotificationPreference.user_id == ana.id)).all())
    assert chosen == {"phases": Delivery.DAILY, "reminders": Delivery.IMMEDIATE, "my_content": Delivery.IN_APP,
                      "programmes": Delivery.WEEKLY, "events": Delivery.IMMEDIATE}
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert 'checked id="phases-2"' in client.get("/notifications/settings").get_data(as_text=True)
    refused = client.post("/notifications/settings", data={"phases": "hourly"})
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.get_data(as_text=True)


def test_the_settings_page_needs_a_log_in(client):
    assert client.get("/notifications/settings").status_code == 302


def test_a_member_on_the_site_only_gets_the_notification_and_no_email(app, create_user, outbox):
    ana, bob = create_user("Ana"), create_user("Bob")
    _prefer(app, ana, phases="in_app")
    _notify(app, [ana, bob])
    assert [message["To"] for message in outbox] == [bob.email]
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id))) == 2


def test_a_daily_digest_gathers_a_members_notifications_in_their_language_once(app, create_user, outbox):
    ana, bob = create_user("Ana", locale="es"), create_user("Bob", locale="en")
    _prefer(app, ana, phases="daily", my_content="daily")
    _prefer(app, bob, phases="daily")
    _notify(app, [ana, bob])
    _notify(app, [ana], kind="content_kept")
    assert outbox == []
    with app.app_context():
        job = queue_digests("daily")
        assert job.status.value == "done"
        background.queue("notifications.digests", "daily")  # a second run the same day (or a retried one)
        db.session.commit()
        assert db.session.scalar(select(func.count(OutgoingMail.id))) == 2
    by_address = {message["To"]: message for message in outbox}
    assert set(by_address) == {ana.email, bob.email}
    assert "resumen diario (2)" in by_address[ana.email]["Subject"]
    ana_body = by_address[ana.email].get_content()
    assert "nueva fase" in ana_body and "decidió mantenerla" in ana_body
    assert "daily summary (1)" in by_address[bob.email]["Subject"]
    assert "new phase" in by_address[bob.email].get_content()
    assert by_address[bob.email]["List-Unsubscribe"].startswith("<http://localhost/notifications/unsubscribe/")


def test_a_weekly_digest_leaves_the_daily_ones_alone(app, create_user, outbox):
    ana, bob = create_user("Ana"), create_user("Bob")
    _prefer(app, ana, phases="weekly")
    _prefer(app, bob, phases="daily")
    _notify(app, [ana, bob])
    with app.app_context():
        queue_digests("weekly")
    assert [message["To"] for message in outbox] == [ana.email]


def test_every_notification_email_has_a_one_click_unsubscribe_that_needs_no_log_in(app, create_user, outbox):
    ana = create_user("Ana")
    _notify(app, [ana])
    [message] = outbox
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link in message.get_content()
    path = link.removeprefix("http://localhost")
    browser = app.test_client()
    assert "Stop these emails" in browser.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():  # opening the link (a mail scanner does) changes nothing
        assert db.session.scalar(select(func.count(NotificationPreference.id))) == 0
    response = browser.post(path, data={"List-Unsubscribe": "One-Click"})  # what a mail client posts: no CSRF token
    assert response.status_code == 200
    outbox.clear()
    _notify(app, [ana])
    assert outbox == []  # the notification is on the site, the email is not sent
    _notify(app, [ana], kind="content_kept")  # another topic still mails
    assert len(outbox) == 1


def test_an_unsubscribe_link_that_was_not_made_by_the_site_is_refused(app, create_user):
    ana = create_user("Ana")
    browser = app.test_client()
    assert browser.get("/notifications/unsubscribe/forged").status_code == 404
    assert browser.post(f"/notifications/unsubscribe/[{ana.id},\"phases\"]").status_code == 404


def test_a_csrf_protected_site_still_accepts_the_one_click_post(make_app, create_user):
    ana = create_user("Ana")
    site = make_app(WTF_CSRF_ENABLED=True)
    with site.app_context():
        from deliberate.mail import unsubscribe_link

        path = unsubscribe_link(ana.id, "phases").removeprefix("http://localhost")
    assert site.test_client().post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


# --- reminders ----------------------------------------------------------------------------------------------------

def _consultation(app, world, phase: Phase, **schedule) -> int:
    with app.app_context():
        consultation = Consultation(federation_id=world["federation"].id, title_es="Agenda 2027",
                                    title_en="2027 agenda", phase=phase, **schedule)
        db.session.add(consultation)
        db.session.commit()
        return consultation.id


def _federation_zone(app, world, zone: str) -> None:
    with app.app_context():
        db.session.get(Organization, world["federation"].id).time_zone = zone
        db.session.commit()


def _reminded(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "reminder")))


def test_the_day_before_deliberation_ends_members_who_have_not_reacted_are_reminded_once(
        app, federation_world, outbox):
    world = federation_world
    consultation_id = _consultation(app, world, Phase.DELIBERATING, deliberating_until=date(2027, 4, 1))
    with app.app_context():
        demand = Demand(consultation_id=consultation_id, author_id=world["member"].id, club_id=world["club"].id,
                        title="Agua potable", body="")
        db.session.add(demand)
        db.session.flush()
        db.session.add(Reaction(demand_id=demand.id, user_id=world["officer"].id, value=1))
        db.session.commit()
        assert reminders.queue_due(datetime(2027, 3, 30, 12)) == 0  # two days before: not yet
        assert reminders.queue_due(datetime(2027, 3, 31, 12)) == 1
        assert reminders.queue_due(datetime(2027, 3, 31, 18)) == 0  # the next hour's run
        assert reminders.queue_due(datetime(2027, 4, 1, 12)) == 0  # the last day: already reminded
    expected = {world[name].id for name in ("member", "board", "admin", "other_club_member")}
    assert _reminded(app) == expected
    assert len(outbox) == 4
    body = next(message for message in outbox if message["To"] == world["member"].email).get_content()
    assert "April 1, 2027" in body and "not reacted" in body


def test_the_reminder_follows_the_federations_clock(app, federation_world):
    _federation_zone(app, federation_world, "America/Los_Angeles")
    _consultation(app, federation_world, Phase.DELIBERATING, deliberating_until=date(2027, 4, 1))
    with app.app_context():
        # 03:00 UTC on March 31 is still March 30 in Los Angeles: two days before the last day there
        assert reminders.queue_due(datetime(2027, 3, 31, 3)) == 0
        assert reminders.queue_due(datetime(2027, 3, 31, 9)) == 1


def test_a_vote_reminder_skips_those_who_have_cast_and_reads_no_ballot(app, federation_world, outbox):
    world = federation_world
    consultation_id = _consultation(app, world, Phase.VOTING, voting_until=date(2027, 4, 15))
    with app.app_context():
        db.session.add(BallotCast(consultation_id=consultation_id, user_id=world["board"].id))
        db.session.commit()
        assert reminders.queue_due(datetime(2027, 4, 14, 12)) == 1
        job_args = db.session.execute(select(func.count()).select_from(OutgoingMail)).scalar()
    assert world["board"].id not in _reminded(app)
    assert len(_reminded(app)) == 4 == job_args
    assert all("secret" in message.get_content() for message in outbox)


@pytest.mark.parametrize("phase", [Phase.CONSOLIDATING, Phase.DRAFT])
def test_phases_without_a_call_to_take_part_send_no_reminder(app, federation_world, phase):
    _consultation(app, federation_world, phase, consolidating_until=date(2027, 4, 1),
                  collecting_until=date(2027, 4, 1))
    with app.app_context():
        assert reminders.queue_due(datetime(2027, 3, 31, 12)) == 0


def test_a_reminder_respects_the_members_choice(app, federation_world, outbox):
    world = federation_world
    _prefer(app, world["member"], reminders="in_app")
    _consultation(app, world, Phase.COLLECTING, collecting_until=date(2027, 4, 1))
    with app.app_context():
        reminders.queue_due(datetime(2027, 3, 31, 12) - timedelta(hours=0))
    assert world["member"].id in _reminded(app)
    assert world["member"].email not in {message["To"] for message in outbox}


def test_a_federation_notification_to_members_of_another_federation_reaches_nobody_there(app, federation_world):
    with app.app_context():
        notify_federation(db.session.get(Organization, federation_world["other_federation"].id), "phase_changed",
                          {}, None)
        db.session.commit()
        assert db.session.scalar(select(func.count(Notification.id))) == 1  # the outsider, in the foreign club


def test_digests_go_out_in_the_morning_of_each_federations_own_clock(app, federation_world, create_user,
                                                                      add_member, outbox):
    _federation_zone(app, federation_world, "America/Los_Angeles")
    far = create_user("Lejana")
    add_member(far, federation_world["foreign_club"])
    with app.app_context():
        db.session.get(Organization, federation_world["other_federation"].id).time_zone = "America/Mexico_City"
        db.session.commit()
    member = federation_world["member"]
    _prefer(app, member, phases="daily")
    _prefer(app, far, phases="daily")
    _notify(app, [member, far])
    with app.app_context():
        # Wednesday 2 December 2026, 07:00 UTC: 23:00 the evening before in Los Angeles, 01:00 in Mexico City
        assert queue_due_digests(datetime(2026, 12, 2, 7)) == []
        assert queue_due_digests(datetime(2026, 12, 2, 13))  # 07:00 in Mexico City: only its members' digests
        assert [message["To"] for message in outbox] == [far.email]
        [job] = queue_due_digests(datetime(2026, 12, 2, 15))  # 07:00 in Los Angeles; not a Monday: daily only
        assert job.args == ["daily", federation_world["federation"].id]
        assert [message["To"] for message in outbox] == [far.email, member.email]
        monday = queue_due_digests(datetime(2026, 12, 7, 15))  # Monday 07:00 in Los Angeles
        assert sorted(job.args[0] for job in monday) == ["daily", "weekly"]
