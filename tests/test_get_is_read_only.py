"""Reading a page changes nothing: no GET request, by anyone, writes to the database.

The demo federation is taken through a whole cycle (a published agenda with its programmes, events, mentoring,
volunteer roles, and a second consultation left collecting demands). Then every GET rule of ``app.url_map`` is asked
by an anonymous visitor and by each of the demo's roles, with real ids, while every statement the app sends to the
database is watched. Work a page shows (an opinion map, suggestions, seeded categories) is done by the action that
makes it due, or queued as a job, never by the page that shows it.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select, update

from deliberate import demo
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaItem,
    Argument,
    Assembly,
    Consultation,
    Demand,
    Event,
    Job,
    Mentoring,
    Programme,
    User,
    VolunteerRole,
)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
#: A log-in's server-side record notes when it was last used: the one write a GET may make.
ALLOWED_TABLES = ("user_session",)
#: The model whose first row fills each kind of id in a rule.
IDS = {"agenda_id": Agenda, "consultation_id": Consultation, "demand_id": Demand, "subject_id": Demand,
       "item_id": AgendaItem, "event_id": Event, "job_id": Job, "mentoring_id": Mentoring, "programme_id": Programme,
       "role_id": VolunteerRole, "argument_id": Argument, "assembly_id": Assembly}
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>[a-z_]+)>")


def _is_write(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)
    if not head or head[0].upper() not in WRITES:
        return False
    return not any(re.search(rf"\b{table}\b", statement.split("WHERE")[0]) for table in ALLOWED_TABLES)


@pytest.fixture
def demo_world(app):
    with app.app_context():
        result = demo.seed_demo()
        demo.run_demo_cycle()
        ids = {name: db.session.scalar(select(model.id).order_by(model.id)) for name, model in IDS.items()}
        ids["subject_type"] = "demand"
    return {"slug": demo.FEDERATION_SLUG, "ids": ids, "logins": {role: email for role, email, _ in result.logins}}


def _path(rule, world) -> str:
    def fill(match: re.Match) -> str:
        name, converter = match["name"], match["converter"]
        if converter == "any":
            return match["options"].split(",")[0].strip()
        value = world["ids"].get(name)
        if value is not None:
            return str(value)
        return {"slug": world["slug"]}.get(name, "1" if converter == "int" else "x")

    return _ARGUMENT.sub(fill, rule.rule)


def test_the_watch_sees_a_write(app):
    """The watch is not blind: a write through the app's engine is seen."""
    seen = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]) if _is_write(a[2]) else None)
        db.session.execute(update(User).values(locale="es"))
        db.session.rollback()
    assert seen and not _is_write("SELECT 1") and not _is_write("UPDATE user_session SET last_seen_at = 1")


def test_no_get_request_writes_to_the_database(app, demo_world):
    """One demo world, read by each role in turn (building it is the slow part)."""
    seen: list[tuple[str, str, str]] = []
    asked = {"who": "", "path": ""}
    read: dict[str, int] = {}

    def watch(conn, cursor, statement, parameters, context, executemany):
        if asked["path"] and _is_write(statement):
            seen.append((asked["who"], asked["path"], " ".join(statement.split())[:120]))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        for who in ("anonymous", "member", "officer", "board", "admin"):
            client, asked["path"] = app.test_client(), ""  # logging in writes, as it should
            if who != "anonymous":
                response = client.post("/account/login", data={"email": demo_world["logins"][who],
                                                               "password": demo.DEMO_PASSWORD})
                assert response.status_code == 302
            asked["who"], read[who] = who, 0
            for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
                if rule.endpoint == "static" or "GET" not in rule.methods:
                    continue
                asked["path"] = _path(rule, demo_world)
                read[who] += client.get(asked["path"]).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert seen == []
    assert all(count > 25 for count in read.values()), read  # the pages were really read, not refused
