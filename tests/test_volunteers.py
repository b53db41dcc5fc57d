"""Volunteer roles: clubs' officers and the board post roles, members of the federation take them up and leave
them, holding a role stays private unless the member shows it, the poster sees who took it and closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from deliberate.domain.errors import Conflict
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.models import User, VolunteerAssignment, VolunteerRole, utcnow
from deliberate.volunteers import services


def _slug(world) -> str:
    return world["federation"].slug


def _post(client, world, **fields) -> int:
    data = {"title_es": "Chofer para la caravana de diciembre", "title_en": "Driver for the December caravan",
            "places": "2", "poster": str(world["club"].id), "description_es": "Manejar la camioneta."} | fields
    response = client.post(f"/o/{_slug(world)}/volunteer", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[-1])


@pytest.fixture
def posted(client, log_in, federation_world) -> int:
    log_in(client, federation_world["officer"])
    return _post(client, federation_world)


@pytest.mark.parametrize("role, status", [("stranger", 403), ("outsider", 403), ("member", 403),
                                          ("other_club_member", 403), ("officer", 302), ("board", 302),
                                          ("admin", 302)])
def test_officers_and_the_board_post_roles(client, log_in, federation_world, role, status):
    log_in(client, federation_world[role])
    response = client.post(f"/o/{_slug(federation_world)}/volunteer",
                           data={"title_es": "Tesorería", "places": "1", "poster": str(federation_world["club"].id)})
    assert response.status_code == status


def test_an_officer_cannot_post_for_another_club_nor_for_the_board(client, log_in, federation_world):
    log_in(client, federation_world["officer"])
    for poster in (federation_world["other_club"].id, 0):
        response = client.post(f"/o/{_slug(federation_world)}/volunteer",
                               data={"title_es": "Tesorería", "places": "1", "poster": str(poster)})
        assert response.status_code == 422
    log_in(client, federation_world["board"])
    _post(client, federation_world, poster="0", title_es="Traducción", title_en="Translation")


@pytest.mark.parametrize("data, message", [
    ({"title_es": "", "title_en": ""}, "Give the role a name in Spanish or in English."),
    ({"places": "0"}, "Write a number from 1 to 100."),
    ({"places": "abc"}, "Write a number from 1 to 100."),
    ({"ends_on": "2001-01-01"}, "The last day cannot be in the past."),
    ({"ends_on": "99999-01-01"}, "Not a valid date value."),
])
def test_a_role_with_bad_fields_is_refused_with_words(client, log_in, federation_world, data, message):
    log_in(client, federation_world["officer"])
    fields = {"title_es": "Tesorería", "places": "1", "poster": str(federation_world["club"].id)} | data
    response = client.post(f"/o/{_slug(federation_world)}/volunteer", data=fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_anyone_reads_the_open_roles_on_the_federation_list_and_the_club_page(client, posted, federation_world):
    client.post("/account/logout")
    page = client.get(f"/o/{_slug(federation_world)}/volunteer").get_data(as_text=True)
    assert "Driver for the December caravan" in page and "Take up this role" not in page
    club = client.get(f"/o/{federation_world['club'].slug}").get_data(as_text=True)
    assert "Roles this club needs filled" in club
    other = client.get(f"/o/{federation_world['other_club'].slug}").get_data(as_text=True)
    assert "Roles this club needs filled" not in other
    assert client.get(f"/volunteer/{posted}").status_code == 200
    assert client.get("/volunteer/999999").status_code == 404


@pytest.mark.parametrize("role, taken", [("stranger", False), ("outsider", False), ("member", True),
                                         ("other_club_member", True), ("board", True)])
def test_members_of_the_federation_take_a_role_up(app, client, log_in, posted, federation_world, role, taken):
    log_in(client, federation_world[role])
    assert client.post(f"/volunteer/{posted}/take").status_code == 302
    with app.app_context():
        holders = set(db.session.scalars(select(VolunteerAssignment.user_id)
                                         .where(VolunteerAssignment.left_at.is_(None))))
        assert (federation_world[role].id in holders) is taken
        assert db.session.get(VolunteerRole, posted).places_taken == len(holders)


def test_a_full_role_takes_nobody_more_and_leaving_frees_the_place(app, client, log_in, posted, federation_world):
    for name in ("member", "other_club_member"):
        log_in(client, federation_world[name])
        client.post(f"/volunteer/{posted}/take")
    log_in(client, federation_world["board"])
    page = client.post(f"/volunteer/{posted}/take", follow_redirects=True).get_data(as_text=True)
    assert "Every place in this role is taken." in page
    log_in(client, federation_world["member"])
    assert "You left the role" in client.post(f"/volunteer/{posted}/leave", follow_redirects=True).get_data(
        as_text=True)
    assert "You do not hold this role." in client.post(f"/volunteer/{posted}/leave",
                                                       follow_redirects=True).get_data(as_text=True)
    log_in(client, federation_world["board"])
    client.post(f"/volunteer/{posted}/take")
    with app.app_context():
        role = db.session.get(VolunteerRole, posted)
        holders = {a.user_id for a in role.assignments if a.is_active}
        assert holders == {federation_world["other_club_member"].id, federation_world["board"].id}
        assert role.places_taken == 2


def test_taking_a_role_twice_is_refused(client, log_in, posted, federation_world):
    log_in(client, federation_world["member"])
    client.post(f"/volunteer/{posted}/take")
    page = client.post(f"/volunteer/{posted}/take", follow_redirects=True).get_data(as_text=True)
    assert "You already hold this role." in page


def test_the_last_place_goes_to_one_person_only(app, federation_world):
    """Two people who read the same free place: the guarded update gives it to the first, the second is refused."""
    with app.app_context():
        club = db.session.merge(federation_world["club"])
        officer = db.session.get(User, federation_world["officer"].id)
        role = services.post_role(club.federation, officer, services.RoleFields("Tesorería", "", 1, club_id=club.id))
        first = db.session.get(User, federation_world["member"].id)
        second = db.session.get(User, federation_world["other_club_member"].id)
        services.take_role(role, first)
        set_committed_value(role, "places_taken", 0)  # the second person's stale read: the place looks free
        with pytest.raises(Conflict):
            services.take_role(role, second)
        db.session.expire_all()
        assert db.session.get(VolunteerRole, role.id).places_taken == 1


def test_holding_a_role_is_private_until_the_member_shows_it(app, client, log_in, posted, federation_world):
    log_in(client, federation_world["member"])
    client.post(f"/volunteer/{posted}/take")
    log_in(client, federation_world["officer"])  # the poster sees who took it
    assert "Member M" in client.get(f"/volunteer/{posted}").get_data(as_text=True)
    log_in(client, federation_world["other_club_member"])
    assert "Member M" not in client.get(f"/volunteer/{posted}").get_data(as_text=True)
    log_in(client, federation_world["member"])
    club_page = client.get(f"/o/{federation_world['club'].slug}").get_data(as_text=True)
    assert '<span class="badge">' not in club_page
    assert client.post(f"/volunteer/{posted}/shown", data={"is_shown": "y"}).status_code == 302
    club_page = client.get(f"/o/{federation_world['club'].slug}").get_data(as_text=True)
    assert "Member M · <span class=\"badge\">" in club_page
    log_in(client, federation_world["other_club_member"])
    assert "Member M" in client.get(f"/volunteer/{posted}").get_data(as_text=True)
    client.post("/account/logout")
    assert "Member M" not in client.get(f"/volunteer/{posted}").get_data(as_text=True)
    log_in(client, federation_world["member"])
    client.post(f"/volunteer/{posted}/shown", data={})
    with app.app_context():
        assert db.session.scalar(select(VolunteerAssignment.is_shown)) is False


def test_only_a_holder_changes_her_choice(client, log_in, posted, federation_world):
    log_in(client, federation_world["member"])
    page = client.post(f"/volunteer/{posted}/shown", data={"is_shown": "y"}, follow_redirects=True)
    assert "You do not hold this role." in page.get_data(as_text=True)


@pytest.mark.parametrize("role, status", [("member", 403), ("other_club_member", 403), ("outsider", 403),
                                          ("officer", 302), ("board", 302)])
def test_the_poster_closes_a_role(app, client, log_in, posted, federation_world, role, status):
    log_in(client, federation_world[role])
    assert client.post(f"/volunteer/{posted}/close").status_code == status
    with app.app_context():
        assert db.session.get(VolunteerRole, posted).is_closed is (status == 302)


def test_a_closed_or_ended_role_takes_nobody(app, client, log_in, posted, federation_world):
    client.post(f"/volunteer/{posted}/close")
    log_in(client, federation_world["member"])
    page = client.post(f"/volunteer/{posted}/take", follow_redirects=True).get_data(as_text=True)
    assert "This role no longer takes people." in page
    with app.app_context():
        role = db.session.get(VolunteerRole, posted)
        role.is_closed, role.ends_on = False, (utcnow() - timedelta(days=3)).date()
        db.session.commit()
    page = client.post(f"/volunteer/{posted}/take", follow_redirects=True).get_data(as_text=True)
    assert "This role no longer takes people." in page
    assert "Roles this club needs filled" not in client.get(f"/o/{federation_world['club'].slug}").get_data(
        as_text=True)


def test_forms_need_their_csrf_token(make_app, federation_world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post(f"/o/{_slug(federation_world)}/volunteer", data={"title_es": "Tesorería"}).status_code == 400


def test_the_pages_are_in_spanish(client, log_in, posted, federation_world, create_user, add_member):
    member = create_user("Integrante ES", locale="es")
    add_member(member, federation_world["club"])
    log_in(client, member)
    text = client.get(f"/o/{_slug(federation_world)}/volunteer").get_data(as_text=True)
    assert "Chofer para la caravana de diciembre" in text and "Puestos de voluntariado" in text
    text = client.get(f"/volunteer/{posted}").get_data(as_text=True)
    assert "Tomar este puesto" in text


def test_the_dashboard_counts_volunteers_and_women_among_them_above_five(app, client, log_in, posted,
                                                                        federation_world, create_user, add_member):
    log_in(client, federation_world["board"])
    role = _post(client, federation_world, poster="0", places="20", title_es="Apoyo en eventos", title_en="")
    people = [create_user(f"Voluntaria {n}", gender=Gender.WOMAN) for n in range(5)]
    people += [create_user(f"Voluntario {n}", gender=Gender.MAN) for n in range(5)]
    page = client.get(f"/o/{_slug(federation_world)}/health/board").get_data(as_text=True)
    assert "Fewer than 5 members hold a volunteer role." not in page
    for person in people[:3]:
        add_member(person, federation_world["club"])
        log_in(client, person)
        client.post(f"/volunteer/{role}/take")
    log_in(client, federation_world["board"])
    page = client.get(f"/o/{_slug(federation_world)}/health/board").get_data(as_text=True)
    assert "Fewer than 5 members hold a volunteer role." in page
    for person in people[3:]:
        add_member(person, federation_world["club"])
        log_in(client, person)
        client.post(f"/volunteer/{role}/take")
    log_in(client, federation_world["board"])
    page = client.get(f"/o/{_slug(federation_world)}/health/board").get_data(as_text=True)
    assert "10 members hold a volunteer role." in page
    row = page[page.index("<th scope=\"row\">Volunteers</th>"):][:300]
    assert "50" in row and "of 10 people" in row
