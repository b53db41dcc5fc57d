"""The package is the product: a built wheel, installed outside the checkout, migrates its database, speaks Spanish."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = (
    "deliberate/templates/base.html",
    "deliberate/templates/ballots/rank.html",
    "deliberate/static/css/style.css",
    "deliberate/migrations/env.py",
    "deliberate/migrations/alembic.ini",
    "deliberate/migrations/versions/0001_accounts_and_organizations.py",
    "deliberate/translations/es/LC_MESSAGES/messages.mo",
    "deliberate/data/places.csv",
    "deliberate/data/common_passwords.txt",
    "deliberate/data/stop_words_es.txt",
    "deliberate/data/stop_words_en.txt",
    "deliberate/data/place_cues.txt",
    "deliberate/data/not_places.txt",
    "deliberate/domain/consolidation/text.py",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel and install it into a new environment outside the checkout (its dependencies borrowed)."""
    where = tmp_path_factory.mktemp("package")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(where / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = (where / "dist").glob("deliberate-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where / "env")], check=True, timeout=120)
    python = where / "env" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies come from the test environment; a plain path line does not load its editable checkout
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: the borrowed dependencies include this checkout's own editable install
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--ignore-installed", str(wheel)], check=True, capture_output=True, timeout=600)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DELIBERATE_", "PYTHON", "FLASK_"))}
    env.update(DELIBERATE_DATABASE_URL=f"sqlite:///{where / 'site.sqlite3'}",
               DELIBERATE_INSTANCE_PATH=str(where / "instance"), DELIBERATE_SECRET_KEY="a-wheel-test-secret-key-0123",
               DELIBERATE_SECURE_COOKIES="0")
    return {"where": where, "wheel": wheel, "bin": where / "env" / "bin", "env": env}


def test_the_wheel_carries_templates_static_files_migrations_catalogues_and_data(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert [name for name in REQUIRED if name not in names] == []
    assert not any(name.startswith(("tests/", "deliberate/tests/")) for name in names)


def test_the_installed_package_migrates_its_database_and_serves_spanish_pages(installed):
    env, where = installed["env"], installed["where"]
    origin = subprocess.run([str(installed["bin"] / "python"), "-c", "import deliberate; print(deliberate.__file__)"],
                            cwd=where, env=env, check=True, capture_output=True, text=True).stdout
    assert str(where / "env") in origin and str(ROOT) not in origin
    upgrade = subprocess.run([str(installed["bin"] / "deliberate"), "db", "upgrade"], cwd=where, env=env,
                             capture_output=True, text=True, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
    port = _free_port()
    env = {**env, "DELIBERATE_BASE_URL": f"http://127.0.0.1:{port}"}
    log = (where / "server.log").open("wb")
    server = subprocess.Popen([str(installed["bin"] / "deliberate"), "run", "--port", str(port)], cwd=where, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        page = _get(f"http://127.0.0.1:{port}/", {"Accept-Language": "es"}, server)
        assert 'lang="es"' in page and "Federaciones" in page
        english = _get(f"http://127.0.0.1:{port}/", {"Accept-Language": "en"}, server)
        assert "Federations" in english
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _get(url: str, headers: dict[str, str], server: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
                return response.read().decode()
        except OSError:
            if server.poll() is not None:
                pytest.fail("the installed server stopped: see server.log beside the environment")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
