"""Running it for real: health for a load balancer, `deliberate doctor`, and request logs that keep secrets out."""

from __future__ import annotations

import logging
import re

import pytest
from click.testing import CliRunner
from flask_migrate import upgrade

from deliberate.config import DEFAULT_SECRET_KEY
from deliberate.extensions import db, migrations
from deliberate.ops.cli import doctor_command
from tests.factories import agenda_items

GOOD = {"SECRET_KEY": "k" * 64, "BASE_URL": "https://agenda.example.org", "BALLOT_KEY": "b" * 64,
        "MAIL_SERVER": "smtp.example.org"}


def _unversioned(app):
    """Forget any revision a test before left in this database (on PostgreSQL a worker's database outlives a test)."""
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.fixture(autouse=True)
def _no_revision_left_behind(app):
    _unversioned(app)
    yield
    _unversioned(app)


def _migrated(app):
    with app.app_context():
        db.drop_all()
        _unversioned(app)
        migrations(app)
        upgrade()


def test_healthz_answers_anyone_without_personal_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]


def test_readyz_is_ready_on_a_migrated_database_and_names_what_fails(app, client, make_app):
    assert client.get("/readyz").get_json()["failing"] == ["migrations"]  # the test schema has no revision
    _migrated(app)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok", "failing": []}
    stopped = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:9/none")
    down = stopped.test_client().get("/readyz")
    assert down.status_code == 503 and down.get_json() == {"status": "unavailable", "failing": ["database"]}


def test_readyz_says_when_redis_does_not_answer(app, make_app):
    _migrated(app)
    site = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9")
    response = site.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["failing"] == ["redis"]


def _doctor(site):
    with site.app_context():
        return CliRunner().invoke(doctor_command, [], obj=None, standalone_mode=True)


@pytest.mark.parametrize("settings, words", [
    ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "The secret key is the public default"),
    ({"BASE_URL": None}, "DELIBERATE_BASE_URL is not set"),
    ({"BASE_URL": "http://agenda.example.org"}, "is plain HTTP"),
    ({"SECURE_COOKIES": False}, "DELIBERATE_SECURE_COOKIES=0"),
])
def test_doctor_names_each_misconfiguration_and_exits_non_zero(app, make_app, settings, words):
    _migrated(app)
    result = _doctor(make_app(**{**GOOD, **settings}))
    assert words in result.output, result.output
    assert result.exit_code == (0 if "plain HTTP" in words else 1)  # plain HTTP is a warning: it works


def test_doctor_finds_the_database_behind_its_migrations_and_shared_limits_missing(app, make_app, monkeypatch):
    result = _doctor(make_app(**GOOD))
    assert result.exit_code == 1 and "run `deliberate db upgrade`" in result.output
    _migrated(app)
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    result = _doctor(make_app(**GOOD))
    assert result.exit_code == 1 and "4 workers keep their log-in limits apart" in result.output


def test_doctor_passes_a_good_configuration(app, make_app):
    _migrated(app)
    result = _doctor(make_app(**GOOD))
    assert result.exit_code == 0 and "Ready to serve." in result.output, result.output


def test_each_request_is_one_line_naming_its_route_not_what_was_typed(app, client, caplog):
    caplog.set_level(logging.INFO, logger="deliberate.requests")
    client.get("/account/reset/a-secret-token-in-the-address?code=AAAA-BBBB", headers={"X-Request-ID": "abc12345"})
    [line] = [record.getMessage() for record in caplog.records if record.name == "deliberate.requests"]
    assert line.startswith("abc12345 GET /account/reset/<token> ")
    assert "a-secret-token" not in caplog.text and "AAAA-BBBB" not in caplog.text


def test_no_log_holds_a_password_a_reset_token_a_receipt_or_a_ballot(app, client, federation_world, log_in, caplog):
    from sqlalchemy import select

    from deliberate.domain.phases import Phase
    from deliberate.models import Consultation, User

    caplog.set_level(logging.DEBUG)
    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="C", title_en="C",
                                    phase=Phase.VOTING)
        db.session.add(consultation)
        db.session.flush()
        items = agenda_items(consultation.id, ["Agua", "Salud"])
        db.session.commit()
        ids, consultation_id = [item.id for item in items], consultation.id
        email = db.session.scalar(select(User.email).where(User.id == federation_world["member"].id))
    log_in(client, federation_world["member"])
    cast = client.post(f"/consultations/{consultation_id}/ballot/cast",
                       data={f"rank_{ids[0]}": "2", f"rank_{ids[1]}": "1", f"support_{ids[1]}": "1"})
    code = client.get(cast.location).get_data(as_text=True).split('id="receipt-code"><code>')[1].split("<")[0]
    client.post("/account/logout")
    client.post("/account/reset", data={"email": email})
    [message] = app.extensions["mail_outbox"]
    token = re.search(r"/account/reset/([\w.-]+)", message.get_content()).group(1)
    for secret in ("correct horse battery staple", token, code, code.replace("-", ""), f"[[{ids[1]}], [{ids[0]}]]"):
        assert secret not in caplog.text, secret
    assert "GET /consultations/<int:consultation_id>/ballot/receipt" in caplog.text


@pytest.mark.parametrize("hops, expected", [(0, "127.0.0.1 http"), (1, "203.0.113.7 https")])
def test_forwarded_headers_are_trusted_only_as_far_as_the_proxy_chain_goes(make_app, hops, expected):
    from flask import request

    site = make_app(PROXY_HOPS=hops)
    site.add_url_rule("/probe", "probe", lambda: f"{request.remote_addr} {request.scheme}")
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"}
    assert site.test_client().get("/probe", headers=headers).get_data(as_text=True) == expected
