"""Events: the board or a club's officers plan them, members take seats or wait in line, organisers take attendance
and share materials; calendars and pages say only what they may."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberate.domain.errors import Conflict, PermissionDenied
from deliberate.domain.events import EventMode, RsvpStatus, TrackAudience
from deliberate.events import services
from deliberate.extensions import db
from deliberate.models import Event, Notification, Organization, Rsvp, User, utcnow

SOON = (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0)


def _form(**overrides) -> dict:
    data = {"title_es": "Taller de liderazgo", "title_en": "Leadership workshop", "kind": "workshop",
            "organiser": "0", "starts_at": SOON.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (SOON + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "mode": "in_person",
            "address": "Calle Olvera 12, Los Ángeles", "online_link": "", "capacity": "2", "track": "0",
            "description_es": "", "description_en": ""}
    data.update(overrides)
    return data


@pytest.fixture
def make_event(app, federation_world):
    """Return a factory of events of the demo federation, planned by its board member through the service."""
    def make(capacity: int = 2, **overrides) -> int:
        with app.app_context():
            board = db.session.get(User, federation_world["board"].id)
            federation = db.session.get(Organization, federation_world["federation"].id)
            fields = services.EventFields(title_es="Taller", title_en="Workshop", starts_at=SOON, capacity=capacity,
                                          address="Calle Olvera 12", **overrides)
            return services.create_event(federation, board, fields).id
    return make


def _rsvp(app, event_id: int, user: User) -> RsvpStatus:
    with app.app_context():
        return services.rsvp(db.session.get(Event, event_id), db.session.get(User, user.id))


def _statuses(app, event_id: int) -> dict[int, str]:
    with app.app_context():
        return {row.user_id: row.status.value for row in db.session.scalars(select(Rsvp).where(
            Rsvp.event_id == event_id))}


# --- planning, per role -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("stranger", 403), ("outsider", 403), ("member", 403), ("officer", 200),
                                          ("board", 200), ("admin", 200)])
def test_only_the_board_and_club_officers_may_plan_events(client, log_in, federation_world, role, status):
    log_in(client, federation_world[role])
    assert client.get(f"/o/{federation_world['federation'].slug}/events/new").status_code == status


def test_a_visitor_is_sent_to_log_in_before_planning(client, federation_world):
    response = client.get(f"/o/{federation_world['federation'].slug}/events/new")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_board_plans_an_event_with_the_form(app, client, log_in, federation_world):
    log_in(client, federation_world["board"])
    response = client.post(f"/o/{federation_world['federation'].slug}/events/new", data=_form())
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert event.title_en == "Leadership workshop" and event.club_id is None and event.capacity == 2
        assert event.starts_at == SOON  # the federation's clock is UTC here
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Leadership workshop" in page and "Calle Olvera 12" in page and "Take attendance" in page


def test_an_officer_plans_for_their_own_club_only(app, client, log_in, federation_world):
    log_in(client, federation_world["officer"])
    slug = federation_world["federation"].slug
    assert client.post(f"/o/{slug}/events/new", data=_form(organiser="0")).status_code == 422  # not the board
    other = client.post(f"/o/{slug}/events/new", data=_form(organiser=str(federation_world["other_club"].id)))
    assert other.status_code == 422
    own = client.post(f"/o/{slug}/events/new", data=_form(organiser=str(federation_world["club"].id)))
    assert own.status_code == 302
    with app.app_context():
        assert [event.club_id for event in db.session.scalars(select(Event))] == [federation_world["club"].id]


@pytest.mark.parametrize("overrides, message", [
    ({"capacity": "0"}, "Write a number from 1 to 10,000."),
    ({"address": ""}, "An event in person needs an address."),
    ({"mode": "online", "online_link": "javascript:alert(1)"}, "Write a full address starting with https://"),
    ({"mode": "online", "online_link": ""}, "An online event needs its link."),
    ({"title_es": "", "title_en": ""}, "Give the event a title in Spanish or in English."),
    ({"ends_at": SOON.strftime("%Y-%m-%dT%H:%M")}, "The end must come after the start."),
    ({"starts_at": "9999-01-01T10:00"}, "Choose a date between the years 2000 and 2099."),
    ({"track": "99999"}, "Not a valid choice"),
])
def test_bad_event_input_gets_a_clear_message(app, client, log_in, federation_world, overrides, message):
    log_in(client, federation_world["board"])
    response = client.post(f"/o/{federation_world['federation'].slug}/events/new", data=_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Event)) is None


def test_the_pages_are_in_spanish_for_a_spanish_reader(client, log_in, federation_world, create_user, add_member,
                                                      make_event):
    event_id = make_event()
    listing = client.get(f"/o/{federation_world['federation'].slug}/events", headers={"Accept-Language": "es"})
    assert "Próximos eventos" in listing.get_data(as_text=True)
    assert "Quedan 2 de 2 plazas" in client.get(f"/events/{event_id}",
                                                         headers={"Accept-Language": "es"}).get_data(as_text=True)
    board = create_user("Junta", locale="es")
    add_member(board, federation_world["federation"], "board")
    log_in(client, board)
    page = client.get(f"/o/{federation_world['federation'].slug}/events/new").get_data(as_text=True)
    assert "Planear un evento" in page and "Plazas" in page


# --- reading ------------------------------------------------------------------------------------------------------

def test_anyone_reads_the_events_but_the_place_is_for_members(client, log_in, federation_world, make_event):
    event_id = make_event()
    listing = client.get(f"/o/{federation_world['federation'].slug}/events").get_data(as_text=True)
    assert "Workshop" in listing
    public = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Calle Olvera" not in public and "the place is shown to the federation" in public
    log_in(client, federation_world["outsider"])
    assert "Calle Olvera" not in client.get(f"/events/{event_id}").get_data(as_text=True)
    log_in(client, federation_world["other_club_member"])
    assert "Calle Olvera" in client.get(f"/events/{event_id}").get_data(as_text=True)


def test_a_missing_event_is_a_404(client):
    assert client.get("/events/12345").status_code == 404
    assert client.get("/events/99999999999999").status_code == 404
    assert client.get("/o/nowhere/events").status_code == 404


def test_the_feed_has_every_event_without_places_and_a_members_ics_has_the_place(
        client, log_in, federation_world, make_event):
    event_id = make_event()
    feed = client.get(f"/o/{federation_world['federation'].slug}/events.ics")
    assert feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "SUMMARY:Workshop" in body and "Calle Olvera" not in body and f"/events/{event_id}" in body
    assert "Calle Olvera" not in client.get(f"/events/{event_id}.ics").get_data(as_text=True)
    log_in(client, federation_world["member"])
    own = client.get(f"/events/{event_id}.ics").get_data(as_text=True)
    assert "LOCATION:Calle Olvera 12" in own and own.startswith("BEGIN:VCALENDAR")


def test_small_seat_figures_are_not_shown(app, client, federation_world, make_event):
    event_id = make_event(capacity=20)
    _rsvp(app, event_id, federation_world["member"])
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "19 of 20" not in page and "Seats available (20 in all)" in page


# --- seats and the waiting list -----------------------------------------------------------------------------------

def test_a_member_takes_a_seat_and_the_next_one_waits(app, client, log_in, federation_world, make_event):
    event_id = make_event(capacity=1)
    log_in(client, federation_world["member"])
    assert client.post(f"/events/{event_id}/rsvp").status_code == 302
    assert "You have a seat." in client.get(f"/events/{event_id}").get_data(as_text=True)
    log_in(client, federation_world["other_club_member"])
    client.post(f"/events/{event_id}/rsvp")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "You are number 1 on the waiting list." in page
    assert _statuses(app, event_id) == {federation_world["member"].id: "going",
                                        federation_world["other_club_member"].id: "waiting"}


def test_the_waiting_list_moves_up_on_its_own_when_someone_cancels(app, client, log_in, federation_world,
                                                                   make_event, create_user, add_member):
    event_id = make_event(capacity=1)
    later = create_user("Later L")
    add_member(later, federation_world["club"])
    for person in (federation_world["member"], federation_world["other_club_member"], later):
        _rsvp(app, event_id, person)
    log_in(client, federation_world["member"])
    assert client.post(f"/events/{event_id}/rsvp/cancel").status_code == 302
    statuses = _statuses(app, event_id)
    assert statuses[federation_world["other_club_member"].id] == "going" and statuses[later.id] == "waiting"
    assert statuses[federation_world["member"].id] == "cancelled"
    with app.app_context():
        told = db.session.scalars(select(Notification).where(Notification.kind == "event_seat")).all()
        assert [n.user_id for n in told] == [federation_world["other_club_member"].id]
        assert db.session.get(Event, event_id).seats_taken == 1
    # coming back means the end of the line
    client.post(f"/events/{event_id}/rsvp")
    assert _statuses(app, event_id)[federation_world["member"].id] == "waiting"


def test_a_larger_capacity_seats_the_people_waiting(app, federation_world, make_event, create_user, add_member):
    event_id = make_event(capacity=1)
    for person in (federation_world["member"], federation_world["other_club_member"]):
        _rsvp(app, event_id, person)
    with app.app_context():
        event = db.session.get(Event, event_id)
        board = db.session.get(User, federation_world["board"].id)
        services.update_event(event, board, services.EventFields(
            title_es="Taller", title_en="Workshop", starts_at=SOON, capacity=3, address="Calle Olvera 12"))
    assert set(_statuses(app, event_id).values()) == {"going"}


def test_two_people_taking_the_last_seat_at_once_get_one_seat_and_one_place_in_line(
        app, federation_world, make_event):
    event_id = make_event(capacity=1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def take(user_id: int) -> None:
        with app.app_context():
            event = db.session.get(Event, event_id)
            user = db.session.get(User, user_id)
            services.own_rsvp(user, event)  # both have read the event before either writes
            barrier.wait(timeout=10)
            try:
                outcomes.append(services.rsvp(event, user).value)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take, args=(federation_world[name].id,))
               for name in ("member", "other_club_member")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["going", "waiting"]
    with app.app_context():
        assert db.session.get(Event, event_id).seats_taken == 1


def test_the_same_person_cannot_answer_twice(app, federation_world, make_event):
    event_id = make_event()
    _rsvp(app, event_id, federation_world["member"])
    with pytest.raises(Conflict):
        _rsvp(app, event_id, federation_world["member"])


@pytest.mark.parametrize("role", ["outsider", "stranger"])
def test_people_outside_the_federation_cannot_take_a_seat(app, client, log_in, federation_world, make_event, role):
    event_id = make_event()
    log_in(client, federation_world[role])
    client.post(f"/events/{event_id}/rsvp")
    assert _statuses(app, event_id) == {}
    with pytest.raises(PermissionDenied):
        _rsvp(app, event_id, federation_world[role])


def test_an_event_reserved_for_women_takes_seats_from_women_only(app, client, log_in, federation_world, make_event):
    with app.app_context():
        federation = db.session.get(Organization, federation_world["federation"].id)
        track = services.add_womens_track(federation, db.session.get(User, federation_world["board"].id))
        track_id = track.id
    event_id = make_event(track_id=track_id, is_reserved=True)
    log_in(client, federation_world["officer"])  # a man
    response = client.post(f"/events/{event_id}/rsvp", follow_redirects=True)
    assert "reserved for its track" in response.get_data(as_text=True)
    log_in(client, federation_world["member"])  # a woman
    client.post(f"/events/{event_id}/rsvp")
    assert _statuses(app, event_id) == {federation_world["member"].id: "going"}


def test_a_called_off_event_takes_no_seats_and_its_people_are_told(app, client, log_in, federation_world,
                                                                   make_event):
    event_id = make_event()
    _rsvp(app, event_id, federation_world["member"])
    log_in(client, federation_world["member"])
    assert client.post(f"/events/{event_id}/cancel").status_code == 403
    log_in(client, federation_world["board"])
    client.post(f"/events/{event_id}/cancel")
    with app.app_context():
        assert db.session.get(Event, event_id).is_cancelled
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "event_cancelled")).all()
        assert told == [federation_world["member"].id]
    with pytest.raises(Conflict):
        _rsvp(app, event_id, federation_world["other_club_member"])


# --- attendance and materials -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("member", 403), ("outsider", 403), ("officer", 403), ("board", 200),
                                          ("admin", 200)])
def test_only_organisers_take_attendance(client, log_in, federation_world, make_event, role, status):
    event_id = make_event()
    log_in(client, federation_world[role])
    assert client.get(f"/events/{event_id}/attendance").status_code == status
    assert client.post(f"/events/{event_id}/attendance", data={"attended": "1"}).status_code in (status, 302)


def test_the_organiser_ticks_who_came(app, client, log_in, federation_world, make_event):
    event_id = make_event()
    for person in ("member", "other_club_member"):
        _rsvp(app, event_id, federation_world[person])
    with app.app_context():
        ids = {row.user_id: row.id for row in db.session.scalars(select(Rsvp))}
    log_in(client, federation_world["board"])
    page = client.get(f"/events/{event_id}/attendance").get_data(as_text=True)
    assert 'type="checkbox" name="attended"' in page and "Member M" in page
    response = client.post(f"/events/{event_id}/attendance",
                           data={"attended": [str(ids[federation_world["member"].id]), "x", "999999"]})
    assert response.status_code == 302
    with app.app_context():
        came = {row.user_id: row.attended for row in db.session.scalars(select(Rsvp))}
    assert came == {federation_world["member"].id: True, federation_world["other_club_member"].id: False}


def test_organisers_share_material_links_and_bad_links_are_refused(app, client, log_in, federation_world,
                                                                   make_event):
    event_id = make_event()
    log_in(client, federation_world["board"])
    bad = client.post(f"/events/{event_id}/materials", data={"title": "Slides", "url": "ftp://x"})
    assert bad.status_code == 422 and "starting with https://" in bad.get_data(as_text=True)
    good = client.post(f"/events/{event_id}/materials", data={"title": "Slides", "url": "https://example.org/s"})
    assert good.status_code == 302
    assert 'href="https://example.org/s"' in client.get(f"/events/{event_id}").get_data(as_text=True)
    log_in(client, federation_world["member"])
    assert client.post(f"/events/{event_id}/materials",
                       data={"title": "X", "url": "https://example.org/x"}).status_code == 403


# --- tracks -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("member", 403), ("officer", 403), ("outsider", 403), ("board", 200),
                                          ("admin", 200)])
def test_the_board_defines_tracks(client, log_in, federation_world, role, status):
    log_in(client, federation_world[role])
    assert client.get(f"/o/{federation_world['federation'].slug}/tracks").status_code == status


def test_the_board_adds_the_womens_track_and_its_own(app, client, log_in, federation_world):
    log_in(client, federation_world["board"])
    slug = federation_world["federation"].slug
    client.post(f"/o/{slug}/tracks/womens-leadership")
    client.post(f"/o/{slug}/tracks", data={"name_es": "Jóvenes", "name_en": "Youth", "audience": "everyone"})
    again = client.post(f"/o/{slug}/tracks", data={"name_es": "Jóvenes", "name_en": "Youth", "audience": "everyone"})
    assert again.status_code == 422 and "already has a track" in again.get_data(as_text=True)
    with app.app_context():
        federation = db.session.get(Organization, federation_world["federation"].id)
        assert [(t.slug, t.audience) for t in services.tracks(federation)] == [
            ("womens-leadership", TrackAudience.WOMEN), ("youth", TrackAudience.EVERYONE)]


def test_an_event_can_be_online(app, federation_world, make_event):
    event_id = make_event(mode=EventMode.ONLINE, online_link="https://meet.example.org/x")
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.online_link == "https://meet.example.org/x" and event.address == ""


def test_a_started_event_takes_no_more_seats(app, federation_world, make_event):
    event_id = make_event()
    with app.app_context():
        event = db.session.get(Event, event_id)
        with pytest.raises(Conflict):
            services.rsvp(event, db.session.get(User, federation_world["member"].id),
                          now=SOON + timedelta(minutes=1))


