"""A federation's time zone: its board chooses it, and every page of the federation shows times on that clock."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import AuditEntry, Consultation, Notification, Organization
from tests.factories import login

MOMENT = datetime(2026, 11, 28, 2, 14)  # stored as naive UTC: 6:14 p.m. on 27 November in Los Angeles


def set_zone(app, organization, name):
    with app.app_context():
        db.session.get(Organization, organization.id).time_zone = name
        db.session.commit()


def audit_at(app, federation, moment=MOMENT):
    with app.app_context():
        db.session.add(AuditEntry(organization_id=federation.id, action="consultation.create", subject="Agenda 2027",
                                  detail="", created_at=moment))
        db.session.commit()


def speak(client, app, user, language):
    from deliberate.models import User
    with app.app_context():
        db.session.get(User, user.id).locale = language
        db.session.commit()
    login(client, user)


# --- display ------------------------------------------------------------------------------------------------------

def test_the_audit_log_shows_times_on_the_federation_clock_in_english(client, app, federation_world):
    federation = federation_world["federation"]
    set_zone(app, federation, "America/Los_Angeles")
    audit_at(app, federation)
    login(client, federation_world["board"])
    page = client.get(f"/o/{federation.slug}/manage").get_data(as_text=True)
    assert "Nov 27, 2026, 6:14\u202fPM PST" in page
    assert "2:14\u202fAM" not in page


def test_the_audit_log_shows_times_on_the_federation_clock_in_spanish(client, app, federation_world):
    federation = federation_world["federation"]
    set_zone(app, federation, "America/Chicago")
    audit_at(app, federation)
    speak(client, app, federation_world["board"], "es")
    page = client.get(f"/o/{federation.slug}/manage").get_data(as_text=True)
    assert "27 nov 2026, 8:14\u202fp.m., hora central" in page


def test_a_federation_that_keeps_utc_says_so(client, app, federation_world):
    audit_at(app, federation_world["federation"])
    login(client, federation_world["board"])
    page = client.get(f"/o/{federation_world['federation'].slug}/manage").get_data(as_text=True)
    assert "Nov 28, 2026, 2:14\u202fAM UTC" in page


def test_a_demand_page_shows_its_federation_clock_not_another_federation(client, app, federation_world):
    from deliberate.demands import services
    from deliberate.models import Demand, Language, Target, User

    set_zone(app, federation_world["federation"], "America/Los_Angeles")
    set_zone(app, federation_world["other_federation"], "America/New_York")
    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Agenda",
                                    title_en="Agenda", phase=Phase.COLLECTING)
        db.session.add(consultation)
        db.session.commit()
        demand = services.submit_demand(consultation, db.session.get(User, federation_world["member"].id),
                                        services.DemandInput("Un médico", "Para la clínica", None,
                                                             Target.MEXICAN_STATE, Language.ES))
        db.session.get(Demand, demand.id).created_at = MOMENT
        db.session.commit()
        demand_id = demand.id
    speak(client, app, federation_world["member"], "es")
    page = client.get(f"/demands/{demand_id}").get_data(as_text=True)
    assert "27 nov 2026, 6:14\u202fp.m., hora del Pacífico" in page


def test_notifications_use_the_clock_of_the_member_federation(client, app, federation_world):
    set_zone(app, federation_world["federation"], "America/Mexico_City")
    with app.app_context():
        db.session.add(Notification(user_id=federation_world["member"].id, kind="phase_changed",
                                    params={"title_en": "Agenda", "phase": "voting"}, created_at=MOMENT))
        db.session.commit()
    login(client, federation_world["member"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "Nov 27, 2026, 8:14\u202fPM CST" in page


def test_a_phase_last_day_names_the_federation_clock(client, app, federation_world):
    from datetime import date

    set_zone(app, federation_world["federation"], "America/Los_Angeles")
    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Agenda",
                                    title_en="Agenda", phase=Phase.COLLECTING, collecting_until=date(2027, 3, 1))
        db.session.add(consultation)
        db.session.commit()
        consultation_id = consultation.id
    login(client, federation_world["member"])
    page = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert "March 1, 2027 (last day, Pacific Time)" in page
    login(client, federation_world["board"])
    schedule = client.get(f"/consultations/{consultation_id}/edit").get_data(as_text=True)
    assert "it ends at midnight, Pacific Time" in schedule


# --- the settings form ----------------------------------------------------------------------------------------

def settings_data(zone: str) -> dict:
    """Return the federation settings form as the board sends it, with a time zone."""
    return {"name": "Federación Demo", "parity_baseline": "43.9", "time_zone": zone}


def zone_of(app, organization):
    with app.app_context():
        return db.session.get(Organization, organization.id).time_zone


def test_the_settings_page_offers_us_and_mexican_zones_by_name_in_spanish(client, app, federation_world):
    speak(client, app, federation_world["board"], "es")
    page = client.get(f"/o/{federation_world['federation'].slug}/manage").get_data(as_text=True)
    assert '<option selected value="UTC">' in page or 'value="UTC" selected' in page or "selected" in page
    assert "Pacífico (Los Ángeles)" in page
    assert page.index("Pacífico (Los Ángeles)") < page.index("Centro de México (Ciudad de México)")
    assert page.index("Centro de México (Ciudad de México)") < page.index("Tiempo universal coordinado (UTC)")


def test_the_board_chooses_the_federation_time_zone(client, app, federation_world):
    federation = federation_world["federation"]
    login(client, federation_world["board"])
    response = client.post(f"/o/{federation.slug}/settings", data=settings_data("America/Chicago"),
                           follow_redirects=True)
    assert response.status_code == 200 and "settings have been saved" in response.get_data(as_text=True)
    assert zone_of(app, federation) == "America/Chicago"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "federation.time_zone"))
        assert json.loads(entry.detail) == {"from": "UTC", "to": "America/Chicago"}
    page = response.get_data(as_text=True)
    assert "Time zone changed" in page and "From Coordinated Universal Time (UTC) to Central (Chicago)." in page


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "Europe/Madrid", "", "America/Los_Angeles'--"])
def test_a_zone_not_on_the_list_is_refused(client, app, federation_world, value):
    federation = federation_world["federation"]
    login(client, federation_world["board"])
    response = client.post(f"/o/{federation.slug}/settings", data=settings_data(value), follow_redirects=True)
    assert "Choose a time zone from the list" in response.get_data(as_text=True)
    assert zone_of(app, federation) == "UTC"


@pytest.mark.parametrize("role,expected", [("member", 403), ("officer", 403), ("other_club_member", 403),
                                           ("outsider", 403), ("stranger", 403), ("admin", 302), ("board", 302)])
def test_only_the_federation_board_changes_its_time_zone(client, app, federation_world, role, expected):
    federation = federation_world["federation"]
    login(client, federation_world[role])
    response = client.post(f"/o/{federation.slug}/settings", data=settings_data("America/Denver"))
    assert response.status_code == expected
    assert zone_of(app, federation) == ("America/Denver" if expected == 302 else "UTC")


def test_anonymous_visitors_are_sent_to_log_in_and_another_board_cannot_change_it(client, app, federation_world,
                                                                                   create_user, add_member):
    federation = federation_world["federation"]
    assert client.post(f"/o/{federation.slug}/settings", data=settings_data("America/Denver")).status_code == 302
    other_board = create_user("Other Board")
    from deliberate.models import Role
    add_member(other_board, federation_world["other_federation"], Role.BOARD)
    login(client, other_board)
    assert client.post(f"/o/{federation.slug}/settings", data=settings_data("America/Denver")).status_code == 403
    assert zone_of(app, federation) == "UTC"


def test_a_club_has_no_time_zone_of_its_own(client, app, federation_world):
    login(client, federation_world["board"])
    club = federation_world["club"]
    assert client.post(f"/o/{club.slug}/settings", data=settings_data("America/Denver")).status_code == 404


# --- a time the board types ----------------------------------------------------------------------------------------

def test_the_report_window_is_typed_and_shown_on_the_federation_clock(client, app, tallied):
    from deliberate.models import Agenda

    set_zone(app, tallied["federation"], "America/Los_Angeles")
    login(client, tallied["board"])
    response = client.post(f"/consultations/{tallied['consultation']}/agenda/window",
                           data={"until": "2030-01-15T18:00"})
    assert response.status_code == 302
    with app.app_context():
        agenda = db.session.scalar(select(Agenda).where(Agenda.consultation_id == tallied["consultation"]))
        assert agenda.minority_report_until == datetime(2030, 1, 16, 2, 0)  # 6 p.m. PST is 02:00 UTC next day
    page = client.get(f"/consultations/{tallied['consultation']}/agenda").get_data(as_text=True)
    assert 'value="2030-01-15T18:00"' in page
    assert "On the federation&#39;s clock: Pacific Time." in page or "On the federation's clock: Pacific Time." in page
    assert "Jan 15, 2030, 6:00\u202fPM PST" in page
    assert "(UTC)" not in page
