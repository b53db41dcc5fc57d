"""Browser journeys: a real server process on a free port, driven by Playwright in Debian's Chromium.

Run them alone with `pytest -m browser`. Without Chromium they are skipped with a message saying how to enable them
(`apt-get install chromium`, or set DELIBERATE_CHROMIUM to another Chromium executable). Screenshots of every step
are written under test-artifacts/screenshots/ (the path is printed at the end of the run).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.pages import PHONE, ROOT, run_deliberate, running_site

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("DELIBERATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(
                    reason="Chromium not found: install it (apt-get install chromium) or set DELIBERATE_CHROMIUM "
                    "to run the browser journeys"))


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    """Return the live server's environment, for commands run against its database."""
    return {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, server_env: dict[str, str]) -> Iterator[str]:
    """Serve the demo federation from a fresh SQLite database in a real server process; return its base URL."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {
        **os.environ,
        "DELIBERATE_INSTANCE_PATH": str(instance),
        "DELIBERATE_DATABASE_URL": f"sqlite:///{instance / 'browser.sqlite3'}",
        "DELIBERATE_SECRET_KEY": "browser-tests-secret-key-0123456789",
        "DELIBERATE_SECURE_COOKIES": "0",
        "PYTHONWARNINGS": "ignore",
        "DELIBERATE_OPINION_DEBOUNCE_SECONDS": "1",
    }
    env.pop("DELIBERATE_TEST_DATABASE_URL", None)
    server_env.update(env)
    run_deliberate("db", "upgrade", env=env)
    seeded = run_deliberate("seed-demo", env=env)
    (instance / "logins.txt").write_text(seeded.stdout)
    with running_site(env, instance) as base:  # the site's jobs (mail, the opinion map) run beside it
        yield base


@pytest.fixture(scope="session")
def demo_logins(live_server: str, tmp_path_factory) -> dict[str, str]:
    """Return the demo log-ins that seed-demo printed, by role."""
    text = next(Path(p).read_text() for p in tmp_path_factory.getbasetemp().glob("browser-instance*/logins.txt"))
    logins = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and "@" in parts[1]:
            logins[parts[0]] = parts[1]
            logins[f"{parts[0]}_where"] = parts[2].strip()
    return logins


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts (phone in Spanish by default); axe needs the page CSP bypassed to be injected."""
    contexts = []

    def make(device: dict = PHONE, **options):
        context = browser.new_context(**device, bypass_csp=True, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


class Journey:
    """Take numbered screenshots and run axe on each page a journey visits."""

    def __init__(self, name: str) -> None:
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0
        self.axe_results: list[tuple[str, int]] = []
        self.pages: list[dict] = []  # what axe checked, written to axe.json for the run's summary

    def shot(self, page, label: str, *, check_accessibility: bool = True) -> None:
        self.step += 1
        page.screenshot(path=str(self.folder / f"{self.step:02d}-{label}.png"), full_page=True)
        if check_accessibility:
            findings = axe_findings(page)
            violations = [f"{f['id']} ({f['impact']}): {f['help']} at {f['targets']}" for f in findings
                          if f["impact"] in FAILING_IMPACTS]
            self.axe_results.append((label, len(violations)))
            self.pages.append({"step": label, "path": urlsplit(page.url).path, "serious_or_critical": len(violations),
                               "findings": findings})
            (self.folder / "axe.json").write_text(json.dumps(self.pages, indent=1))
            assert violations == [], f"{label}: {violations}"


FAILING_IMPACTS = ("serious", "critical")  # moderate and minor findings are recorded in axe.json, not failed on


def axe_findings(page) -> list[dict]:
    """Run axe-core on the page and return every violation: its rule, impact, help text and first targets.

    A page opened with JavaScript disabled cannot run axe itself: its exact HTML is then checked in a twin page that
    receives the same document and stylesheets but none of the site's scripts.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        return _findings_without_scripts(page)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:3]} for v in result["violations"]]


def _findings_without_scripts(page) -> list[dict]:
    html, url = page.content(), page.url
    context = page.context.browser.new_context(viewport=page.viewport_size, bypass_csp=True)
    try:
        twin = context.new_page()

        def serve(route) -> None:
            request = route.request
            if request.resource_type == "document" and request.url == url:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif request.resource_type == "script":
                route.abort()
            else:
                route.continue_()

        twin.route("**/*", serve)
        twin.goto(url)
        return axe_findings(twin)
    finally:
        context.close()


@pytest.fixture
def journey(request) -> Journey:
    return Journey(request.node.name)
