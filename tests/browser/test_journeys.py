"""Journeys around the cycle: key pages in English on a desktop, log-in without JavaScript, clear error messages.

The whole cycle, from registering to the published agenda, is one journey in test_whole_cycle.py."""

from __future__ import annotations

from tests.browser.pages import DESKTOP, PHONE, log_in


def log_out(page) -> None:
    page.click("header form[action$='/account/logout'] button")


def test_key_pages_in_english_on_a_desktop(live_server, demo_logins, new_page, journey):
    page = new_page(DESKTOP)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    journey.shot(page, "home")
    log_in(page, live_server, demo_logins["board"], language="English")
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
    log_in(page, live_server, demo_logins["member"], language=None)
    assert "Iniciaste sesión" in page.content()
    page.click("header >> text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("header >> text=Español")
    journey.shot(page, "sin-javascript")
    log_out(page)
    assert "Cerraste sesión" in page.content()


def test_a_wrong_password_and_a_weak_password_get_clear_messages(live_server, new_page, journey):
    page = new_page(PHONE)
    log_in(page, live_server, "nadie@example.org", "contraseña equivocada", language=None)
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
