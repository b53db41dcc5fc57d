"""Journey: a board member imports a Polis conversation through the page on a phone, in Spanish, and watches the
job's progress until it says what was imported; a wrong file is refused with a clear message; on a desktop in
English, without JavaScript, the job's page reloads itself and shows the result.

Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0 with
Attribution to The Computational Democracy Project (https://compdemocracy.org/case-studies/2022-london-youth-policing).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.pages import DESKTOP, log_in

LONDON = Path(__file__).resolve().parents[1] / "data" / "polis" / "london.youth.policing"
FEDERATION = "zacatecanos-sur-california"


def _new_consultation(page, base: str, title: str) -> str:
    page.goto(f"{base}/o/{FEDERATION}/consultations/new")
    page.fill("#title_es", title)
    page.fill("#title_en", title)
    page.click("main button[type=submit]")
    return re.search(r"/consultations/(\d+)", page.url).group(0)


def test_a_board_member_imports_a_polis_conversation_and_watches_it(live_server, demo_logins, new_page, journey):
    page = new_page()  # a phone, in Spanish
    log_in(page, live_server, demo_logins["board"])
    consultation = _new_consultation(page, live_server, "Conversación de Polis importada")
    page.click("text=Importar una conversación de Polis")
    journey.shot(page, "formulario")
    page.set_input_files("#comments", str(LONDON / "votes.csv"))  # the wrong file in the first field
    page.set_input_files("#votes", str(LONDON / "votes.csv"))
    page.click("main button[type=submit]")
    assert "faltan las columnas" in page.content()
    journey.shot(page, "archivo-equivocado")
    page.set_input_files("#comments", str(LONDON / "comments.csv"))
    page.set_input_files("#votes", str(LONDON / "votes.csv"))
    page.set_input_files("#summary", str(LONDON / "summary.csv"))
    page.select_option("#language", "en")
    page.click("main button[type=submit]")
    assert "/jobs/" in page.url
    assert page.locator("progress").count() == 1
    journey.shot(page, "progreso")
    page.wait_for_selector("text=afirmaciones como demandas", timeout=120_000)  # live, then reloaded when done
    journey.shot(page, "importada")
    job = page.url
    page.goto(live_server + consultation)
    assert "Importado de una conversación de Polis" in page.content()

    desktop = new_page(DESKTOP, java_script_enabled=False)
    log_in(desktop, live_server, demo_logins["board"], language="English")
    desktop.goto(job)
    assert "statements as demands" in desktop.content()
    assert desktop.locator('meta[http-equiv="refresh"]').count() == 0  # finished: no more reloading
    journey.shot(desktop, "finished-desktop")
