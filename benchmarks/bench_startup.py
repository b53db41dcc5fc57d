"""Measure how fast the app and the commands start: create_app(), ``deliberate --help`` and ``deliberate tally``.

Each figure is a fresh interpreter (a subprocess) with its bytecode cached, as an installed wheel runs (and once
without the cache, as this checkout runs when PYTHONDONTWRITEBYTECODE is set): wall time (best and median of
``--repeat`` runs) and CPU time (user + system of the child), shown side by side because the machine is shared and
a loaded machine stretches wall time far more than CPU time. ``python -c pass`` is measured the same way as the
floor no command can go below. Then the modules each start imports that are known to be heavy, and the largest
imports of create_app() by ``python -X importtime``, so that a regression names its culprit.

The target (issue 21) is create_app() and ``deliberate --help`` in at most 0.5 s, and ``deliberate tally``
without scikit-learn. The tally file is built by benchmarks/bench_tally.py's generator: 100,000 ballots over 60
items in 50 clubs, or 5,000 with ``--quick``.

    .venv/bin/python benchmarks/bench_startup.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_tally import generate  # noqa: E402

PYTHON = sys.executable
DELIBERATE = str(Path(PYTHON).with_name("deliberate"))
HEAVY = ("sklearn", "scipy", "scipy.sparse", "scipy.optimize", "pandas", "alembic", "torch", "sentence_transformers")


def timed(command: list[str], env: dict[str, str], repeat: int) -> tuple[list[float], list[float]]:
    """Return the wall and CPU seconds of ``repeat`` runs of ``command``, each in a fresh process."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def heavy_modules(code: str, env: dict[str, str]) -> list[str]:
    """Return which of the known heavy modules ``code`` imports."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    done = subprocess.run([PYTHON, "-c", probe], env=env, capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []


def largest_imports(env: dict[str, str], count: int = 8) -> list[tuple[float, str]]:
    """Return the ``count`` largest top-level third-party imports of create_app(), in seconds (cumulative)."""
    done = subprocess.run([PYTHON, "-X", "importtime", "-c", "from deliberate.app import create_app; create_app()"],
                          env=env, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if found:
            rows.append((int(found.group(1)) / 1e6, len(found.group(2)) // 2, found.group(3)))
    largest, stack = [], []
    for seconds, depth, name in reversed(rows):  # parents come after their children
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else ""
        stack.append((depth, name))
        if parent.startswith("deliberate") and not name.startswith("deliberate"):
            largest.append((seconds, f"{parent} -> {name}"))
    return sorted(largest, reverse=True)[:count]


def report(label: str, walls: list[float], cpus: list[float], target: float | None = None) -> None:
    verdict = ""
    if target is not None:
        verdict = f"; target {target:.1f} s: best run {'within' if min(walls) <= target else 'OVER'} it"
    print(f"{label:<38} wall best {min(walls):.2f} s, median {statistics.median(walls):.2f} s; "
          f"CPU best {min(cpus):.2f} s, median {statistics.median(cpus):.2f} s{verdict}; load {os.getloadavg()[0]:.1f}")


def main() -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each and a 5,000-ballot tally file")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    n_ballots = 5_000 if args.quick else 100_000

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
          "(other work may be running: compare CPU times)")
    with tempfile.TemporaryDirectory() as scratch:
        # As an installed wheel runs: bytecode compiled once and cached (here in a scratch directory, so the
        # checkout is left as it is), even where the environment says not to write it.
        env = {**os.environ, "DELIBERATE_INSTANCE_PATH": str(Path(scratch) / "instance"),
               "PYTHONPYCACHEPREFIX": str(Path(scratch) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        uncached = {key: value for key, value in env.items() if key != "PYTHONPYCACHEPREFIX"}
        uncached["PYTHONDONTWRITEBYTECODE"] = "1"  # the libraries' cached bytecode is still read
        ballots = Path(scratch) / "ballots.json"
        ballots.write_bytes(orjson.dumps(generate(n_ballots, 60, 50)))
        print(f"tally file: {n_ballots:,} ballots x 60 items in 50 clubs, {ballots.stat().st_size / 2**20:.1f} MiB; "
              f"{repeat} runs of each")
        app = "from deliberate.app import create_app; create_app()"
        timed([PYTHON, "-c", app], env, 1)  # writes the bytecode cache
        report("python -c pass", *timed([PYTHON, "-c", "pass"], env, repeat))
        report("create_app() without bytecode cache", *timed([PYTHON, "-c", app], uncached, repeat))
        report("create_app()", *timed([PYTHON, "-c", app], env, repeat), target=0.5)
        report("deliberate --help", *timed([DELIBERATE, "--help"], env, repeat), target=0.5)
        report("deliberate tally (ranking)", *timed([DELIBERATE, "tally", str(ballots)], env, repeat))
        report("deliberate tally --selection pav", *timed(
            [DELIBERATE, "tally", str(ballots), "--seats", "10", "--selection", "pav"], env, repeat))
        tally = f"from deliberate.cli import main; main(['tally', {str(ballots)!r}], standalone_mode=False)"
        print(f"heavy modules imported: create_app() {heavy_modules(app, env) or 'none'}; "
              f"deliberate tally {heavy_modules(tally + ' # ', env) or 'none'}")
        print("largest third-party imports of create_app() (python -X importtime, cumulative wall):")
        for seconds, edge in largest_imports(env):
            print(f"  {seconds:5.2f} s  {edge}")
    print(json.dumps({"ballots": n_ballots, "repeat": repeat}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
