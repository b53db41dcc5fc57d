"""The whole cycle in one continuous journey, as people live it: in Spanish on a 360 x 640 phone.

A newcomer registers and joins a club, the officer approves her, she submits a demand and reacts to others; the board
consolidates the demands into agenda items and opens the vote; she ranks by dragging with her finger, the officer
ranks with the keyboard only, a member without JavaScript ranks through the plain form, and the rest of the demo
federation votes from the command line; the board closes the count and publishes; the public reads the agenda and
its minority section. Then the same key pages in English on a desktop. axe-core checks every page on the way.
"""

from __future__ import annotations

import re
import time

from deliberate.app import create_app
from deliberate.auth.services import confirmation_link, find_user_by_email
from deliberate.demo import CONSULTATION_TITLE_ES
from tests.browser.pages import DESKTOP, PHONE, log_in, run_deliberate


def _confirmation_link(server_env: dict[str, str], base: str, email: str) -> str:
    """Return the link the live server mailed to confirm a new account, made with the server's own settings."""
    app = create_app({"TESTING": True, "SECRET_KEY": server_env["DELIBERATE_SECRET_KEY"], "BASE_URL": base,
                      "SQLALCHEMY_DATABASE_URI": server_env["DELIBERATE_DATABASE_URL"]})
    with app.app_context():
        return confirmation_link(find_user_by_email(email))


NEWCOMER_EMAIL = "rosa.elvia.muro@example.org"
NEWCOMER_PASSWORD = "tunas y nopales 2027"


