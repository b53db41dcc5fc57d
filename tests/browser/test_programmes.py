"""Programmes in a real browser: the demo agenda's public tracker on a phone in Spanish, on a desktop in English,
without JavaScript, and a member who follows her demand to its programme."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest

from tests.browser.pages import DESKTOP, PHONE, log_in, run_deliberate


@pytest.fixture(scope="module")
def demo(live_server, server_env) -> dict:
    """Run `deliberate demo-cycle` against the live server's database and return its JSON."""
    result = run_deliberate("demo-cycle", env=server_env)
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_public_reads_the_tracker_on_a_phone_in_spanish_and_on_a_desktop_in_english(live_server, demo,
                                                                                       new_page, journey):
    page = new_page(PHONE)
    page.goto(live_server + urlsplit(demo["url"]).path)
    page.click("text=Sigue cómo se cumple esta agenda")
    assert urlsplit(page.url).path == urlsplit(demo["tracker_url"]).path
    assert page.locator("html").get_attribute("lang") == "es"
    main = page.inner_text("main")
    for words in ("Seguimiento", "Toda la agenda", "Bloqueado", "Atrasado", "Promesas cumplidas", "Fondos",
                  "recibidos de", "Últimos avances"):
        assert words in main, words
    assert "El municipio no ha firmado" in main  # a blocked programme says why, in public
    assert page.locator("main progress").count() >= 5
    assert page.locator(".progress-text").first.inner_text().endswith("hecho")
    assert _fits(page), "the tracker scrolls sideways on a 360 px phone"
    journey.shot(page, "seguimiento-telefono")
    page.click("main .programme-card.is-blocked h4 a")
    assert "Metas" in page.inner_text("main") and "Compromisos de autoridades" in page.inner_text("main")
    assert _fits(page)
    journey.shot(page, "programa-bloqueado-telefono")

    desktop = new_page(DESKTOP)
    desktop.goto(demo["tracker_url"].replace("http://localhost:5000", live_server))
    assert desktop.locator("html").get_attribute("lang") == "en"
    text = desktop.inner_text("main")
    for words in ("Follow-up", "Blocked", "Overdue", "By authority", "By official", "Committed and received"):
        assert words in text, words
    journey.shot(desktop, "tracker-desktop")
    desktop.click("main .programme-card h4 a")
    assert "Milestones" in desktop.inner_text("main")
    journey.shot(desktop, "programme-desktop")


def test_the_tracker_works_without_javascript(live_server, demo, new_page, journey):
    page = new_page(PHONE, java_script_enabled=False)
    page.goto(demo["tracker_url"].replace("http://localhost:5000", live_server))
    assert "Seguimiento" in page.inner_text("main")
    assert page.locator("main progress").count() >= 5
    assert _fits(page)
    journey.shot(page, "seguimiento-sin-javascript")
    csv = page.request.get(live_server + urlsplit(demo["tracker_url"]).path + ".csv")
    assert csv.ok and csv.body().startswith(b"\xef\xbb\xbf")


def _demand_with_programme(server_env) -> tuple[int, str]:
    """Find, in the live server's database, a demand placed on an item with a programme, and its author's email."""
    path = server_env["DELIBERATE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT demand.id, user.email FROM demand JOIN demand_placement ON demand_placement.demand_id = demand.id"
            " JOIN programme ON programme.agenda_item_id = demand_placement.agenda_item_id"
            " JOIN user ON user.id = demand.author_id ORDER BY demand.id DESC LIMIT 1").fetchone()


def test_a_member_follows_her_demand_to_its_programme_and_follows_the_item(live_server, demo, server_env, new_page,
                                                                           journey):
    demand_id, email = _demand_with_programme(server_env)
    page = new_page(PHONE)
    log_in(page, live_server, email)
    page.goto(f"{live_server}/demands/{demand_id}")
    section = page.locator("section.demand-result")
    assert "Qué pasó con esta demanda" in section.inner_text()
    assert "hecho" in section.inner_text()
    assert _fits(page)
    journey.shot(page, "demanda-a-programa")
    section.locator("text=Síguelo en el seguimiento de la agenda").click()
    item = page.locator(f"#{urlsplit(page.url).fragment}")
    item.locator("text=Seguir este punto").click()
    assert "Ahora sigues este punto" in page.inner_text("main")
    assert "Sigues este punto." in page.inner_text("main")
    journey.shot(page, "punto-seguido")


def test_the_federations_follow_up_spans_its_agendas_on_a_phone_without_javascript(live_server, demo, new_page,
                                                                                  journey):
    page = new_page(PHONE, java_script_enabled=False)
    tracker_path = urlsplit(demo["tracker_url"]).path
    page.goto(live_server + tracker_path)
    page.click("main .breadcrumb >> text=Seguimiento de las agendas")
    main = page.inner_text("main")
    for words in ("Todas las agendas juntas", "Requiere atención", "Bloqueado", "Promesas cumplidas",
                  "Proyectos pensados para mujeres"):
        assert words in main, words
    assert "El municipio no ha firmado" in main  # what needs attention says why
    assert page.locator(f'main a[href="{tracker_path}"]').count() >= 1
    assert _fits(page), "the follow-up scrolls sideways on a 360 px phone"
    journey.shot(page, "seguimiento-federacion-telefono")


def test_the_board_posts_an_update_with_a_phone_photo_published_without_its_metadata(live_server, demo,
                                                                                      demo_logins, new_page,
                                                                                      journey, tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 39.0, 0.0), 3: "W", 4: (102.0, 59.0, 0.0)}
    photo = tmp_path / "IMG_2041.jpg"
    Image.new("RGB", (1200, 900), (60, 130, 70)).save(photo, "JPEG", exif=exif)

    page = new_page(PHONE)
    log_in(page, live_server, demo_logins["board"])
    page.goto(demo["tracker_url"].replace("http://localhost:5000", live_server))
    page.click("main .programme-card.is-blocked h4 a")
    page.click("text=Publicar un avance")
    page.fill("textarea[name=text]", "Visitamos el terreno con el presidente municipal.")
    page.set_input_files("input[name=photo]", str(photo))
    journey.shot(page, "avance-con-foto-formulario")
    page.click("main form[enctype] button[type=submit]")  # no description: refused, the text kept
    assert "Di qué muestra la foto" in page.inner_text("main")
    assert page.input_value("textarea[name=text]") == "Visitamos el terreno con el presidente municipal."
    page.set_input_files("input[name=photo]", str(photo))
    page.fill("input[name=photo_description]", "El terreno cercado, visto desde la calle")
    page.click("main form[enctype] button[type=submit]")
    assert "Se publicó tu avance." in page.inner_text("main")
    image = page.locator('main .update-photo img[alt="El terreno cercado, visto desde la calle"]')
    assert image.count() == 1
    image.scroll_into_view_if_needed()  # the photo loads lazily: on a phone it may start below the fold
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 1200
    served = page.request.get(live_server + image.get_attribute("src"))
    assert served.ok and served.headers["content-type"] == "image/jpeg" and b"PhoneMaker" not in served.body()
    assert _fits(page)
    journey.shot(page, "avance-con-foto-publicado")
