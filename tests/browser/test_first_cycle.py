"""A federation's first real cycle on a fresh installation, without the demo, as its people would live it.

A site administrator sets up the federation and names its board; the board member accepts the emailed invitation,
imports three clubs and thirty members from the federation's roster, and opens a consultation. Members register
from their invitations, submit demands and react; the board cannot send an empty ballot, groups the demands into
items, moves on to deliberation and steps back with a reason; members vote, and everyone is told what to do now.
Every message goes through a real SMTP conversation to a sink the test reads. Spanish on a phone, English on a
desktop at the end.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from tests.browser.pages import DESKTOP, PHONE, run_deliberate, running_site

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@federacion.example.org", "cielo de zacatecas 1"
BOARD_EMAIL, PASSWORD = "mesa@federacion.example.org", "nopal y tuna 2027"
CLUBS = ("Club Social Jerez", "Club Tlaltenango Unido", "Club Nochistlán")


class _Sink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address):
        super().__init__(address, _SmtpHandler)
        self.messages: list[email.message.EmailMessage] = []


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Speak just enough SMTP for smtplib: greet, accept any sender and recipient, keep the message."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.messages.append(email.message_from_bytes(data, policy=email.policy.default))
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture(scope="module")
def fresh_site(tmp_path_factory) -> Iterator[tuple[str, _Sink]]:
    """Serve a fresh installation (migrated, one site administrator, no demo) whose mail reaches a sink."""
    sink = _Sink(("127.0.0.1", 0))
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    instance = tmp_path_factory.mktemp("fresh-instance")
    env = {**os.environ, "DELIBERATE_INSTANCE_PATH": str(instance),
           "DELIBERATE_DATABASE_URL": f"sqlite:///{instance / 'fresh.sqlite3'}",
           "DELIBERATE_SECRET_KEY": "fresh-site-secret-key-0123456789abcdef", "DELIBERATE_SECURE_COOKIES": "0",
           "DELIBERATE_MAIL_SERVER": "127.0.0.1", "DELIBERATE_MAIL_PORT": str(sink.server_address[1]),
           "DELIBERATE_MAIL_USE_TLS": "0", "PYTHONWARNINGS": "ignore",
           "DELIBERATE_OPINION_DEBOUNCE_SECONDS": "1"}
    env.pop("DELIBERATE_TEST_DATABASE_URL", None)
    run_deliberate("db", "upgrade", env=env)
    run_deliberate("create-admin", ADMIN_EMAIL, "--name", "Admin del sitio", "--password", ADMIN_PASSWORD, env=env)
    with running_site(env, instance) as base:  # mail and the opinion map are jobs, run beside the site
        yield base, sink
    sink.shutdown()
    sink.server_close()


def mail_to(sink: _Sink, address: str, *, containing: str = "", timeout: float = 60) -> str:
    """Wait for the newest message to an address (with a word in it) and return its text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(sink.messages):
            body = message.get_content()
            if message["To"] == address and containing in body:
                return body
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address} containing {containing!r}")


def link_in(body: str, base: str) -> str:
    return re.search(re.escape(base) + r"/\S+", body).group(0)


def flash(page) -> str:
    page.wait_for_load_state()
    page.locator(".flash").first.wait_for(timeout=15_000)
    return " ".join(page.locator(".flash").all_inner_texts())