def flash(page) -> str:
    """Return the flashed messages of the page a form's POST led to (waiting for it: a click does not wait)."""
    page.wait_for_load_state()
    page.locator(".flash").first.wait_for(timeout=15_000)
    return " ".join(page.locator(".flash").all_inner_texts())


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focused element matches the selector (keyboard only, as a person would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


class Finger:
    """Touch a phone's screen through Chromium's input pipeline: the page sees touch and pointer events."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def _send(self, kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": x, "y": y}]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    def drag(self, handle, to_y: float, *, hold_until=None, steps: int = 12) -> None:
        """Press on the handle, slide to to_y, hold there (while the page scrolls) until hold_until(), lift."""
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self._send("touchStart", x, y)
        for step in range(1, steps + 1):
            self._send("touchMove", x, y + (to_y - y) * step / steps)
            self.page.wait_for_timeout(16)
        deadline = time.monotonic() + 15
        while hold_until is not None and not hold_until() and time.monotonic() < deadline:
            self._send("touchMove", x, to_y)
            self.page.wait_for_timeout(100)
        self._send("touchEnd")


def ballot_order(page) -> list[str]:
    return page.locator("#ballot-list .ballot-item").evaluate_all("els => els.map(e => e.dataset.item)")


def rank_values(page) -> list[str]:
    return page.locator("#ballot-list .rank-select").evaluate_all("els => els.map(e => e.value)")


def advance_phase(board, journey, consultation_url: str, label: str) -> None:
    """The board moves the consultation one phase forward through the confirmation page."""
    board.goto(consultation_url)
    board.click("main a:has-text('Pasar a la siguiente fase')")
    journey.shot(board, f"junta-confirma-{label}")
    if board.locator("input[name=confirm]").count():  # what deserves a second look was read: tick to move on
        board.check("input[name=confirm]")
    board.click("main form button[type=submit]")
    assert board.url.rstrip("/").endswith(consultation_url.rsplit("/", 1)[-1]), board.url


def visit_in_english(page, journey, pages: dict[str, str]) -> None:
    """Open each page: it must be in English with one main heading; screenshot and axe each."""
    for label, url in pages.items():
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "en", label
        assert page.locator("main h1").count() == 1, label
        journey.shot(page, label)


def test_the_whole_cycle_in_spanish_on_a_phone_then_in_english_on_a_desktop(
        live_server, demo_logins, server_env, new_page, journey):
    base = live_server
    club = demo_logins["officer_where"]

    # --- A newcomer registers and asks to join her club; the officer approves her.
    rosa = new_page(PHONE)
    rosa.goto(base + "/account/register")
    rosa.fill("#display_name", "Rosa Elvia Muro")
    rosa.fill("#email", NEWCOMER_EMAIL)
    rosa.fill("#password", NEWCOMER_PASSWORD)
    rosa.fill("#confirm", NEWCOMER_PASSWORD)
    rosa.check("input[name=gender][value=woman]")
    journey.shot(rosa, "registro")
    rosa.click("main button[type=submit]")
    assert NEWCOMER_EMAIL in flash(rosa)  # a link was mailed (the test server has no mail server: made here)
    rosa.goto(_confirmation_link(server_env, base, NEWCOMER_EMAIL))
    rosa.click("main button[type=submit]")
    assert "Bienvenid" in flash(rosa)
    rosa.click("text=Federación de Clubes Zacatecanos del Sur de California")
    rosa.click(f"text={club}")
    rosa.click("text=Pedir unirme a este club")
    journey.shot(rosa, "solicitud-enviada")

    officer = new_page(PHONE)
    log_in(officer, base, demo_logins["officer"])
    officer.goto(base + "/account/profile")
    officer.click(f"text={club}")
    officer.click("text=Administrar el club")
    officer.locator("li", has_text="Rosa Elvia Muro").get_by_role("button", name="Aprobar").click()
    assert "ya es integrante del club" in flash(officer)
    journey.shot(officer, "dirigente-aprueba")
    rosa.goto(base + "/account/profile")
    assert club in rosa.inner_text("main") and "activo" in rosa.inner_text("main")
    journey.shot(rosa, "mi-cuenta")

    # --- She finds the consultation, checks for similar demands, then submits her own.
    rosa.goto(base + "/o/zacatecanos-sur-california/consultations")
    rosa.click(f"text={CONSULTATION_TITLE_ES}")
    consultation_url = rosa.url
    consultation_id = int(re.search(r"/consultations/(\d+)", consultation_url).group(1))
    journey.shot(rosa, "consulta")
    rosa.click("main a:has-text('Enviar una demanda')")
    rosa.fill("#title", "Becas para que las hijas de migrantes estudien en Zacatecas")
    rosa.fill("#body", "Que la federación pida **becas** para las muchachas del pueblo que quieren estudiar la "
                       "preparatoria y la universidad, con transporte desde las comunidades.")
    rosa.select_option("#target", index=1)
    rosa.click("main button[name=check]")
    journey.shot(rosa, "demandas-parecidas")
    assert rosa.input_value("#title").startswith("Becas")  # the check keeps what she wrote
    rosa.click("main button.primary:has-text('Enviar demanda')")
    assert "Becas para que las hijas" in rosa.inner_text("main h1")
    journey.shot(rosa, "demanda-enviada")

    # --- She reacts to other demands, one at a time.
    rosa.goto(consultation_url)
    rosa.click("main a:has-text('Reaccionar a demandas')")
    journey.shot(rosa, "reaccionar")
    for choice in ("De acuerdo", "De acuerdo", "En desacuerdo", "Paso", "De acuerdo", "De acuerdo"):
        seen = rosa.inner_text("#react-progress-label")
        rosa.click(f"main .reaction-buttons button:has-text('{choice}')")
        assert rosa.inner_text("#react-progress-label") != seen
    journey.shot(rosa, "reacciones-hechas")

    # --- A member without JavaScript submits a demand and reacts too (the plain forms are the core).
    plain = new_page(PHONE, java_script_enabled=False)
    log_in(plain, base, demo_logins["member"])
    plain.goto(f"{base}/consultations/{consultation_id}/demands/new")
    plain.fill("#title", "Clínica móvil para los adultos mayores de Fresnillo")
    plain.fill("#body", "Una unidad médica que visite cada mes las comunidades de Fresnillo.")
    plain.select_option("#target", index=1)
    plain.click("main button.primary")
    assert "Clínica móvil" in plain.inner_text("main h1")
    plain.goto(f"{base}/consultations/{consultation_id}/react")
    for _ in range(3):
        plain.click("main .reaction-buttons button:has-text('De acuerdo')")
    journey.shot(plain, "sin-js-reacciones")

    # --- The board consolidates: fresh suggestions, each group accepted as an agenda item.
    board = new_page(PHONE)
    log_in(board, base, demo_logins["board"])
    advance_phase(board, journey, consultation_url, "consolidacion")
    board.click("main a:has-text('Espacio de consolidación')")
    board.click("main button:has-text('Actualizar sugerencias')")
    # the suggestions are a job: its page shows how far it has come, then links back to the workspace
    board.wait_for_selector("main a:has-text('Ver el resultado')", timeout=120_000)
    board.click("main a:has-text('Ver el resultado')")
    journey.shot(board, "junta-sugerencias")
    accepted = 0
    while board.locator("details.cons-accept").count() and accepted < 40:
        group = board.locator("details.cons-accept").first
        form_id = group.locator("xpath=ancestor::form[1]").get_attribute("id")
        # a less sure group comes unchecked: the board reads it and takes it whole
        for box in board.locator(f"input[form='{form_id}']").all():
            box.check()
        group.locator("summary").click()
        if accepted == 0:
            journey.shot(board, "junta-acepta-grupo")
        group.get_by_role("button", name="Crear el punto de agenda").click()
        accepted += 1
    assert accepted >= 5
    journey.shot(board, "junta-espacio-consolidado")
    board.goto(f"{base}/consultations/{consultation_id}/items")
    items_text = board.inner_text("main")
    journey.shot(board, "puntos-de-agenda")
    assert board.locator("main a[href*='/agenda-items/']").count() >= 5, items_text

    # --- Deliberation: an argument for a demand, up-voted by another member; the opinion map.
    advance_phase(board, journey, consultation_url, "deliberacion")
    rosa.goto(f"{base}/consultations/{consultation_id}/demands")
    demand_id = int(re.search(r"/demands/(\d+)", rosa.locator("main a[href^='/demands/']").first
                              .get_attribute("href")).group(1))
    discussion_url = f"{base}/consultations/{consultation_id}/demands/{demand_id}/discussion"
    rosa.goto(discussion_url)
    journey.shot(rosa, "discusion")
    # The forms are folded under their summaries; a text the server refuses comes back in the open form, focused.
    write_for = rosa.locator("details.argument-write").first
    assert write_for.get_attribute("open") is None
    write_for.locator("summary").click()
    form = write_for.locator("form.argument-form")
    form.locator("textarea").fill("hola\u202emundo")
    form.locator("button[type=submit]").click()
    write_for = rosa.locator("details.argument-write[open]")
    assert write_for.count() == 1
    assert rosa.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    journey.shot(rosa, "argumento-con-error")
    argument = "Con esto las familias del pueblo ya no tendrían que viajar hasta la ciudad."
    form = write_for.locator("form.argument-form")
    form.locator("textarea").fill(argument)
    form.locator("button[type=submit]").click()
    rosa.wait_for_url(re.compile(r"#argument-\d+$"))  # the page the argument was posted to, at the new argument
    assert argument in rosa.inner_text("main .argument-for")
    journey.shot(rosa, "argumento-publicado")
    officer.goto(discussion_url)
    officer.locator(".argument-for form.inline button").first.click()
    journey.shot(officer, "argumento-apoyado")
    # A member's request never computes the map; the board's does, when enough reactions are new (or by cron).
    map_url = f"{base}/consultations/{consultation_id}/opinion-map"
    for _ in range(60):  # the map is a job computed a moment after the reactions arrive
        board.goto(map_url)
        if board.locator("svg.om-map").count():
            break
        time.sleep(1)
    assert board.locator("svg.om-map").count() == 1
    journey.shot(board, "junta-mapa-de-opiniones")
    rosa.goto(map_url)
    assert rosa.locator("svg.om-map circle").count() >= 10 and "Grupo A" in rosa.inner_text("main")
    journey.shot(rosa, "mapa-de-opiniones")
    advance_phase(board, journey, consultation_url, "votacion")

    # --- Rosa ranks by dragging with her finger: the third item to the top, then the last one all the way up.
    rosa.goto(consultation_url)
    rosa.click("main a:has-text('Votar')")
    rosa.wait_for_selector("#ballot-list.sortable")
    journey.shot(rosa, "boleta")
    before = ballot_order(rosa)
    finger = Finger(rosa)
    handles = rosa.locator("#ballot-list .drag-handle")
    # She slides the item to the top edge of the screen and holds it there while the page scrolls up.
    finger.drag(handles.nth(2), to_y=8, hold_until=lambda: ballot_order(rosa)[0] == before[2])
    after_first = ballot_order(rosa)
    assert after_first[:3] == [before[2], before[0], before[1]] and after_first[3:] == before[3:]
    finger.drag(handles.last, to_y=8, hold_until=lambda: ballot_order(rosa)[0] == before[-1])
    order = ballot_order(rosa)
    assert order[:2] == [before[-1], before[2]], (before, order)
    assert rank_values(rosa) == [str(n) for n in range(1, len(order) + 1)]  # the plain form follows the list
    rosa.wait_for_function("document.getElementById('ballot-announce').textContent.includes('posición 1 de')")
    rosa.locator(f"#ballot-list .ballot-item[data-item='{order[0]}'] .support-box").check()
    rosa.locator(f"#ballot-list .ballot-item[data-item='{order[1]}'] .support-box").check()
    journey.shot(rosa, "boleta-arrastrada")
    rosa.click("main button:has-text('Revisar mi boleta')")
    journey.shot(rosa, "boleta-revision")
    rosa.click("#cast-form button.primary")
    receipt = rosa.inner_text("#receipt-code").strip()
    assert len(receipt) >= 8
    journey.shot(rosa, "recibo")

    # --- The officer ranks with the keyboard only: moves the first item down twice and supports it.
    officer.goto(f"{base}/consultations/{consultation_id}/ballot")
    officer.wait_for_selector("#ballot-list.sortable")
    before = ballot_order(officer)
    tab_to(officer, "#ballot-list .ballot-item:first-child .move-down")
    officer.keyboard.press("Enter")
    officer.keyboard.press("Enter")  # focus stays on the button that moved with the item
    assert ballot_order(officer)[:3] == [before[1], before[2], before[0]]
    tab_to(officer, f"#ballot-list .ballot-item[data-item='{before[1]}'] .support-box")
    officer.keyboard.press("Space")
    journey.shot(officer, "boleta-teclado")
    tab_to(officer, "main button[type=submit].primary")
    officer.keyboard.press("Enter")
    officer.wait_for_selector("#cast-form")
    tiers = officer.inner_text("main")
    journey.shot(officer, "boleta-teclado-revision")
    tab_to(officer, "#cast-form button.primary")
    officer.keyboard.press("Enter")
    officer.wait_for_selector("#receipt-code")
    assert tiers  # the review listed the ranking before casting

    # --- The member without JavaScript ranks through the plain selectors.
    plain.goto(f"{base}/consultations/{consultation_id}/ballot")
    selects = plain.locator("#ballot-list .rank-select")
    ids = plain.locator("#ballot-list .ballot-item").evaluate_all("els => els.map(e => e.dataset.item)")
    for position, item in enumerate(reversed(ids), start=1):
        plain.select_option(f"#rank_{item}", str(position))
    plain.check(f"input[name=support_{ids[-1]}]")
    assert selects.count() == len(ids)
    journey.shot(plain, "sin-js-boleta")
    plain.click("main button.primary")
    journey.shot(plain, "sin-js-revision")
    plain.click("#cast-form button.primary")
    assert plain.locator("#receipt-code").count() == 1

    # --- A board member on a computer: a tie set with the selectors survives a click on a card; a mouse drag moves.
    desk_vote = new_page(DESKTOP)
    log_in(desk_vote, base, demo_logins["board"])
    desk_vote.goto(f"{base}/consultations/{consultation_id}/ballot")
    desk_vote.wait_for_selector("#ballot-list.sortable")
    ids = ballot_order(desk_vote)
    desk_vote.select_option(f"#rank_{ids[0]}", "1")
    desk_vote.select_option(f"#rank_{ids[1]}", "1")
    desk_vote.click(f"#item-{ids[1]}-title")  # pressing a card without moving it changes nothing
    assert [desk_vote.input_value(f"#rank_{item}") for item in ids[:2]] == ["1", "1"]
    card = desk_vote.locator(f"#ballot-list .ballot-item[data-item='{ids[3]}'] .ballot-item-title")
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    desk_vote.mouse.move(box["x"] + 20, box["y"] + 5)
    desk_vote.mouse.down()
    target = desk_vote.locator(f"#ballot-list .ballot-item[data-item='{ids[0]}']").bounding_box()
    desk_vote.mouse.move(box["x"] + 20, target["y"] + 5, steps=10)
    desk_vote.mouse.up()
    assert ballot_order(desk_vote)[0] == ids[3]
    assert rank_values(desk_vote) == [str(n) for n in range(1, len(ids) + 1)]
    journey.shot(desk_vote, "boleta-raton")
    desk_vote.click("main button:has-text('Revisar mi boleta')")
    desk_vote.click("#cast-form button.primary")
    assert desk_vote.locator("#receipt-code").count() == 1

    # --- The rest of the federation votes; the board closes the count and publishes.
    cast = run_deliberate("demo-ballots", str(consultation_id), env=server_env)
    assert re.search(r"\d+ ballots cast", cast.stdout)
    advance_phase(board, journey, consultation_url, "escrutinio")
    board.click("main a:has-text('Ver los resultados')")
    assert board.locator("main h1").count() == 1
    journey.shot(board, "resultados")
    board.goto(consultation_url)
    board.click("main a:has-text('Preparar y publicar la agenda')")
    board.fill("#framing_es", "Esta es la agenda de la federación para 2027, con las voces que no ganaron.")
    board.fill("#framing_en", "This is the federation's 2027 agenda, with the voices that did not win.")
    board.click("main button:has-text('Guardar la introducción')")
    journey.shot(board, "junta-borrador")
    board.click("main button:has-text('Publicar la agenda')")
    agenda_url = board.url
    assert re.search(r"/agendas/\d+$", agenda_url), agenda_url

    # --- The public, without an account, reads the agenda and its minority section.
    public = new_page(PHONE)
    public.goto(agenda_url)
    assert public.locator("html").get_attribute("lang") == "es"
    assert public.locator("#minority-title").is_visible()
    assert "Esta es la agenda de la federación para 2027" in public.inner_text("main")
    journey.shot(public, "agenda-publica")
    public.goto(f"{base}/consultations/{consultation_id}/receipts")
    journey.shot(public, "recibos-contados")

    # --- The same key pages in English on a desktop.
    desk = new_page(DESKTOP)
    desk.goto(agenda_url)
    assert desk.locator("html").get_attribute("lang") == "en"
    assert "minority" in desk.inner_text("#minority-title").lower()
    journey.shot(desk, "public-agenda")
    log_in(desk, base, NEWCOMER_EMAIL, NEWCOMER_PASSWORD, language="English")
    pages = {
        "consultation": consultation_url,
        "demands": f"{base}/consultations/{consultation_id}/demands",
        "react": f"{base}/consultations/{consultation_id}/react",
        "items": f"{base}/consultations/{consultation_id}/items",
        "opinion-map": f"{base}/consultations/{consultation_id}/opinion-map",
        "ballot-closed": f"{base}/consultations/{consultation_id}/ballot",
        "results": f"{base}/consultations/{consultation_id}/results",
        "receipts": f"{base}/consultations/{consultation_id}/receipts",
        "minority-reports": f"{base}/consultations/{consultation_id}/agenda/reports",
        "notifications": f"{base}/notifications",
        "consultations": f"{base}/o/zacatecanos-sur-california/consultations",
        "discussion": discussion_url,
        "agenda-print": f"{agenda_url}/print",
        "agenda-versions": f"{agenda_url}/versions",
    }
    visit_in_english(desk, journey, pages)
    desk.goto(f"{base}/consultations/{consultation_id}/demands")
    desk.click("main a:has-text('Becas para que las hijas')")
    journey.shot(desk, "my-demand")
    desk.goto(f"{base}/consultations/{consultation_id}/items")
    desk.locator("main a[href*='/agenda-items/']").first.click()
    journey.shot(desk, "item-provenance")

    # --- And the board's own pages, in English on a desktop.
    chair = new_page(DESKTOP)
    log_in(chair, base, demo_logins["board"], language="English")
    board_pages = {
        "board-consolidation-workspace": f"{base}/consultations/{consultation_id}/consolidation",
        "board-consolidation-log": f"{base}/consultations/{consultation_id}/consolidation/log",
        "board-agenda-draft": f"{base}/consultations/{consultation_id}/agenda",
        "board-what-if": f"{base}/consultations/{consultation_id}/results?what_if=1",
        "board-moderation": f"{base}/consultations/{consultation_id}/moderation",
        "board-settings": f"{base}/consultations/{consultation_id}/settings",
        "board-manage-federation": f"{base}/o/zacatecanos-sur-california/manage",
    }
    visit_in_english(chair, journey, board_pages)
    assert len(journey.axe_results) >= 50 and all(count == 0 for _, count in journey.axe_results)
