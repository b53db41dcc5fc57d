"""The secrecy attacks of tests/test_ballot_secrecy.py, run on paper ballots typed at a club assembly.

An attacker here has the database (and a pg_dump of it) but not the ballot key, and knows who was marked as voting
on paper, which officer typed which sheet and in which order. The attacks: join a paper ballot to a mark or to an
officer through the transaction that wrote them; read a typed entry or a sealed paper ballot; find a moment in a
column; read the order in which sheets were typed in the counted ballots' physical order, keys or dump.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from datetime import date
from itertools import permutations
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from deliberate.assemblies import services
from deliberate.ballots import sealing
from deliberate.ballots import services as ballots
from deliberate.consultations.services import advance_phase
from deliberate.domain import assembly as engine
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Assembly, Consultation, OrganizationKind, Role, User
from tests.factories import agenda_items

ITEMS = 5
PAPER = 20  # enough sheets for an order to show: Spearman's rho of two unrelated orders of 20 has sd 0.23
ONLINE = 8
#: |rho| >= 0.6 between unrelated orders of 20 happens about 1% of the time; a second vote is tried when a first
#: mix looks ordered by chance. A mix that kept the order of typing gives |rho| = 1.
RHO_BOUND = 0.6
DATE_TYPES = ("date", "time", "interval")


@pytest.fixture
def postgres(app: Flask) -> Flask:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: set DELIBERATE_TEST_DATABASE_URL")
    return app


@pytest.fixture
def hall(app, create_user, create_organization, add_member) -> dict:
    """A federation with one club of 28 members (two officers) and a board member."""
    federation = create_organization("Federación del Salón")
    club = create_organization("Club del Salón", kind=OrganizationKind.CLUB, parent=federation)
    officers = [create_user("Officer A"), create_user("Officer B")]
    for officer in officers:
        add_member(officer, club, Role.OFFICER)
    board = create_user("Board")
    add_member(board, federation, Role.BOARD)
    members = [create_user(f"Member {n:02d}") for n in range(PAPER + ONLINE)]
    for user in members:
        add_member(user, club)
    return {"federation": federation, "club": club, "officers": officers, "board": board, "members": members}


def _rows(app: Flask, sql: str, **params) -> list:
    with app.app_context():
        return list(db.session.execute(text(sql), params))


def _assembly_vote(app: Flask, hall: dict, seed: int) -> tuple[int, list[str], dict[str, list[list[int]]]]:
    """Open a vote; 20 members vote on paper at an assembly (typed twice, sheet after sheet), 8 online.

    Return the consultation, the sheet codes in the order typed, and each sheet's ranking."""
    rng = random.Random(seed)
    with app.app_context():
        consultation = Consultation(federation_id=hall["federation"].id, title_es="Consulta", title_en="Vote",
                                    phase=Phase.VOTING)
        db.session.add(consultation)
        db.session.flush()
        items = [item.id for item in agenda_items(consultation.id, [f"Punto {n}" for n in range(ITEMS)])]
        db.session.commit()
        officer, second = (db.session.get(User, user.id) for user in hall["officers"])
        assembly = services.record_assembly(consultation, db.session.get(type(hall["club"]), hall["club"].id),
                                            officer, services.AssemblyInput(date(2026, 11, 28), "Salón", 30, "Acta"))
        services.cosign_assembly(assembly, second)
        paper = hall["members"][:PAPER]
        services.mark_paper_voters(assembly, officer, [user.id for user in paper])
        rankings = rng.sample(list(permutations(items)), PAPER + ONLINE)
        codes, sheets = [], {}
        for ranking in rankings[:PAPER]:
            code = engine.new_sheet_code()
            sheets[code] = [[item] for item in ranking]
            codes.append(code)
            for who in (officer, second):
                services.enter_sheet(db.session.get(Assembly, assembly.id), who, code, sheets[code], [ranking[0]])
        for user, ranking in zip(hall["members"][PAPER:], rankings[PAPER:], strict=True):
            ballots.cast_ballot(consultation, db.session.get(User, user.id), [[item] for item in ranking], [])
        return consultation.id, codes, sheets


