"""Measure the import-polis command: seconds for the largest real Polis folder and for 50,000 synthetic reactions.

Run ``.venv/bin/python benchmarks/bench_import_polis.py`` (SQLite in a temporary folder; set
DELIBERATE_BENCH_DATABASE_URL to a PostgreSQL URL to measure there, on an emptied schema). For each folder it prints
the time of the first import (reading the CSV files included), of a second, idempotent run, and the figures.

Real data: gathered using the Polis software (compdemocracy.org/polis) and sub-licensed under CC BY 4.0 with
Attribution to The Computational Democracy Project (see tests/data/polis/README.md).
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deliberate.app import create_app  # noqa: E402
from deliberate.deliberation.polis_import import import_polis_export  # noqa: E402
from deliberate.extensions import db  # noqa: E402
from deliberate.models import Consultation, Organization, OrganizationKind  # noqa: E402
from deliberate.polis import read_polis_export  # noqa: E402

POLIS = ROOT / "tests" / "data" / "polis"


def largest_real_folder() -> Path | None:
    folders = [p for p in POLIS.iterdir() if (p / "votes.csv").is_file()] if POLIS.is_dir() else []
    return max(folders, key=lambda p: (p / "votes.csv").stat().st_size) if folders else None


def synthetic_folder(target: Path, reactions: int = 50_000, people: int = 1_000, statements: int = 120) -> Path:
    """Write a Polis-shaped folder with exactly ``reactions`` latest votes (plus 5% earlier, superseded votes)."""
    rng = random.Random(7)
    target.mkdir(parents=True, exist_ok=True)
    with (target / "comments.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
                         "comment-body"])
        for s in range(statements):
            writer.writerow([1_600_000_000_000 + s, "", s, rng.randrange(people), 0, 0, -1 if s % 40 == 39 else 1,
                             f"Propuesta sintética número {s}: más apoyo para el club {s % 17}"])
    pairs = rng.sample(range(people * statements), reactions)
    with (target / "votes.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for n, pair in enumerate(pairs):
            voter, statement = divmod(pair, statements)
            if n % 20 == 0:
                writer.writerow([1_600_000_000_000 + n, "", statement, voter, rng.choice((-1, 0, 1))])
            writer.writerow([1_700_000_000_000 + n, "", statement, voter, rng.choice((-1, 0, 1))])
    return target


def measure(app, folder: Path, label: str) -> None:
    with app.app_context():
        federation = Organization(kind=OrganizationKind.FEDERATION, name=label, slug=f"bench-{time.monotonic_ns()}",
                                  description="")
        db.session.add(federation)
        db.session.flush()
        consultation = Consultation(federation_id=federation.id, title_es=label, title_en=label)
        db.session.add(consultation)
        db.session.commit()
        consultation_id = consultation.id
    times = []
    for _ in range(2):
        with app.app_context():
            start = time.perf_counter()
            export = read_polis_export(folder)
            result = import_polis_export(db.session.get(Consultation, consultation_id), export)
            times.append(time.perf_counter() - start)
    print(f"{label:<40} demands {result.demands:>5}  reactions {result.reactions:>6}  participants "
          f"{result.participants:>5}   first import {times[0]:6.2f} s   second (idempotent) {times[1]:6.2f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DELIBERATE_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["DELIBERATE_INSTANCE_PATH"] = str(Path(tmp) / "instance")
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                          "SERVER_NAME": "localhost"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            print(f"database: {db.engine.dialect.name}")
        real = largest_real_folder()
        if real is not None:
            measure(app, real, f"Polis {real.name}")
        else:
            print(f"the Polis conversations are not at {POLIS}")
        measure(app, synthetic_folder(Path(tmp) / "synthetic"), "synthetic 50,000 reactions")
        with app.app_context():
            db.session.remove()
            if db.engine.dialect.name != "sqlite":
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
