"""Building the app, ``deliberate --help`` and recounting a ballots file leave the heavy libraries unimported.

Each of them costs a tenth of a second to a second at every start; each is loaded by the work that uses it
(tests/test_purity.py lists them in LAZY_ON_PURPOSE). Measured by what a fresh interpreter has imported, never by
time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask

from deliberate.cli import APP_COMMANDS, OWN_COMMANDS, main

#: Libraries no start may import: scikit-learn (only the tests' metrics use it), SciPy (consolidation), Pillow
#: (photos), Huey with Redis's client and psycopg (the job queue, on SQLite here), Flask-Migrate with Alembic (the db
#: commands), PostgreSQL's dialect (on SQLite).
HEAVY = ("sklearn", "scipy", "PIL", "huey", "redis", "psycopg", "flask_migrate", "alembic",
         "sqlalchemy.dialects.postgresql")

BALLOTS = {
    "candidates": ["a", "b", "c"],
    "ballots": [{"ranking": [["a"], ["b"]], "approved": ["a", "b"]}, {"ranking": [["c"]], "approved": ["c"]}],
}


#: What building the app imports: a command that needs no app (tally) loads none of it.
THE_APP = ("deliberate.app", "deliberate.models", "flask_sqlalchemy")
#: What Flask's plugins' commands import (Flask-Limiter's): a command that needs no app does not load them.
PLUGINS = ("flask_limiter",)


def imported_after(code: str, tmp_path: Path, watched: tuple[str, ...] = HEAVY) -> dict:
    """Run ``code`` in a fresh interpreter and return which of the ``watched`` modules it imported, with its output."""
    probe = (f"try:\n    {code}\nexcept SystemExit:\n    pass\n"  # click's --help exits
             f"import json, sys\nprint(json.dumps([m for m in {watched!r} if m in sys.modules]), file=sys.stderr)")
    env = {**os.environ, "DELIBERATE_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("DELIBERATE_DATABASE_URL", None)
    env.pop("DELIBERATE_REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                          check=True)
    return {"heavy": json.loads(done.stderr.strip().splitlines()[-1]), "stdout": done.stdout}


def test_creating_the_app_imports_no_heavy_library(tmp_path: Path) -> None:
    assert imported_after("from deliberate.app import create_app; create_app()", tmp_path)["heavy"] == []


def test_the_command_list_builds_no_app_and_names_the_migration_commands(tmp_path: Path) -> None:
    run = imported_after("from deliberate.cli import main; main(['--help'])", tmp_path, HEAVY + THE_APP)
    assert run["heavy"] == []
    assert "Perform database migrations." in run["stdout"] and "tally" in run["stdout"]


def test_the_command_list_shows_each_command_with_its_own_help_line(app: Flask) -> None:
    assert set(app.cli.commands) - set(OWN_COMMANDS) == set(APP_COMMANDS)
    commands = {name: main.get_command(click.Context(main), name) for name in OWN_COMMANDS}
    lines = {name: line for name, (_, _, line) in OWN_COMMANDS.items()} | APP_COMMANDS
    for name, line in lines.items():
        command = commands.get(name) or app.cli.commands[name]
        for limit in (40, 57, 1000):  # --help shortens each line to the terminal's width
            assert click.Command(name, help=line).get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_the_opinion_map_command_imports_no_heavy_library_and_builds_no_app(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parent / "data" / "polis" / "bg2050-volunteers"
    code = f"from deliberate.cli import main; main(['opinion-map', {str(folder)!r}])"
    run = imported_after(code, tmp_path, HEAVY + THE_APP + PLUGINS)
    assert run["heavy"] == []
    assert len(json.loads(run["stdout"])["participants"]) == 126


def test_an_opinion_map_large_enough_for_the_randomized_svd_imports_no_heavy_library(tmp_path: Path) -> None:
    code = ("from deliberate.domain.opinion import EXACT_PCA_LIMIT, compute_opinion_map\n"
            "    n = EXACT_PCA_LIMIT + 1\n"
            "    votes = [(p, s, 1 if (p + s) % 3 else -1) for p in range(n) for s in range(p % 5, n, 5)]\n"
            "    print(len(compute_opinion_map(range(n), range(n), votes).groups))")
    run = imported_after(code, tmp_path)
    assert run["heavy"] == [] and int(run["stdout"]) >= 1


def test_the_tally_command_imports_no_heavy_library_and_builds_no_app(tmp_path: Path) -> None:
    path = tmp_path / "ballots.json"
    path.write_text(json.dumps(BALLOTS))
    code = f"from deliberate.cli import main; main(['tally', {str(path)!r}, '--seats', '2', '--selection', 'pav'])"
    run = imported_after(code, tmp_path, HEAVY + THE_APP + PLUGINS)
    assert run["heavy"] == []
    assert json.loads(run["stdout"])["selection"]["items"] == ["a", "c"]


def test_the_migration_commands_load_flask_migrate_when_one_runs(tmp_path: Path) -> None:
    run = imported_after("from deliberate.cli import main; main(['db', '--help'])", tmp_path)
    assert "flask_migrate" in run["heavy"] and "upgrade" in run["stdout"]