def _close(app: Flask, hall: dict, consultation_id: int) -> None:
    with app.app_context():
        advance_phase(db.session.get(Consultation, consultation_id), db.session.get(User, hall["board"].id),
                      Phase.VOTING, Phase.TALLIED)


def _spearman(first: list, second: list) -> float:
    n = len(first)
    assert sorted(first) == sorted(second) and n > 2
    where = {thing: position for position, thing in enumerate(second)}
    squares = sum((position - where[thing]) ** 2 for position, thing in enumerate(first))
    return 1 - 6 * squares / (n * (n * n - 1))


@pytest.mark.postgres
def test_while_voting_a_paper_ballot_links_to_no_mark_and_no_officer_and_nobody_reads_it(postgres, hall, make_app):
    app = postgres
    consultation_id, codes, sheets = _assembly_vote(app, hall, seed=1)
    # the marks of the roll were written by one transaction, the paper ballots by others: no join on xmin
    joined = _rows(app, """SELECT count(*) FROM ballot_cast c JOIN sealed_ballot s ON s.xmin = c.xmin
                           WHERE c.assembly_id IS NOT NULL AND s.consultation_id = :c""", c=consultation_id)
    assert joined == [(0,)]
    # the typed entries are gone once both typings agreed: nothing says which officer typed which ballot
    assert _rows(app, "SELECT count(*) FROM paper_entry") == [(0,)]
    sealed = [bytes(row) for (row,) in _rows(app, "SELECT sealed FROM sealed_ballot WHERE consultation_id = :c",
                                             c=consultation_id)]
    assert len(sealed) == PAPER + ONLINE and len({len(row) for row in sealed}) == 1  # paper looks like online
    for row in sealed:
        for code in codes:
            assert code.encode() not in row and ballots.hash_receipt(code).encode() not in row
        assert b'"paper"' not in row and b"true" not in row
    intruder = make_app(SECRET_KEY="not-the-ballot-key")
    with intruder.app_context():
        for row in sealed:
            with pytest.raises(sealing.SealBroken):
                sealing.open_sealed(consultation_id, row)
    with app.app_context():
        opened = [sealing.open_sealed(consultation_id, row) for row in sealed]
    assert sorted(content.receipt_hash for content in opened if content.paper) == sorted(
        ballots.hash_receipt(code) for code in codes)
    assert {content.gender for content in opened if content.paper} == {None}
    typed = _rows(app, """
        SELECT table_name, column_name, data_type, coalesce(column_default, '') FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ('paper_entry', 'sealed_ballot', 'ballot')""")
    for table, column, data_type, default in typed:
        assert not any(kind in data_type for kind in DATE_TYPES), (table, column, data_type)
        assert "now" not in default.lower() and "current_" not in default.lower(), (table, column)
    entry_columns = {column for table, column, *_ in typed if table == "paper_entry"}
    assert entry_columns == {"id", "assembly_id", "sheet_tag", "officer_id", "sealed"}


