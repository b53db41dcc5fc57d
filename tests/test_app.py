"""The application as a whole: configuration, security headers, CSRF, error pages, CLI."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from deliberate import extensions
from deliberate.app import create_app
from deliberate.config import from_environment
from deliberate.extensions import db
from deliberate.security import InsecureConfiguration, safe_next

DELIBERATE = Path(sys.executable).with_name("deliberate")


def without_secret_key(tmp_path: Path) -> dict[str, str]:
    """Return an environment with no secret key and an empty instance folder, as on a verifier's machine."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("DELIBERATE_", "FLASK_"))}
    environment["DELIBERATE_INSTANCE_PATH"] = str(tmp_path / "instance")
    return environment


def test_anyone_can_recount_a_ballots_file_without_a_secret_key(tmp_path):
    ballots = tmp_path / "ballots.json"
    ballots.write_text(json.dumps({"candidates": ["a", "b"], "clubs": {"club-1": {"members": 3}},
                                   "ballots": [{"club": "club-1", "ranking": [["b"], ["a"]], "approved": ["b"]}]}))
    environment = without_secret_key(tmp_path)

    def deliberate(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(DELIBERATE), *args], env=environment, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, check=False)

    overview = deliberate("--help")
    assert overview.returncode == 0 and "tally" in overview.stdout and "Error" not in overview.stderr
    assert deliberate("tally", "--help").returncode == 0
    recount = deliberate("tally", str(ballots))
    assert recount.returncode == 0, recount.stderr
    assert json.loads(recount.stdout)["ranking"] == [["b"], ["a"]]


def test_the_run_command_refuses_to_serve_with_the_default_secret(tmp_path):
    result = subprocess.run([str(DELIBERATE), "run", "--port", "1"], env=without_secret_key(tmp_path),
                            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "Refusing to serve with the default secret key" in result.stderr
    assert "DELIBERATE_SECRET_KEY" in result.stderr


def test_the_wsgi_entry_point_refuses_the_default_secret(tmp_path, monkeypatch):
    for name, value in without_secret_key(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DELIBERATE_SECRET_KEY", raising=False)
    monkeypatch.delitem(sys.modules, "deliberate.wsgi", raising=False)
    with pytest.raises(InsecureConfiguration, match="default secret key"):
        importlib.import_module("deliberate.wsgi")


def test_every_request_is_refused_while_the_secret_is_the_default(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DELIBERATE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        page = client.get("/account/login", headers={"Accept-Language": "en"})
    assert page.status_code == 503
    assert "until its administrator finishes its configuration" in page.get_data(as_text=True)
    assert "secret" not in page.get_data(as_text=True)  # visitors are not told which setting is missing
    assert "Set-Cookie" not in page.headers  # nothing was signed with the public key
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Refusing to serve with the default secret key" in caplog.text
    form = client.post("/account/login", data={"email": "a@example.org"}, headers={"Accept-Language": "es"})
    assert form.status_code == 503 and "termine de configurarlo" in form.get_data(as_text=True)  # before the CSRF check


def test_debug_serves_with_the_default_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DELIBERATE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.debug = True
    assert app.test_client().get("/no/such/page").status_code == 404


def test_settings_come_from_the_environment():
    settings = from_environment({"DELIBERATE_DATABASE_URL": "postgresql://x", "DELIBERATE_SECURE_COOKIES": "0",
                                 "DELIBERATE_MAIL_PORT": "25", "DELIBERATE_BASE_URL": "https://agenda.example.org"})
    assert settings == {"SQLALCHEMY_DATABASE_URI": "postgresql://x", "SECURE_COOKIES": False, "MAIL_PORT": 25,
                        "BASE_URL": "https://agenda.example.org"}


@pytest.mark.parametrize("base", ["agenda.example.org", "ftp://agenda.example.org", "https://", "https://a.org/?x=1"])
def test_the_app_refuses_to_start_with_a_base_url_that_is_not_an_address(tmp_path, monkeypatch, base):
    monkeypatch.setenv("DELIBERATE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ValueError, match="DELIBERATE_BASE_URL must be the site's address"):
        create_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": base})


def test_every_page_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookies_are_secure_outside_debug(tmp_path, monkeypatch):
    monkeypatch.setenv("DELIBERATE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_a_post_without_its_csrf_token_is_refused_with_400(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/account/login", data={"email": "a@example.org", "password": "whatever123"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    page = client.get("/account/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


@pytest.mark.postgres  # PostgreSQL only: the SQLite pass deselects it
def test_a_connection_the_database_closed_while_it_sat_idle_is_replaced(app, monkeypatch):
    """A database restarted while the site was quiet (or a proxy's idle timeout) makes no request fail."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: set DELIBERATE_TEST_DATABASE_URL")
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()  # back to the pool, idle
        other = create_engine(db.engine.url)
        with other.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        other.dispose()
        monkeypatch.setattr(extensions, "IDLE_CHECK_SECONDS", 0.0)  # as if it had sat idle for long
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != pid
        db.session.remove()


def test_unknown_pages_get_a_translated_404(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    assert "No encontramos esa página" in response.get_data(as_text=True)
    english = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert "We could not find that page" in english.get_data(as_text=True)


def test_a_server_error_shows_a_translated_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/x", "/o/club?a=1"])
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["http://evil", "//evil", "/\\evil", "javascript:alert(1)", "evil", None, ""])
def test_safe_next_refuses_anything_else(target):
    assert safe_next(target) is None


def test_seed_demo_is_idempotent_and_prints_the_log_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.example.org" in first.output and "Created" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "Already present" in second.output
    from sqlalchemy import func, select

    from deliberate.domain.gender import Gender
    from deliberate.extensions import db
    from deliberate.models import Organization, OrganizationKind, User

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organization).where(
            Organization.kind == OrganizationKind.CLUB)) == 8
        people = db.session.scalars(select(User).where(User.is_admin.is_(False))).all()
        women = sum(1 for u in people if u.gender is Gender.WOMAN)
        assert len(people) == 80 and 0.40 <= women / len(people) <= 0.48


def test_create_admin_makes_an_administrator(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Boss@Example.org", "--password", "un buen password largo"])
    assert result.exit_code == 0, result.output
    assert '"created": true' in result.output
    again = runner.invoke(args=["create-admin", "boss@example.org", "--password", "x"])
    assert again.exit_code == 0 and '"created": false' in again.output
    weak = runner.invoke(args=["create-admin", "new@example.org", "--password", "short"])
    assert weak.exit_code != 0 and "not acceptable" in weak.output
