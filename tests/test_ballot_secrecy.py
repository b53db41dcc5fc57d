"""Ballot secrecy attacked from the database: what someone who can read every table (or a dump of them) learns.

While voting is open a cast and its sealed ballot are written in one transaction, so PostgreSQL's system columns
link them; what must hold is that the sealed ballot cannot be read without the ballot key. Once voting closes, no
join, no physical order and no dump may link a cast (a person) to a counted ballot better than chance, and no
counted group may hold fewer than five ballots. A voter's receipt works only for that voter, and a worker killed
in the middle of a cast leaves neither half of it behind.

The PostgreSQL tests run when DELIBERATE_TEST_DATABASE_URL selects PostgreSQL (as the CI's second run does) and are
skipped on SQLite. Every voter ranks the items in an order of their own, so a counted ballot's ranking names its
caster: the test knows the truth that an attacker tries to recover.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from deliberate.ballots import sealing, services
from deliberate.consultations.services import advance_phase
from deliberate.domain import privacy
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Ballot, BallotCast, Consultation, OrganizationKind, Role, SealedBallot, User
from tests.factories import PASSWORD, agenda_items, login

ROOT = Path(__file__).resolve().parents[1]
ITEMS = 5  # 120 strict rankings: enough for every voter to have one of their own
#: Voters per club: the two smallest clubs (two voters and one) are pooled, and the pool takes in the five-voter
#: club to reach five: groups A, B and C+D+E.
CLUB_SIZES = {"a": 14, "b": 8, "c": 5, "d": 2, "e": 1}
GENDERS = (Gender.WOMAN, Gender.MAN, None, Gender.NON_BINARY, Gender.WOMAN, Gender.MAN)
#: Spearman's rho of two unrelated orders of 30 voters has a standard deviation of 1/sqrt(29) = 0.19: |rho| >= 0.5
#: happens by chance for 0.5% of them. A mix gives three independent orders to check (physical, which the dump
#: shares; by key; by receipt hash), so a failing vote is tried once more on a new one: a correct mix fails both
#: about 3 times in 10 000 runs. A mix that kept (or reversed) the order of casting gives |rho| = 1 every time.
RHO_BOUND = 0.5
DATE_TYPES = ("date", "time", "interval", "abstime", "reltime")

requires_postgres = pytest.mark.postgres


@pytest.fixture
def postgres(app: Flask) -> Flask:
    """The app, when its database is PostgreSQL (the attacks below read PostgreSQL's system columns and dumps)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: set DELIBERATE_TEST_DATABASE_URL")
    return app


@dataclass
class Voter:
    user: User
    club: str  # the club's slug
    ranking: list[list[int]] | None = None
    approved: list[int] | None = None
    receipt: str | None = None


@pytest.fixture
def electorate(app, create_user, create_organization, add_member) -> dict:
    """A federation of five clubs of 14, 8, 5, 2 and 1 members (all of whom will vote) and a board member."""
    federation = create_organization("Federación Secreta")
    clubs = {name: create_organization(f"Club {name.upper()}", kind=OrganizationKind.CLUB, parent=federation)
             for name in CLUB_SIZES}
    board = create_user("Board B")
    add_member(board, federation, Role.BOARD)
    voters = []
    for name, size in CLUB_SIZES.items():
        for _ in range(size):
            user = create_user(gender=GENDERS[len(voters) % len(GENDERS)])
            add_member(user, clubs[name])
            voters.append(Voter(user, clubs[name].slug))
    return {"federation": federation, "clubs": {name: club.slug for name, club in clubs.items()}, "board": board,
            "voters": voters}


def _open_vote(app: Flask, world: dict, items: int = ITEMS) -> tuple[int, list[int]]:
    """Create a consultation of the world's federation in voting; return its id and its agenda item ids."""
    with app.app_context():
        consultation = Consultation(federation_id=world["federation"].id, title_es="Consulta secreta",
                                    title_en="Secret consultation", phase=Phase.VOTING)
        db.session.add(consultation)
        db.session.flush()
        numbers = range(1, items + 1)
        agenda = agenda_items(consultation.id, [f"Punto {n}" for n in numbers], [f"Item {n}" for n in numbers])
        db.session.commit()
        return consultation.id, [item.id for item in agenda]


def _form(items: list[int], ranking: list[list[int]], approved: list[int], **extra) -> dict[str, str]:
    position = {item: number for number, tier in enumerate(ranking, start=1) for item in tier}
    data = {f"rank_{item}": str(position.get(item, "")) for item in items}
    data.update({f"support_{item}": "1" for item in approved})
    data.update(extra)
    return data


def _receipt_of(page: str) -> str:
    return page.split('id="receipt-code"><code>')[1].split("<")[0]


def _cast_over_http(app: Flask, consultation_id: int, items: list[int], voter: Voter) -> None:
    """Log the voter in with a browser of their own and cast their ballot through the form; keep the receipt."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(browser, voter.user)
    response = browser.post(f"/consultations/{consultation_id}/ballot/cast",
                            data=_form(items, voter.ranking, voter.approved))
    assert response.status_code == 302 and response.location.endswith("/ballot/receipt"), response.status_code
    voter.receipt = _receipt_of(browser.get(response.location).get_data(as_text=True))


def _vote(app: Flask, world: dict, seed: int) -> tuple[int, list[int], list[Voter]]:
    """Open a vote and have every voter cast a ranking of their own, in an order mixing the clubs; return the
    consultation, its items and the voters in the order they cast."""
    consultation_id, items = _open_vote(app, world)
    rng = random.Random(seed)
    rankings = rng.sample(list(permutations(items)), len(world["voters"]))
    voters = [Voter(voter.user, voter.club) for voter in world["voters"]]
    rng.shuffle(voters)
    for number, (voter, ranking) in enumerate(zip(voters, rankings, strict=True)):
        voter.ranking = [[item] for item in ranking]
        voter.approved = sorted(ranking[:number % 3])
        _cast_over_http(app, consultation_id, items, voter)
    return consultation_id, items, voters


def _close(app: Flask, world: dict, consultation_id: int) -> None:
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        advance_phase(consultation, db.session.get(User, world["board"].id), Phase.VOTING, Phase.TALLIED)


def _rows(app: Flask, sql: str, **params) -> list:
    with app.app_context():
        return list(db.session.execute(text(sql), params))


def _spearman(first: list, second: list) -> float:
    """Return Spearman's rank correlation between two orders of the same distinct things."""
    n = len(first)
    assert sorted(first) == sorted(second) and n > 2
    where = {thing: position for position, thing in enumerate(second)}
    squares = sum((position - where[thing]) ** 2 for position, thing in enumerate(first))
    return 1 - 6 * squares / (n * (n * n - 1))


def _key(ranking: list) -> str:
    return json.dumps([[int(item) for item in tier] for tier in ranking])


# --- while voting is open -----------------------------------------------------------------------------------------

@requires_postgres
def test_while_voting_a_cast_links_only_to_a_sealed_ballot_nobody_without_the_key_can_read(
        postgres, electorate, make_app):
    app = postgres
    consultation_id, items, voters = _vote(app, electorate, seed=1)
    by_user = {voter.user.id: voter for voter in voters}
    # The attack: a cast and its sealed ballot were written by one transaction, so they share xmin.
    linked = _rows(app, """
        SELECT c.user_id, s.sealed FROM ballot_cast c JOIN sealed_ballot s ON s.xmin = c.xmin
        WHERE c.consultation_id = :c AND s.consultation_id = :c""", c=consultation_id)
    assert sorted(user for user, _ in linked) == sorted(by_user)  # it links, one sealed ballot per cast ...
    with app.app_context():
        for user, sealed in linked:  # ... and the link is real: the ballot key opens the caster's own ballot
            content = sealing.open_sealed(consultation_id, bytes(sealed))
            assert content.ranking == by_user[user].ranking and content.club == by_user[user].club
            assert content.receipt_hash == services.hash_receipt(by_user[user].receipt)
    # ... but what it links to is unreadable: one length for all, no plaintext inside, and another key opens none.
    sealed = [bytes(row) for _, row in linked]
    assert len({len(row) for row in sealed}) == 1
    slugs = list(electorate["clubs"].values())
    for row in sealed:
        for clear in (b'"club"', b'"ranking"', b'"receipt"', b'"gender"', b"woman", b"non_binary",
                      *(slug.encode() for slug in slugs), *(f"[{item}]".encode() for item in items)):
            assert clear not in row
    for voter in voters:
        receipt_hash = services.hash_receipt(voter.receipt)
        assert all(needle not in row for row in sealed for needle in (
            voter.receipt.encode(), receipt_hash.encode(), bytes.fromhex(receipt_hash)))
    intruder = make_app(SECRET_KEY="a-key-that-is-not-the-ballot-key")
    with intruder.app_context():
        for row in sealed:
            with pytest.raises(sealing.SealBroken):
                sealing.open_sealed(consultation_id, row)
    # The casts carry a keyed check, never the receipt hash; no column of either table holds a moment.
    checks = _rows(app, "SELECT receipt_check FROM ballot_cast WHERE consultation_id = :c", c=consultation_id)
    hashes = {services.hash_receipt(voter.receipt) for voter in voters}
    assert len({check for (check,) in checks}) == len(voters) and not {check for (check,) in checks} & hashes
    typed = _rows(app, """
        SELECT table_name, column_name, data_type, coalesce(column_default, '') FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ('ballot_cast', 'sealed_ballot')""")
    assert {table for table, *_ in typed} == {"ballot_cast", "sealed_ballot"}
    for table, column, data_type, default in typed:
        assert not any(kind in data_type for kind in DATE_TYPES), (table, column, data_type)
        assert "now" not in default.lower() and "current_" not in default.lower(), (table, column, default)
    assert not _rows(app, "SELECT 1 FROM ballot WHERE consultation_id = :c", c=consultation_id)


# --- after the count: the linking attacks -------------------------------------------------------------------------

@requires_postgres
def test_no_sql_join_links_a_cast_to_a_counted_ballot(postgres, electorate):
    app = postgres
    consultation_id, _items, voters = _vote(app, electorate, seed=2)
    _close(app, electorate, consultation_id)
    n = len(voters)
    # (i) the transaction that wrote a row: every ballot shares it with all the casts or with none.
    assert _rows(app, "SELECT count(DISTINCT xmin::text) FROM ballot WHERE consultation_id = :c",
                 c=consultation_id)[0][0] == 1
    per_ballot = _rows(app, """
        SELECT b.id, count(c.id) FROM ballot b LEFT JOIN ballot_cast c ON c.xmin = b.xmin AND c.consultation_id = :c
        WHERE b.consultation_id = :c GROUP BY b.id""", c=consultation_id)
    assert len(per_ballot) == n and {count for _, count in per_ballot} <= {0, n}
    joined = _rows(app, """SELECT count(*) FROM ballot_cast c JOIN ballot b ON b.xmin = c.xmin
                           WHERE c.consultation_id = :c AND b.consultation_id = :c""", c=consultation_id)[0][0]
    assert joined in (0, n * n)
    # the same for the other system columns a join could try (the command within that transaction, the locker)
    for column, sql in (
            ("cmin", "SELECT count(*) FROM ballot_cast c JOIN ballot b ON b.cmin = c.cmin "
                     "WHERE c.consultation_id = :c AND b.consultation_id = :c"),
            ("xmax", "SELECT count(*) FROM ballot_cast c JOIN ballot b ON b.xmax = c.xmax "
                     "WHERE c.consultation_id = :c AND b.consultation_id = :c")):
        assert _rows(app, sql, c=consultation_id)[0][0] in (0, n * n), column
    # (v) a receipt hash is stored on its ballot and nowhere in ballot_cast (nor does a sealed ballot remain).
    hashes = {receipt_hash for (receipt_hash,) in _rows(
        app, "SELECT receipt_hash FROM ballot WHERE consultation_id = :c", c=consultation_id)}
    assert hashes == {services.hash_receipt(voter.receipt) for voter in voters}
    cast_values = _rows(app, "SELECT row_to_json(c)::text FROM ballot_cast c")
    assert len(cast_values) == n
    for (row,) in cast_values:
        assert not any(receipt_hash in row for receipt_hash in hashes), row
        assert json.loads(row)["receipt_check"] is None
    assert not _rows(app, "SELECT 1 FROM sealed_ballot")


def _orders(app: Flask, consultation_id: int, voters: list[Voter], dump: Path) -> dict[str, float]:
    """Return Spearman's rho between the order of casting (as the database tells it) and each order an attacker
    can read the counted ballots in: physical (ctid), by key, by receipt hash and in a pg_dump of the two tables."""
    caster = {_key(voter.ranking): voter.user.id for voter in voters}
    casts = {name: [user for (user,) in _rows(app, sql, c=consultation_id)] for name, sql in (
        ("id", "SELECT user_id FROM ballot_cast WHERE consultation_id = :c ORDER BY id"),
        ("ctid", "SELECT user_id FROM ballot_cast WHERE consultation_id = :c ORDER BY ctid"))}
    assert casts["id"] == [voter.user.id for voter in voters]  # the casts' keys do tell the order of casting
    ballots = {name: [caster[_key(ranking)] for (ranking,) in _rows(app, sql, c=consultation_id)] for name, sql in (
        ("ctid", "SELECT ranking FROM ballot WHERE consultation_id = :c ORDER BY ctid"),
        ("id", "SELECT ranking FROM ballot WHERE consultation_id = :c ORDER BY id"),
        ("receipt_hash", "SELECT ranking FROM ballot WHERE consultation_id = :c ORDER BY receipt_hash"))}
    ballots["pg_dump"] = [caster[_key(ranking)] for ranking in _dumped_rankings(app, consultation_id, dump)]
    for order in ballots.values():  # not the order of casting, nor its reverse, in any of them
        assert order != casts["id"] and order != casts["id"][::-1]
    return {f"{ballot_order} vs casts by {cast_order}": _spearman(casts[cast_order], ballots[ballot_order])
            for ballot_order in ballots for cast_order in casts}


def _dumped_rankings(app: Flask, consultation_id: int, dump: Path) -> list[list[list[int]]]:
    """Dump ballot and ballot_cast with pg_dump; return the consultation's rankings in the order the dump has them,
    after checking that the dumped casts carry nothing but who voted."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run([pg_dump, "--data-only", "-t", "ballot", "-t", "ballot_cast", "-h", url.host or "127.0.0.1",
                    "-p", str(url.port or 5432), "-U", url.username or "postgres", "-f", str(dump), url.database],
                   env=env, check=True, capture_output=True, timeout=30)
    tables: dict[str, list[dict[str, str]]] = {}
    lines = iter(dump.read_text().splitlines())
    for line in lines:
        copy = re.match(r"COPY public\.(\w+) \((.*)\) FROM stdin;$", line)
        if copy:
            columns = [name.strip().strip('"') for name in copy[2].split(",")]
            tables[copy[1]] = [dict(zip(columns, row.split("\t"), strict=True))
                               for row in iter(lines.__next__, "\\.")]
    assert set(tables) == {"ballot", "ballot_cast"}
    assert all(cast["receipt_check"] == "\\N" for cast in tables["ballot_cast"])
    assert set(tables["ballot_cast"][0]) == {"id", "consultation_id", "user_id", "receipt_check", "assembly_id"}
    assert all(cast["assembly_id"] == "\\N" for cast in tables["ballot_cast"])  # all online here
    return [json.loads(row["ranking"]) for row in tables["ballot"] if row["consultation_id"] == str(consultation_id)]


@requires_postgres
def test_neither_the_physical_order_nor_a_dump_orders_counted_ballots_like_the_casts(
        postgres, electorate, tmp_path):
    app = postgres
    tried = []
    for attempt in range(2):  # see RHO_BOUND: a second, new vote only when the first mix looks ordered by chance
        consultation_id, _items, voters = _vote(app, electorate, seed=3 + attempt)
        _close(app, electorate, consultation_id)
        rhos = _orders(app, consultation_id, voters, tmp_path / f"dump-{attempt}.sql")
        tried.append(rhos)
        if all(abs(rho) < RHO_BOUND for rho in rhos.values()):
            break
    else:
        pytest.fail(f"the counted ballots keep the order of casting (Spearman's rho, two votes): {tried}")


@requires_postgres
def test_a_counted_ballot_holds_no_person_club_id_date_or_gender(postgres, electorate):
    app = postgres
    consultation_id, _items, voters = _vote(app, electorate, seed=5)
    _close(app, electorate, consultation_id)
    columns = _rows(app, """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'ballot'""")
    assert {name for name, _ in columns} == {"id", "consultation_id", "group", "ranking", "approved", "receipt_hash",
                                             "channel"}
    assert not [name for name, kind in columns if any(date in kind for date in DATE_TYPES)]
    references = _rows(app, """
        SELECT DISTINCT target.relname FROM pg_constraint k
        JOIN pg_class source ON source.oid = k.conrelid JOIN pg_class target ON target.oid = k.confrelid
        WHERE k.contype = 'f' AND source.relname = 'ballot'""")
    assert references == [("consultation",)]
    user_ids = {str(voter.user.id) for voter in voters}
    with app.app_context():
        club_ids = {str(club_id) for (club_id,) in db.session.execute(text(
            "SELECT id FROM organization WHERE parent_id = :f"), {"f": electorate["federation"].id})}
        ballots = list(db.session.scalars(select(Ballot).where(Ballot.consultation_id == consultation_id)))
    assert len(ballots) == len(voters)
    groups = set(electorate["clubs"].values())
    for ballot in ballots:
        assert re.fullmatch(r"[0-9a-f]{32}", ballot.id) and ballot.id not in user_ids
        assert set(ballot.group.split(privacy.POOL_SEPARATOR)) <= groups and ballot.group not in club_ids
        dumped = json.dumps([ballot.group, ballot.ranking, ballot.approved]).lower()
        assert not any(word in dumped for word in ("woman", "man", "binary", "another", "user", ":"))


def test_a_club_with_one_voter_is_counted_only_inside_a_pool_of_five_or_more(app, electorate):
    consultation_id, _items, voters = _vote(app, electorate, seed=6)
    _close(app, electorate, consultation_id)
    with app.app_context():
        groups = Counter(db.session.scalars(select(Ballot.group).where(Ballot.consultation_id == consultation_id)))
    lonely = electorate["clubs"]["e"]
    assert sum(groups.values()) == len(voters) == sum(CLUB_SIZES.values())
    assert all(count >= privacy.MIN_GROUP for count in groups.values()), groups
    with_lonely = [group for group in groups if lonely in group.split(privacy.POOL_SEPARATOR)]
    assert len(with_lonely) == 1 and privacy.POOL_SEPARATOR in with_lonely[0] and groups[with_lonely[0]] >= 5
    assert lonely not in groups
    clubs = electorate["clubs"]
    assert groups == {clubs["a"]: 14, clubs["b"]: 8, f"{clubs['c']}+{clubs['d']}+{clubs['e']}": 8}


# --- another voter's receipt --------------------------------------------------------------------------------------

def _alert(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    assert found, page[:2000]
    return found[1]


def test_another_voters_receipt_is_refused_like_a_made_up_one_and_leaves_their_ballot_alone(
        app, electorate, log_in):
    consultation_id, items = _open_vote(app, electorate, items=3)
    a, b, c = items
    clubs = electorate["clubs"]
    victim = next(voter for voter in electorate["voters"] if voter.club == clubs["c"])
    thief = next(voter for voter in electorate["voters"] if voter.club == clubs["b"])
    victim.ranking, victim.approved = [[a], [b], [c]], [a]
    _cast_over_http(app, consultation_id, items, victim)
    with app.app_context():
        before = db.session.scalar(select(SealedBallot.sealed))
    thief_browser = app.test_client()
    thief_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(thief_browser, thief.user)
    url = f"/consultations/{consultation_id}/ballot/cast"

    def replace(receipt: str):
        response = thief_browser.post(url, data=_form(items, [[c], [b], [a]], [c], receipt=receipt))
        return response.status_code, _alert(response.get_data(as_text=True))

    made_up = replace("AAAA-BBBB-CCCC-DDDD-EEEE")
    assert made_up[0] == 409 and "does not match" in made_up[1]
    assert replace(victim.receipt) == made_up  # before the thief voted ...
    assert replace(victim.receipt.lower().replace("-", " ")) == made_up
    thief.ranking, thief.approved = [[b], [c], [a]], []
    response = thief_browser.post(url, data=_form(items, thief.ranking, thief.approved))
    assert response.status_code == 302
    thief.receipt = _receipt_of(thief_browser.get(response.location).get_data(as_text=True))
    assert replace(victim.receipt) == replace("AAAA-BBBB-CCCC-DDDD-EEEE") == made_up  # ... and after
    with app.app_context():
        victims = db.session.scalar(select(SealedBallot).where(SealedBallot.receipt_tag == sealing.receipt_tag(
            consultation_id, services.hash_receipt(victim.receipt))))
        assert victims.sealed == before  # not even rewritten
        content = sealing.open_sealed(consultation_id, victims.sealed)
        assert (content.ranking, content.approved, content.club) == ([[a], [b], [c]], [a], clubs["c"])
        assert db.session.scalar(select(db.func.count()).select_from(SealedBallot)) == 2
        # the other voters cast too, so that every club but the pooled ones counts on its own
        consultation = db.session.get(Consultation, consultation_id)
        for voter in electorate["voters"]:
            if voter.user.id not in (victim.user.id, thief.user.id):
                services.cast_ballot(consultation, db.session.get(User, voter.user.id), [[b], [a]], [b])
    _close(app, electorate, consultation_id)
    with app.app_context():
        counted = {ballot.receipt_hash: ballot for ballot in db.session.scalars(
            select(Ballot).where(Ballot.consultation_id == consultation_id))}
        assert len(counted) == len(electorate["voters"])
        mine = counted[services.hash_receipt(victim.receipt)]
        assert (mine.ranking, mine.approved, mine.group.split(privacy.POOL_SEPARATOR)) == (
            [[a], [b], [c]], [a], [clubs["c"], clubs["d"], clubs["e"]])
        theirs = counted[services.hash_receipt(thief.receipt)]
        assert (theirs.ranking, theirs.approved, theirs.group) == ([[b], [c], [a]], [], clubs["b"])


# --- a worker killed in the middle of a cast ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A real server process (``flask run``, as the browser journeys start it) on the test database."""

    def __init__(self, app: Flask, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DELIBERATE_INSTANCE_PATH": str(folder),
            "DELIBERATE_DATABASE_URL": make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
                hide_password=False),
            "DELIBERATE_SECRET_KEY": app.config["SECRET_KEY"],  # the same ballot key as the test's app
            "DELIBERATE_SECURE_COOKIES": "0",
            "PYTHONWARNINGS": "ignore",
        }
        env.pop("DELIBERATE_TEST_DATABASE_URL", None)
        env.pop("DELIBERATE_BALLOT_KEY", None)
        if app.config.get("BALLOT_KEY"):
            env["DELIBERATE_BALLOT_KEY"] = app.config["BALLOT_KEY"]
        self.log_path = folder / "server.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "deliberate", "run", "--port", str(self.port), "--no-reload"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            self.stop()
            pytest.fail("the server did not start")
        if self.process.poll() is not None:
            self.stop()
            pytest.fail(f"the server stopped: {self.log_path.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=10)
        self.log.close()


class Browser:
    """A cookie-keeping HTTP client that fills in the CSRF token of the page it posts from."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, form_path: str, path: str, data: dict[str, str]) -> tuple[str, str]:
        """Post data (with the CSRF token of the page at form_path) to path; return the final URL and the page."""
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.get(form_path))[1]
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        with self.opener.open(self.base + path, body, timeout=15) as response:
            return response.url, response.read().decode()

    def log_in(self, user: User) -> None:
        url, _ = self.post("/account/login", "/account/login", {"email": user.email, "password": PASSWORD})
        assert not url.endswith("/account/login"), "the log-in failed"


def _psycopg_url(app: Flask) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql").render_as_string(
        hide_password=False)


@requires_postgres
def test_a_worker_killed_in_the_middle_of_a_cast_leaves_neither_the_cast_nor_the_sealed_ballot(
        postgres, electorate, tmp_path):
    import psycopg

    app = postgres
    consultation_id, items = _open_vote(app, electorate, items=3)
    a, b, c = items
    voter = electorate["voters"][0]
    ballot_page = f"/consultations/{consultation_id}/ballot"
    cast_path = f"{ballot_page}/cast"

    def counts() -> tuple[int, int]:
        (row,) = _rows(app, """SELECT (SELECT count(*) FROM sealed_ballot WHERE consultation_id = :c),
                                      (SELECT count(*) FROM ballot_cast WHERE consultation_id = :c AND user_id = :u)""",
                       c=consultation_id, u=voter.user.id)
        return tuple(row)

    server = Server(app, tmp_path / "first")
    try:
        browser = Browser(server.base)
        browser.log_in(voter.user)
        outcome: list = []

        def cast() -> None:
            try:
                outcome.append(browser.post(ballot_page, cast_path, _form(items, [[a], [b], [c]], [a])))
            except (urllib.error.URLError, ConnectionError, OSError) as error:  # the server dies under it
                outcome.append(error)

        with psycopg.connect(_psycopg_url(app)) as locker, \
                psycopg.connect(_psycopg_url(app), autocommit=True) as watcher:
            locker.execute("LOCK TABLE ballot_cast IN EXCLUSIVE MODE")  # every cast now waits on it
            worker = threading.Thread(target=cast, daemon=True)
            worker.start()
            deadline, backend = time.monotonic() + 10, None
            while backend is None and time.monotonic() < deadline:
                backend = watcher.execute("""
                    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO ballot_cast%'""").fetchone()
                time.sleep(0.05)
            assert backend is not None, f"the cast never waited on the lock: {outcome}"
            (pid,) = backend
            # the sealed ballot is already written (uncommitted) by the waiting transaction
            assert watcher.execute("""SELECT count(*) FROM pg_locks l JOIN pg_class k ON k.oid = l.relation
                                      WHERE l.pid = %s AND k.relname = 'sealed_ballot' AND l.granted
                                      AND l.mode = 'RowExclusiveLock'""", (pid,)).fetchone()[0] == 1
            server.stop(signal.SIGKILL)
            locker.rollback()
            worker.join(timeout=15)
            assert not worker.is_alive() and outcome and isinstance(outcome[0], Exception), outcome
            deadline = time.monotonic() + 10
            while watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                assert time.monotonic() < deadline, "the killed worker's database session did not end"
                time.sleep(0.05)
        assert counts() == (0, 0)
    finally:
        with contextlib.suppress(Exception):
            server.stop(signal.SIGKILL)

    server = Server(app, tmp_path / "second")
    try:
        browser = Browser(server.base)
        browser.log_in(voter.user)
        page = browser.get(ballot_page)
        assert "already voted" not in page.lower()
        url, page = browser.post(ballot_page, cast_path, _form(items, [[c], [a]], [c]))
        assert url.endswith("/ballot/receipt"), url
        receipt = _receipt_of(page)
    finally:
        server.stop()
    assert counts() == (1, 1)
    with app.app_context():
        sealed = db.session.scalar(select(SealedBallot).where(SealedBallot.consultation_id == consultation_id))
        content = sealing.open_sealed(consultation_id, sealed.sealed)  # sealed with the same key
        assert (content.ranking, content.approved) == ([[c], [a]], [c])
        assert content.receipt_hash == services.hash_receipt(receipt)
        assert db.session.scalar(select(BallotCast.user_id).where(BallotCast.consultation_id == consultation_id)) \
            == voter.user.id
