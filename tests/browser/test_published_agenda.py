"""The end of the cycle in a real browser: a whole demo consultation counted and published, read by the public."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.browser.pages import DESKTOP, PHONE, run_deliberate


@pytest.fixture(scope="module")
def published(live_server, server_env) -> dict:
    """Run `deliberate demo-cycle` against the live server's database and return its JSON."""
    result = run_deliberate("demo-cycle", env=server_env)
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


def test_the_public_reads_the_published_agenda_and_its_minority_section(live_server, published, new_page, journey):
    path = urlsplit(published["url"]).path
    page = new_page(PHONE)
    page.goto(live_server + path)
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("main h1").count() == 1
    text = page.inner_text("main").lower()
    assert "minor" in text  # the minority section is inside the agenda page, not an annex
    journey.shot(page, "agenda-publica")

    desktop = new_page(DESKTOP)
    desktop.goto(live_server + path)
    assert desktop.locator("html").get_attribute("lang") == "en"
    assert "minority" in desktop.inner_text("main").lower()
    journey.shot(desktop, "public-agenda")


def test_the_published_agenda_recounts_to_the_same_result(live_server, server_env, published):
    result = run_deliberate("verify-agenda", str(published["agenda_id"]), env=server_env)
    assert result.returncode == 0
