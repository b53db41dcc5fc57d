"""The audit log's detail lines: facts written without a language, told in the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberate import audit
from deliberate.audit import sentences
from deliberate.extensions import db
from deliberate.models import AuditEntry
from tests.factories import demo_consultation_in_voting

OLDER = [  # (action, detail as written before facts, the English line, the Spanish line)
    ("consultation.phase", "collecting -> consolidating", "From “Collecting demands” to “Consolidating”.",
     "De «Recogiendo demandas» a «Consolidando»."),
    ("consultation.tally", "12 ballots, sha256 abc123", "12 ballots counted; SHA-256 of the inputs: abc123",
     "12 boletas contadas; SHA-256 de los datos: abc123"),
    ("agenda.publish", "version 2, sha256 abc123", "Version 2; SHA-256: abc123", "Versión 2; SHA-256: abc123"),
    ("invitation.create", "officer x5", "Role: Officer; usable 5 times.", "Cargo: Dirigente; se puede usar 5 veces."),
    ("federation.appoint", "none", "No longer on the board.", "Ya no forma parte de la mesa directiva."),
    ("opinion.recompute", "1", "From 1 reaction.", "A partir de 1 reacción."),
    ("demand.edit", "version 3", "Version 3", "Versión 3"),
    ("category.rename", "Salud / Health", "Before: Salud / Health", "Antes: Salud / Health"),
    ("demand.keep", '{"reports": 2}', "2 reports closed.", "2 reportes cerrados."),
    ("consultation.settings", "voting_method=schulze, weighting_cap=None, voters_threshold=0.5, agenda_size=10",
     "Settings saved: Voting method: Schulze (recommended); Majority of voters needed (%): 50%; Agenda size: 10",
     "Configuración guardada: Método de votación: Schulze (recomendado); Mayoría de votantes necesaria (%): 50%; "
     "Tamaño de la agenda: 10"),
]


NEWER = [  # (action, facts as services write them, the English line, the Spanish line)
    ("programme.status", {"programme": 4, "from": "planned", "to": "dropped", "reason": "Sin terreno"},
     "From “Planned” to “Dropped”. Reason: Sin terreno", "De «Planeado» a «Abandonado». Motivo: Sin terreno"),
    ("programme.received", {"programme": 4, "funding": 2, "currency": "USD", "committed_cents": 500_000,
                            "received_cents": 125_050},
     "Share #2: $1,250.50 received of $5,000.00 committed.",
     "Aportación #2: USD1,250.50 recibido de USD5,000.00 comprometido."),
    ("programme.tick", {"programme": 4, "milestone": 7, "done": False}, "Milestone #7 not done after all.",
     "Meta #7 marcada de nuevo como pendiente."),
    ("programme.update", {"programme": 4, "update": 9, "happened_on": "2027-03-05"}, "Update of Mar 5, 2027.",
     "Avance del 5 mar 2027."),
    ("consolidation.merge", {"consultation": 3, "source": 4, "target": 5, "demands": [9]},
     "Item #4 merged into item #5, moving demand #9.",
     "Punto #4 fusionado con el punto #5; se movió la demanda #9."),
    ("consolidation.merge", {"consultation": 3, "source": 4, "target": 5, "demands": []},
     "Item #4 merged into item #5, which had no demands to move.",
     "Punto #4 fusionado con el punto #5, que no tenía demandas que mover."),
    ("consolidation.split", {"consultation": 3, "demands": [7, 8], "source": 4, "item": 6},
     "Demands #7, #8 split out of item #4 into the new item #6.",
     "Demandas #7, #8 separadas del punto #4 en el nuevo punto #6."),
    ("consolidation.move", {"consultation": 3, "demand": 7, "from_item": None, "to_item": 6},
     "Demand #7 moved to item #6 (it had no item).", "Demanda #7 movida al punto #6 (no tenía punto)."),
    ("consolidation.window", {"consultation": 3, "days": 1}, "Objection window set to 1 day.",
     "Plazo para objetar: 1 día."),
    ("consolidation.answer", {"consultation": 3, "demand": 7, "objection": 2},
     "Objection #2 to demand #7 answered.", "Objeción #2 a la demanda #7 respondida."),
    ("invitation.create", {"role": "member", "max_uses": 1}, "Role: Member; usable once.",
     "Cargo: Integrante; se puede usar una vez."),
    ("demand.unhide", {"previous_reason": "Insulto"}, "It had been hidden for this reason: Insulto",
     "Se había ocultado por este motivo: Insulto"),
    ("federation.time_zone", {"from": "UTC", "to": "America/Los_Angeles"},
     "From Coordinated Universal Time (UTC) to Pacific (Los Angeles).",
     "De Tiempo universal coordinado (UTC) a Pacífico (Los Ángeles)."),
    ("consultation.settings", {"settings": {"club_weighting": "capped", "weighting_cap": 50, "club_mode": "bloc",
                                            "selection": "equal-shares", "women_slot": "enforce",
                                            "clubs_threshold": 0.6, "retired_setting": "x"}},
     "Settings saved: How much each club weighs: By members, with a cap; Cap (members): 50; How a club's votes "
     "count: Bloc; How the agenda is chosen: Method of Equal Shares (proportional); Women's priority slot: Required "
     "to publish; Majority of clubs needed (%): 60%; retired_setting=x",
     "Configuración guardada: Cuánto pesa cada club: Por socios, con un tope; Tope (socios): 50; Cómo cuentan los "
     "votos de un club: En bloque; Cómo se elige la agenda: Método de partes iguales (proporcional); Lugar "
     "prioritario de las mujeres: Obligatorio para publicar; Mayoría de clubes necesaria (%): 60%; "
     "retired_setting=x"),
]


@pytest.mark.parametrize(("action", "facts", "english", "spanish"), NEWER)
def test_facts_are_told_in_both_languages(app, action, facts, english, spanish):
    with app.app_context():
        audit.record(None, None, action, facts=facts)
        (entry,) = db.session.new  # recorded, not committed: the detail is what services store
    assert _told(app, entry, "en") == sentences.Detail(english)
    assert _told(app, entry, "es") == sentences.Detail(spanish)


def _told(app, entry: AuditEntry, language: str) -> sentences.Detail:
    with app.test_request_context(headers={"Accept-Language": language}):
        return sentences.describe(entry)


@pytest.mark.parametrize(("action", "detail", "english", "spanish"), OLDER)
def test_older_entries_are_read_back_and_told_in_both_languages(app, action, detail, english, spanish):
    entry = AuditEntry(action=action, subject="", detail=detail)
    assert _told(app, entry, "en") == sentences.Detail(english)
    assert _told(app, entry, "es") == sentences.Detail(spanish)


def test_an_older_consolidation_sentence_is_shown_marked_as_english(app):
    entry = AuditEntry(action="consolidation.merge", detail="consultation 3: item #4 merged into item #5, moving #9")
    assert _told(app, entry, "es") == sentences.Detail("item #4 merged into item #5, moving #9", "en")


def test_a_bare_value_of_an_unknown_action_is_shown_as_it_is(app):
    entry = AuditEntry(action="demand.submit", subject="demand:12", detail="Pavimentar la calle")
    assert _told(app, entry, "en") == sentences.Detail("Pavimentar la calle")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert sentences.describe_subject(entry) == "Demanda #12"


def test_every_entry_of_a_cycle_is_told_in_each_language_without_raw_facts(app):
    with app.app_context():
        demo_consultation_in_voting()
        entries = db.session.scalars(select(AuditEntry)).all()
        actions = {entry.action for entry in entries}
        assert {"consultation.phase", "consolidation.suggest", "consolidation.accept"} <= actions
        for entry in entries:
            for language in ("en", "es"):
                detail = _told(app, entry, language)
                assert detail.lang is None, (entry.action, entry.detail)
                if entry.action in sentences._SENTENCES:
                    assert not detail.text.startswith("{"), (entry.action, detail.text)


def test_a_refused_action_is_written_to_the_audit_log_without_naming_a_member(app, client, federation_world,
                                                                             log_in):
    from deliberate.domain.phases import Phase
    from deliberate.models import AuditEntry, Consultation

    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Consulta",
                                    title_en="Consultation", phase=Phase.CONSOLIDATING)
        db.session.add(consultation)
        db.session.commit()
        consultation_id = consultation.id
    log_in(client, federation_world["member"])
    page = client.post(f"/consultations/{consultation_id}/demands/new",
                       data={"title": "Agua potable", "body": "Agua para el pueblo", "category_id": "0",
                             "target": "municipality", "language": "es"})
    assert page.status_code in (409, 422)
    board = client.application.test_client()
    log_in(board, federation_world["board"])
    stale = board.post(f"/consultations/{consultation_id}/step-back", data={"expected": "voting", "reason": "x"})
    assert stale.status_code == 409
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "request.refused")
                                     .order_by(AuditEntry.id)).all()
        assert [entry.actor_id for entry in entries][-1] == federation_world["board"].id
        assert all(entry.actor_id != federation_world["member"].id for entry in entries)
    log = board.get(f"/o/{federation_world['federation'].slug}/manage").get_data(as_text=True)
    assert "Action refused" in log and "Refused: not possible in the current state (stale)." in log
