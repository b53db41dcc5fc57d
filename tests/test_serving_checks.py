"""Serving in production refuses to start without DELIBERATE_BASE_URL, or with per-process throttles and several
workers, and says why; tests, debug and the local demo keep working."""

from __future__ import annotations

import importlib
import logging
import os
import sys

import pytest

from deliberate.app import create_app
from deliberate.security import InsecureConfiguration, refuse_insecure_configuration

SECRET = "a-production-secret-0123456789abcdef"


@pytest.fixture
def production(tmp_path, monkeypatch):
    """Return a factory of apps configured as in production (not testing, not debug)."""
    monkeypatch.setenv("DELIBERATE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)

    def make(**settings):
        return create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})
    return make


def test_serving_without_the_base_url_is_refused_and_says_why(production):
    with pytest.raises(InsecureConfiguration, match="DELIBERATE_BASE_URL") as refused:
        refuse_insecure_configuration(production())
    assert "Host header" in str(refused.value)
    refuse_insecure_configuration(production(BASE_URL="https://agenda.example.org"))


def test_the_wsgi_entry_point_refuses_to_start_without_the_base_url(tmp_path, monkeypatch):
    for name in [name for name in os.environ if name.startswith(("DELIBERATE_", "FLASK_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DELIBERATE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DELIBERATE_SECRET_KEY", SECRET)
    monkeypatch.delitem(sys.modules, "deliberate.wsgi", raising=False)
    with pytest.raises(InsecureConfiguration, match="DELIBERATE_BASE_URL"):
        importlib.import_module("deliberate.wsgi")
    monkeypatch.setenv("DELIBERATE_BASE_URL", "https://agenda.example.org")
    monkeypatch.delitem(sys.modules, "deliberate.wsgi", raising=False)
    assert importlib.import_module("deliberate.wsgi").app


def test_pages_asked_for_by_a_public_name_are_refused_without_the_base_url(production, caplog):
    app = production()
    with caplog.at_level(logging.ERROR):
        page = app.test_client().get("/account/login", base_url="http://attacker.example")
    assert page.status_code == 503 and "termine de configurarlo" in page.get_data(as_text=True)
    assert "DELIBERATE_BASE_URL" in caplog.text and "DELIBERATE_BASE_URL" not in page.get_data(as_text=True)
    reset = app.test_client().post("/account/reset", data={"email": "a@example.org"},
                                   base_url="http://attacker.example")
    assert reset.status_code == 503  # no reset link is ever made from a forged host


def test_the_local_demo_serves_without_the_base_url(production):
    app = production()
    for host in ("http://127.0.0.1:5000", "http://localhost:5000", "http://[::1]:5000"):
        assert app.test_client().get("/account/login", base_url=host).status_code == 200, host


def test_tests_and_debug_serve_without_the_base_url(production):
    refuse_insecure_configuration(production(TESTING=True))
    app = production()
    app.debug = True
    refuse_insecure_configuration(app)
    assert app.test_client().get("/account/login", base_url="http://agenda.example.org").status_code == 200


def test_several_workers_counting_attempts_in_memory_are_refused(production, monkeypatch):
    base = {"BASE_URL": "https://agenda.example.org"}
    with pytest.raises(InsecureConfiguration, match="4 workers") as refused:
        refuse_insecure_configuration(production(WORKERS=4, **base))
    assert "DELIBERATE_REDIS_URL" in str(refused.value)
    refuse_insecure_configuration(production(WORKERS=1, **base))
    refuse_insecure_configuration(production(WORKERS=4, REDIS_URL="redis://127.0.0.1:6379/0", **base))
    refuse_insecure_configuration(production(WORKERS=4, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", **base))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")  # gunicorn's own setting for its number of workers
    with pytest.raises(InsecureConfiguration, match="3 workers"):
        refuse_insecure_configuration(production(**base))
    page = production(**base).test_client().get("/", base_url="https://agenda.example.org")
    assert page.status_code == 503  # another server than deliberate.wsgi: every request is refused


def test_an_unknown_number_of_workers_with_per_process_throttles_is_warned_about(production, caplog):
    from deliberate.security import warn_unknown_worker_count

    with caplog.at_level(logging.WARNING):
        warn_unknown_worker_count(production(BASE_URL="https://agenda.example.org"))
    assert "DELIBERATE_REDIS_URL" in caplog.text and "DELIBERATE_WORKERS" in caplog.text


def test_workers_and_redis_come_from_the_environment():
    from deliberate.config import from_environment

    assert from_environment({"DELIBERATE_WORKERS": "4", "DELIBERATE_REDIS_URL": "redis://r:6379/0"}) == {
        "WORKERS": 4, "REDIS_URL": "redis://r:6379/0"}
