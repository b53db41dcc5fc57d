"""Building the app and recounting a ballots file leave scikit-learn unimported (it costs a second at every start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("sklearn",)

BALLOTS = {
    "candidates": ["a", "b", "c"],
    "ballots": [{"ranking": [["a"], ["b"]], "approved": ["a", "b"]}, {"ranking": [["c"]], "approved": ["c"]}],
}


def imported_after(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a fresh interpreter and return which of the heavy modules it imported, with its output."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    env = {**os.environ, "DELIBERATE_INSTANCE_PATH": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                          check=True)
    return {"heavy": json.loads(done.stderr.strip().splitlines()[-1]), "stdout": done.stdout}


def test_creating_the_app_does_not_import_scikit_learn(tmp_path: Path) -> None:
    assert imported_after("from deliberate import create_app\ncreate_app()", tmp_path)["heavy"] == []


def test_the_tally_command_does_not_import_scikit_learn(tmp_path: Path) -> None:
    path = tmp_path / "ballots.json"
    path.write_text(json.dumps(BALLOTS))
    code = (
        "from deliberate.cli import main\n"
        f"main(['tally', {str(path)!r}, '--seats', '2', '--selection', 'pav'], standalone_mode=False)"
    )
    run = imported_after(code, tmp_path)
    assert run["heavy"] == []
    assert json.loads(run["stdout"])["selection"]["items"] == ["a", "c"]