def log_in(page, base: str, address: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/account/login")
    page.fill("#email", address)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def register_from_invitation(page, base: str, sink: _Sink, address: str, name: str) -> None:
    """Open the emailed invitation, create the account, confirm it from the second mail, accept the invitation."""
    page.goto(link_in(mail_to(sink, address, containing="/invitations/"), base))
    page.click("main a.button.primary")  # create an account (the invitation page sends them back after)
    page.fill("#display_name", name)
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(link_in(mail_to(sink, address, containing="/account/confirm/"), base))
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.click("main button.primary")  # back on the invitation: accept it
    page.wait_for_load_state()


def roster() -> str:
    lines = ["club;nombre;correo;cargo;idioma"]
    for n in range(30):
        role = "presidenta" if n % 10 == 0 else "socio"
        lines.append(f"{CLUBS[n % 3]};Integrante {n:02d};persona{n:02d}@example.org;{role};{'en' if n == 4 else 'es'}")
    return "\n".join(lines) + "\n"


def test_a_federations_first_cycle_on_a_fresh_installation(fresh_site, new_page, journey, tmp_path):
    base, sink = fresh_site

    # --- The site administrator finds a first-run page and sets up the federation with its board.
    admin = new_page(PHONE)
    log_in(admin, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.goto(base + "/")
    assert "Configura la primera federación" in admin.inner_text("main")
    journey.shot(admin, "primer-arranque")
    admin.click("main a:has-text('Configura la primera federación')")
    admin.fill("#name", "Federación Zacatecana del Medio Oeste")
    admin.select_option("#time_zone", "America/Chicago")
    admin.fill("#board", BOARD_EMAIL)
    journey.shot(admin, "crear-federacion")
    admin.click("main button[type=submit]")
    assert "invitación" in flash(admin)

    # --- The board member accepts the invitation and imports the roster.
    board = new_page(PHONE)
    register_from_invitation(board, base, sink, BOARD_EMAIL, "Guadalupe Mesa")
    assert "Federación Zacatecana del Medio Oeste" in board.inner_text("main")
    board.click("main a:has-text('Administrar la federación')")
    path = tmp_path / "padron.csv"
    path.write_text(roster(), encoding="utf-8")
    board.set_input_files("#roster", str(path))
    board.click("main button:has-text('Ver qué hará la importación')")
    preview = board.inner_text("main")
    assert "Se crearán 3 clubes" in preview and "Se enviarán 30 invitaciones" in preview
    journey.shot(board, "padron-vista-previa")
    board.click("main button:has-text('Importar y enviar las invitaciones')")
    assert "30 invitaciones" in flash(board)
    assert "Hello Integrante 04" in mail_to(sink, "persona04@example.org")  # in the language of the roster

    # --- The board opens a consultation; members register from their invitations and take part.
    board.goto(base + "/")
    board.click("main a:has-text('Federación Zacatecana del Medio Oeste')")
    board.click("main a:has-text('Nueva consulta')")
    board.fill("#title_es", "Agenda binacional 2027")
    board.fill("#title_en", "Binational agenda 2027")
    board.click("main button[type=submit]")
    board.wait_for_load_state()
    consultation_url = board.url
    move_on(board, journey, consultation_url, "recoleccion")

    members = []
    for n in range(6):
        page = new_page(PHONE) if n < 2 else new_page(PHONE, java_script_enabled=False)
        register_from_invitation(page, base, sink, f"persona{n:02d}@example.org", f"Integrante {n:02d}")
        members.append(page)
    first = members[0]
    first.goto(base + "/")
    assert "Envía las demandas de tu club" in first.inner_text("main")
    journey.shot(first, "que-hacer-ahora")
    for page, (title, body) in zip(members[:3], (
            ("Agua potable para Jerez", "Una red de agua potable para las comunidades de Jerez."),
            ("Becas para estudiantes de Tlaltenango", "Becas para que los jóvenes sigan estudiando."),
            ("Clínica móvil en Nochistlán", "Una unidad médica que visite cada mes Nochistlán.")), strict=True):
        page.goto(base + "/")
        page.click("main a:has-text('Envía las demandas de tu club')")
        page.fill("#title", title)
        page.fill("#body", body)
        page.select_option("#category_id", index=1)
        page.click("main button.primary:has-text('Enviar demanda')")
        page.wait_for_load_state()
        assert "/demands/new" not in page.url, page.inner_text("main")[:1500]
    journey.shot(members[2], "demanda-enviada")
    members[3].goto(base + "/")
    assert "esperan tu reacción" in members[3].inner_text("main")
    members[3].click("main a:has-text('esperan tu reacción')")
    members[3].click("main button:has-text('De acuerdo')")
    move_on(board, journey, consultation_url, "consolidacion")

    # --- The board cannot send an empty ballot: it groups the demands first, moves on, then steps back.
    board.goto(consultation_url)
    board.click("main a:has-text('Pasar a la siguiente fase')")
    assert "Todavía no se puede avanzar" in board.inner_text("main")
    assert board.locator("main form button.primary").count() == 0
    journey.shot(board, "boleta-vacia-bloqueada")
    board.goto(consultation_url)
    board.click("main a:has-text('Espacio de consolidación')")
    board.click("main button:has-text('Actualizar sugerencias')")
    # the suggestions are a job: its page shows how far it has come, then links back to the workspace
    board.wait_for_selector("main a:has-text('Ver el resultado')", timeout=120_000)
    board.click("main a:has-text('Ver el resultado')")
    while board.locator("form[id^=accept-]").count():
        group = board.locator("article.cons-cluster").first
        for box in group.locator("input[name=demand_ids]").all():
            box.check()
        group.locator("details.cons-accept > summary").click()
        group.locator("button:has-text('Crear el punto de agenda')").click()
        board.wait_for_load_state()
    journey.shot(board, "consolidacion-lista")
    move_on(board, journey, consultation_url, "deliberacion")
    board.goto(consultation_url)
    board.click("main a:has-text('Regresar una fase')")
    board.fill("#reason", "Falta integrar la demanda del Club Nochistlán.")
    journey.shot(board, "regresar-una-fase")
    board.click("main button.primary")
    assert "regresó a la fase" in flash(board)
    assert "Falta integrar" in mail_to(sink, "persona01@example.org", containing="regresó")
    move_on(board, journey, consultation_url, "deliberacion-otra-vez")
    move_on(board, journey, consultation_url, "votacion")

    # --- Members vote (without JavaScript too); their task disappears once they have.
    for n, page in enumerate(members[:5]):
        page.goto(base + "/")
        vote = "Vote in" if n == 4 else "Vota en"  # the roster writes to person 04 in English
        page.click(f"main .tasks a:has-text('{vote}')")
        ids = page.locator("#ballot-list .ballot-item").evaluate_all("els => els.map(e => e.dataset.item)")
        for position, item in enumerate(ids, start=1):
            page.select_option(f"#rank_{item}", str(position))
        page.click("main form button.primary")
        page.click("#cast-form button.primary")
        assert page.locator("#receipt-code").count() == 1
    members[0].goto(base + "/")
    assert "Vota en" not in members[0].inner_text("main")
    members[5].goto(base + "/")
    assert "Vota en «Agenda binacional 2027»" in members[5].inner_text("main")
    journey.shot(members[5], "falta-votar")

    # --- The same home page in English on a desktop, for the member the roster writes to in English.
    desk = new_page(DESKTOP)
    log_in(desk, base, "persona04@example.org")
    desk.goto(base + "/")
    assert "Your pending tasks" in desk.inner_text("main") or "Nothing waits for you" in desk.inner_text("main")
    journey.shot(desk, "home-in-english")


def move_on(board, journey, consultation_url: str, label: str) -> None:
    """Move the consultation one phase forward through the confirmation page, ticking what deserves a look."""
    board.goto(consultation_url)
    board.click("main a:has-text('Pasar a la siguiente fase')")
    journey.shot(board, f"junta-avanza-{label}")
    if board.locator("input[name=confirm]").count():
        board.check("input[name=confirm]")
    board.click("main form button.primary")
    board.wait_for_load_state()
