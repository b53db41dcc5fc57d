"""Leadership in a real browser: a board member plans a workshop, members take seats and wait in line, the board
takes attendance on a 360 px phone without JavaScript, pairs a mentor, and reads the health dashboard in Spanish
and in English."""

from __future__ import annotations

from datetime import timedelta

from deliberate.demo import FEDERATION_SLUG
from deliberate.models import utcnow
from tests.browser.pages import DESKTOP, PHONE, log_in

FEDERATION = f"/o/{FEDERATION_SLUG}"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_board_member_runs_a_workshop_pairs_a_mentor_and_reads_the_dashboard(live_server, demo_logins, new_page,
                                                                               journey):
    board = new_page(DESKTOP)
    log_in(board, live_server, demo_logins["board"], language="English")
    board.goto(live_server + FEDERATION)
    board.click("main >> text=Events")
    journey.shot(board, "events")
    board.click("text=Plan an event")
    starts = (utcnow() + timedelta(days=30)).replace(hour=17, minute=0)
    board.fill("#title_es", "Taller: cómo dirigir una asamblea")
    board.fill("#title_en", "Workshop: chairing an assembly")
    board.fill("#starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    board.fill("#ends_at", (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    board.fill("#address", "")
    board.fill("#capacity", "1")
    board.select_option("#track", label="Women's leadership")
    board.click("main button[type=submit]")
    assert "An event in person needs an address." in board.inner_text("main")  # a clear message, nothing lost
    assert board.input_value("#title_en") == "Workshop: chairing an assembly"
    journey.shot(board, "event-form-error")
    board.fill("#address", "1200 W Olympic Blvd, Los Angeles")
    board.click("main button[type=submit]")
    assert "The event is saved." in board.inner_text("main")
    event_url = board.url
    journey.shot(board, "event-created")

    member = new_page(PHONE)
    log_in(member, live_server, demo_logins["member"])
    member.goto(event_url)
    member.click("text=Voy a ir: reservar una plaza")
    assert "Tienes una plaza." in member.inner_text("main")
    assert _fits(member), "the event page scrolls sideways on a 360 px phone"
    journey.shot(member, "plaza-telefono")
    officer = new_page(PHONE)
    log_in(officer, live_server, demo_logins["officer"])
    officer.goto(event_url)
    officer.click("text=Entrar en la lista de espera")
    assert "Tienes el número 1 en la lista de espera." in officer.inner_text("main")
    journey.shot(officer, "lista-de-espera-telefono")

    phone = new_page(PHONE, java_script_enabled=False)  # the checklist is a plain form
    log_in(phone, live_server, demo_logins["board"])
    phone.goto(event_url + "/attendance")
    assert phone.locator("input[type=checkbox][name=attended]").count() == 2
    assert _fits(phone), "the attendance checklist scrolls sideways on a 360 px phone"
    phone.locator("input[type=checkbox][name=attended]").first.check()
    journey.shot(phone, "asistencia-telefono", check_accessibility=False)
    phone.click("text=Guardar la asistencia")
    assert "La asistencia está guardada: vinieron 1." in phone.inner_text("main")
    journey.shot(phone, "asistencia-guardada", check_accessibility=False)

    member.goto(live_server + FEDERATION + "/mentoring")
    member.fill("#wants", "Quiero aprender a hablar con autoridades")
    member.check("#wants_woman_mentor")
    member.click("main button:has-text('Pedir una mentora o un mentor')")
    assert "Tu solicitud está enviada" in member.inner_text("main")
    board.goto(live_server + FEDERATION + "/mentoring")
    assert "Quiero aprender a hablar con autoridades" in board.inner_text("main")
    journey.shot(board, "solicitudes-de-mentoria")
    # the board member's own language follows her account: the phone log-in above chose Spanish
    board.locator("article", has_text="Quiero aprender a hablar con autoridades").locator(
        "button:has-text('Formar la pareja')").click()
    assert "La pareja está formada; se avisó a ambas personas." in board.inner_text("main")
    journey.shot(board, "pareja")

    board.goto(live_server + FEDERATION + "/health/board")
    text = board.inner_text("main")
    for words in ("Dónde hace falta actuar", "Paridad", "Cuotas en la dirección", "Asistentes a eventos",
                  "Tendencias entre consultas", "43.9"):
        assert words in text, words
    assert board.locator("main svg.chart").count() == 2  # over consultations, and by quarter
    journey.shot(board, "panel-espanol")
    board.click("header >> text=English")
    text = board.inner_text("main")
    for words in ("Where action is needed", "Parity", "Quota rules over leadership", "Event attendees", "Mentors",
                  "Trends over consultations", "43.9%"):
        assert words in text, words
    journey.shot(board, "dashboard-english")
    public = new_page(PHONE)
    public.goto(live_server + FEDERATION + "/health")
    assert "Qué tan fuerte es la federación" in public.inner_text("main") and _fits(public)
    journey.shot(public, "salud-publica-telefono")


def test_a_member_takes_up_a_volunteer_role_on_a_phone_and_the_board_sees_it(live_server, demo_logins, new_page,
                                                                             journey):
    member = new_page(PHONE, java_script_enabled=False)  # plain forms: no JavaScript needed
    log_in(member, live_server, demo_logins["member"])
    member.goto(live_server + FEDERATION)
    member.click("main >> text=Puestos de voluntariado")
    assert "Chofer para la caravana de diciembre" in member.inner_text("main")
    journey.shot(member, "puestos-telefono", check_accessibility=False)
    member.click("text=Chofer para la caravana de diciembre")
    role_url = member.url
    member.click("main button:has-text('Tomar este puesto')")
    assert "Gracias: el puesto es tuyo." in member.inner_text("main")
    assert _fits(member), "the role's page scrolls sideways on a 360 px phone"
    member.check("#is_shown")
    member.click("main button:has-text('Guardar mi elección')")
    assert "ven ahora este puesto junto a tu nombre" in member.inner_text("main")
    journey.shot(member, "puesto-tomado-telefono", check_accessibility=False)
    member.goto(live_server + FEDERATION + "/volunteer")
    assert "se muestra junto a tu nombre" in member.inner_text("main")

    board = new_page(DESKTOP)
    log_in(board, live_server, demo_logins["board"], language="English")
    board.goto(role_url)
    assert "Who took it (2)" in board.inner_text("main")  # the demo's driver and the member
    journey.shot(board, "role-holders")
    board.goto(live_server + FEDERATION + "/health/board")
    text = board.inner_text("main")
    for words in ("members hold a volunteer role", "Volunteers", "Trends by quarter", "Quarter"):
        assert words in text, words
    assert board.locator("main svg.chart").count() == 2
    journey.shot(board, "dashboard-volunteers-quarters")
