"""The main journeys in a real browser: Spanish on a phone, English on a desktop, and without JavaScript."""

from __future__ import annotations

import itertools

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, PHONE

_n = itertools.count(1)


def log_in(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def log_out(page) -> None:
    page.click("header form[action$='/account/logout'] button")


def test_a_newcomer_registers_joins_a_club_and_the_officer_approves_in_spanish_on_a_phone(
        live_server, demo_logins, new_page, journey):
    page = new_page(PHONE)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "es"
    journey.shot(page, "inicio")
    page.click("text=Registrarse")
    journey.shot(page, "registro")
    email = f"socia{next(_n)}@example.org"
    page.fill("#display_name", "Socia Nueva")
    page.fill("#email", email)
    page.fill("#password", "flor de calabaza 77")
    page.fill("#confirm", "flor de calabaza 77")
    page.check("input[name=gender][value=woman]")
    page.click("main button[type=submit]")
    assert "Bienvenido" in page.content()
    page.click("text=Federación de Clubes Zacatecanos del Sur de California")
    journey.shot(page, "federacion")
    club = demo_logins["officer_where"]
    page.click(f"text={club}")
    page.click("text=Pedir unirme a este club")
    assert "Los dirigentes del club la revisarán" in page.content()
    journey.shot(page, "solicitud-enviada")

    officer = new_page(PHONE)
    log_in(officer, live_server, demo_logins["officer"])
    officer.goto(live_server + "/account/profile")
    officer.click(f"text={club}")
    officer.click("text=Administrar el club")
    journey.shot(officer, "dirigente-solicitudes")
    row = officer.locator("li", has_text="Socia Nueva")
    row.get_by_role("button", name="Aprobar").click()
    assert "ya es miembro del club" in officer.content()

    page.goto(live_server + "/account/profile")
    assert club in page.content() and "activo" in page.content()
    journey.shot(page, "mi-cuenta")


def test_key_pages_in_english_on_a_desktop(live_server, demo_logins, new_page, journey):
    page = new_page(DESKTOP)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    journey.shot(page, "home")
    log_in(page, live_server, demo_logins["board"])
    page.click("header >> text=English")  # the board member's own language is Spanish; switch to English
    page.goto(live_server + "/o/zacatecanos-sur-california")
    assert "Clubs" in page.content()
    journey.shot(page, "federation")
    page.click("text=Leaders' directory")
    journey.shot(page, "leaders")
    page.goto(live_server + "/o/zacatecanos-sur-california/manage")
    assert "Audit log" in page.content()
    journey.shot(page, "manage-federation")
    page.goto(live_server + "/account/profile")
    journey.shot(page, "my-account")
    page.goto(live_server + "/no-such-page")
    assert "Page not found" in page.content()
    journey.shot(page, "not-found")


def test_the_core_flows_work_without_javascript(live_server, demo_logins, new_page, journey):
    page = new_page(PHONE, java_script_enabled=False)
    log_in(page, live_server, demo_logins["member"])
    assert "Iniciaste sesión" in page.content()
    page.click("header >> text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("header >> text=Español")
    journey.shot(page, "sin-javascript")
    log_out(page)
    assert "Cerraste sesión" in page.content()


def test_a_wrong_password_and_a_weak_password_get_clear_messages(live_server, new_page, journey):
    page = new_page(PHONE)
    log_in(page, live_server, "nadie@example.org", "contraseña equivocada")
    assert "Correo o contraseña incorrectos" in page.content()
    journey.shot(page, "login-error")
    page.goto(live_server + "/account/register")
    page.fill("#display_name", "X")
    page.fill("#email", "x@example.org")
    page.fill("#password", "1234567890")
    page.fill("#confirm", "1234567890")
    page.click("main button[type=submit]")
    assert "demasiado común" in page.content()
    assert page.input_value("#email") == "x@example.org"
    journey.shot(page, "registro-error")
