"""A club assembly in a real browser: an officer records it on a 360 px phone without JavaScript, a board member
co-signs it, the officer prints the paper ballots, marks who voted on paper and types the sheets; the board member
types them again (one disagreement, resolved side by side); a member who voted on paper cannot vote online. Then the
demo cycle's assembly, twelve paper ballots typed twice, is read on the published agenda in Spanish and English."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator

import pytest

from tests.browser.pages import DESKTOP, PHONE, log_in, run_deliberate, running_site

SHEETS = 5


@pytest.fixture(scope="module")
def hall(tmp_path_factory) -> Iterator[dict]:
    """A server of its own (the journey moves the demo consultation to voting): seeded, voting open."""
    instance = tmp_path_factory.mktemp("assembly-instance")
    env = {**os.environ, "DELIBERATE_INSTANCE_PATH": str(instance),
           "DELIBERATE_DATABASE_URL": f"sqlite:///{instance / 'assembly.sqlite3'}",
           "DELIBERATE_SECRET_KEY": "assembly-journey-secret-key-0123456789", "DELIBERATE_SECURE_COOKIES": "0",
           "PYTHONWARNINGS": "ignore"}
    env.pop("DELIBERATE_TEST_DATABASE_URL", None)
    run_deliberate("db", "upgrade", env=env)
    logins = {}
    for line in run_deliberate("seed-demo", env=env).stdout.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and "@" in parts[1]:
            logins[parts[0]] = parts[1]
    voting = json.loads(run_deliberate("demo-vote", env=env).stdout.strip().splitlines()[-1])
    with running_site(env, instance, worker=False) as base:
        yield {"base": base, "env": env, "logins": logins, "consultation_id": voting["consultation_id"]}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _flash(page) -> str:
    return page.inner_text("main")


def _type_sheet(page, base: str, assembly_url: str, code: str, swap: bool = False) -> list[str]:
    """Open a sheet by its code and type 1, 2, 3 … in the order printed on it; return the item ids in that order."""
    page.goto(f"{base}{assembly_url}/sheets/enter")
    page.fill("#sheet", code)
    page.click("main button[type=submit]")
    page.locator("input.rank-box").first.wait_for()  # the sheet's page, loaded (the click only waits for its start)
    order = [name.removeprefix("rank_") for name in
             page.locator("input.rank-box").evaluate_all("els => els.map(e => e.name)")]
    positions = list(range(1, len(order) + 1))
    if swap:
        positions[0], positions[1] = 2, 1
    for item, position in zip(order, positions, strict=True):
        page.fill(f"#rank_{item}", str(position))
    page.check(f"input[name=support_{order[0]}]")
    page.click("main button.primary")
    return order


def test_an_officer_records_an_assembly_and_its_paper_ballots_are_typed_twice(hall, new_page, journey):
    base, logins, consultation_id = hall["base"], hall["logins"], hall["consultation_id"]
    member = new_page(PHONE)
    log_in(member, base, logins["member"])
    member.goto(f"{base}/account/profile")
    member_name = member.input_value("#display_name")

    officer = new_page(PHONE, java_script_enabled=False)
    log_in(officer, base, logins["officer"])
    officer.goto(f"{base}/consultations/{consultation_id}")
    officer.click("main a:has-text('Asambleas de club')")
    journey.shot(officer, "asambleas")
    officer.click("main a:has-text('Registrar una asamblea')")
    officer.fill("#held_on", time.strftime("%Y-%m-%d"))
    officer.fill("#place", "")
    officer.fill("#members_present", "14")
    officer.fill("#minutes", "Asamblea de votación del club. Votaron en papel quienes no usan el teléfono.")
    officer.click("main button.primary")
    assert "Indica dónde se celebró la asamblea." in officer.inner_text("main")  # a clear message, nothing lost
    assert officer.input_value("#minutes").startswith("Asamblea de votación")
    journey.shot(officer, "registro-con-error")
    officer.fill("#place", "Salón parroquial de San Juan")
    officer.click("main button.primary")
    assert "La asamblea quedó registrada" in _flash(officer)
    assert "esperando la segunda firma" in officer.inner_text("main")
    assert _fits(officer), "the assembly page scrolls sideways on a 360 px phone"
    assembly_url = re.search(r"(/assemblies/\d+)", officer.url).group(1)
    journey.shot(officer, "asamblea-registrada")

    board = new_page(DESKTOP)
    log_in(board, base, logins["board"], language="English")
    board.goto(base + assembly_url)
    journey.shot(board, "assembly-to-cosign")
    board.click("main button:has-text('Co-sign this record')")
    assert "You co-signed the record." in _flash(board)

    officer.goto(f"{base}{assembly_url}/sheets/print")
    officer.fill("#sheets", str(SHEETS))
    officer.select_option("#language", "es")
    journey.shot(officer, "imprimir")
    officer.click("main button.primary")
    assert officer.locator(".paper-sheet").count() == SHEETS
    codes = officer.locator(".paper-sheet .sheet-code").all_inner_texts()
    assert len(set(codes)) == SHEETS and "Boleta en papel" in officer.inner_text("main")
    journey.shot(officer, "boletas-pantalla", check_accessibility=False)
    officer.emulate_media(media="print")
    journey.shot(officer, "boletas-impresas", check_accessibility=False)
    officer.emulate_media(media="screen")

    officer.goto(f"{base}{assembly_url}/roll")
    boxes = officer.locator("input[name=member]")
    officer.check(f"label:has-text('{member_name}') input[name=member]")
    for index in range(boxes.count()):
        if sum(1 for box in boxes.all() if box.is_checked()) >= SHEETS:
            break
        boxes.nth(index).check()
    assert _fits(officer), "the voter roll scrolls sideways on a 360 px phone"
    journey.shot(officer, "lista-de-votantes")
    officer.click("main button.primary")
    assert "Personas marcadas como votantes en papel" in _flash(officer) and member_name in _flash(officer)
    journey.shot(officer, "lista-marcada")

    for code in codes:
        _type_sheet(officer, base, assembly_url, code)
        assert "Otra persona dirigente debe capturarla también" in _flash(officer)
    journey.shot(officer, "captura-hoja")
    assert _fits(officer), "typing a sheet scrolls sideways on a 360 px phone"

    for number, code in enumerate(codes):
        order = _type_sheet(board, base, assembly_url, code, swap=number == 1)
        if number == 0:
            journey.shot(board, "second-entry-agrees")
        if number == 1:
            assert "the two entries disagree" in _flash(board)
            swapped = order
        else:
            assert "both entries agree" in _flash(board)
    board.goto(base + assembly_url)
    conflict = board.locator(".sheet-conflict")
    assert conflict.count() == 1
    journey.shot(board, "entries-side-by-side")
    assert conflict.locator("tbody tr.differs").count() == 2  # the two items whose positions were swapped
    # the paper says 1 for the first item printed on the sheet: keep the entry that says so
    cells = conflict.locator(f"tbody tr[data-item='{swapped[0]}'] td").all_inner_texts()
    keep = next(index for index, text in enumerate(cells) if "position 1" in text)
    conflict.locator("button").nth(keep).click()
    assert "The disagreement is resolved" in _flash(board)
    assert f"Paper ballots entered and agreed: {SHEETS}" in board.inner_text("main")
    journey.shot(board, "all-sheets-agreed")

    member.goto(f"{base}/consultations/{consultation_id}/ballot")
    assert "Votaste en papel en la asamblea de tu club" in _flash(member)
    journey.shot(member, "votante-en-papel")


def test_the_demo_assemblys_paper_ballots_are_labelled_on_the_published_agenda(hall, new_page, journey):
    result = run_deliberate("demo-cycle", env=hall["env"])
    published = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    path = f"/agendas/{published['agenda_id']}"
    phone = new_page(PHONE)
    phone.goto(hall["base"] + path)
    text = phone.inner_text("main")
    assert "Boletas emitidas por internet y en papel, por club" in text
    assert re.search(r"por internet: \d+ · en papel: 12", text)
    assert "SHA-256 del acta" in text and "Asambleas de club" in text
    assert _fits(phone), "the published agenda scrolls sideways on a 360 px phone"
    phone.locator("#club-assemblies").scroll_into_view_if_needed()
    journey.shot(phone, "agenda-con-papel")
    desktop = new_page(DESKTOP)
    desktop.goto(hall["base"] + path)
    assert re.search(r"online: \d+ · on paper: 12", desktop.inner_text("main"))
    journey.shot(desktop, "agenda-with-paper-ballots")
    consultation_id = desktop.request.get(hall["base"] + path + ".json").json()["consultation"]["id"]  # a download
    desktop.goto(f"{hall['base']}/consultations/{consultation_id}/results")
    assert re.search(r"online: \d+ · on paper: 12", desktop.inner_text("main"))
    journey.shot(desktop, "results-with-paper-ballots")
    assert run_deliberate("verify-agenda", str(published["agenda_id"]), env=hall["env"]).returncode == 0