@pytest.mark.postgres
def test_a_typed_entry_holds_neither_its_sheet_code_nor_its_ballot_in_the_clear(postgres, hall):
    app = postgres
    with app.app_context():
        consultation = Consultation(federation_id=hall["federation"].id, title_es="C", title_en="C",
                                    phase=Phase.VOTING)
        db.session.add(consultation)
        db.session.flush()
        items = [item.id for item in agenda_items(consultation.id, [f"Punto {n}" for n in range(ITEMS)])]
        db.session.commit()
        officer, second = (db.session.get(User, user.id) for user in hall["officers"])
        assembly = services.record_assembly(consultation, db.session.get(type(hall["club"]), hall["club"].id),
                                            officer, services.AssemblyInput(date(2026, 11, 28), "Salón", 30, "Acta"))
        services.cosign_assembly(assembly, second)
        services.mark_paper_voters(assembly, officer, [hall["members"][0].id])
        code = engine.new_sheet_code()
        services.enter_sheet(assembly, officer, code, [[items[3]], [items[1]]], [items[3]])
        consultation_id = consultation.id
    (tag, sealed), = _rows(app, "SELECT sheet_tag, sealed FROM paper_entry")
    sealed = bytes(sealed)
    assert code not in tag and tag != ballots.hash_receipt(code)
    for clear in (code.encode(), b'"ranking"', b'"sheet"', f"[{items[3]}]".encode()):
        assert clear not in sealed
    with app.app_context():
        assert sealing.open_entry(consultation_id, sealed) == (code, [[items[3]], [items[1]]], [items[3]])


def _dumped_rankings(app: Flask, consultation_id: int, dump: Path) -> list[list[list[int]]]:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run([pg_dump, "--data-only", "-t", "ballot", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                    "-U", url.username or "postgres", "-f", str(dump), url.database],
                   env=env, check=True, capture_output=True, timeout=30)
    rows = []
    lines = iter(dump.read_text().splitlines())
    for line in lines:
        copy = re.match(r"COPY public\.ballot \((.*)\) FROM stdin;$", line)
        if copy:
            columns = [name.strip().strip('"') for name in copy[1].split(",")]
            rows = [dict(zip(columns, row.split("\t"), strict=True)) for row in iter(lines.__next__, "\\.")]
    return [json.loads(row["ranking"]) for row in rows if row["consultation_id"] == str(consultation_id)
            and row["channel"] == "paper"]


@pytest.mark.postgres
def test_the_counted_paper_ballots_do_not_keep_the_order_in_which_the_sheets_were_typed(postgres, hall, tmp_path):
    app = postgres
    tried = []
    for attempt in range(2):
        consultation_id, codes, sheets = _assembly_vote(app, hall, seed=7 + attempt)
        _close(app, hall, consultation_id)
        # every counted ballot was written by the one transaction of the close
        assert _rows(app, "SELECT count(DISTINCT xmin::text) FROM ballot WHERE consultation_id = :c",
                     c=consultation_id) == [(1,)]
        typed = [json.dumps(sheets[code]) for code in codes]
        orders = {name: [json.dumps(ranking) for (ranking,) in _rows(app, sql, c=consultation_id)] for name, sql in (
            ("ctid", "SELECT ranking FROM ballot WHERE consultation_id = :c AND channel = 'paper' ORDER BY ctid"),
            ("id", "SELECT ranking FROM ballot WHERE consultation_id = :c AND channel = 'paper' ORDER BY id"),
            ("receipt", "SELECT ranking FROM ballot WHERE consultation_id = :c AND channel = 'paper' "
                        "ORDER BY receipt_hash"))}
        orders["pg_dump"] = [json.dumps(ranking) for ranking in
                             _dumped_rankings(app, consultation_id, tmp_path / f"dump-{attempt}.sql")]
        for order in orders.values():
            assert order != typed and order != typed[::-1]
        rhos = {name: _spearman(typed, order) for name, order in orders.items()}
        tried.append(rhos)
        if all(abs(rho) < RHO_BOUND for rho in rhos.values()):
            break
    else:
        pytest.fail(f"the counted paper ballots keep the order of typing (Spearman's rho, two votes): {tried}")
    columns = {name for (name,) in _rows(app, """SELECT column_name FROM information_schema.columns
                                               WHERE table_schema = current_schema() AND table_name = 'ballot'""")}
    assert columns == {"id", "consultation_id", "group", "ranking", "approved", "receipt_hash", "channel"}
    assert _rows(app, "SELECT count(*) FROM paper_entry") == [(0,)]
    with app.app_context():
        assert services.paper_voters(db.session.scalar(select(Assembly).order_by(Assembly.id.desc()))) == PAPER
