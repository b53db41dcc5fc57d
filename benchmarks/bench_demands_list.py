"""Measure the demands list: server time and SQL queries for a page listing 1,000 demands.

Run ``.venv/bin/python benchmarks/bench_demands_list.py`` (SQLite in a temporary folder), or with
``--database postgresql+psycopg://postgres@127.0.0.1:5432/bench`` (the database is emptied first). It builds a
federation of 8 clubs and 80 members with a collecting consultation of 1,000 demands (categories, targets, three
languages, reaction counts, a few withdrawn, hidden and endorsed), logs a member in, and requests:

- the full listing on one page (``per_page=1000``), newest first and by most reactions;
- a text search over title and body on the full listing;
- the default first page (20 demands);
- a demand's page.

Each request runs in-process through Flask's test client (``--repeat`` times after two warm-ups, 5 with
``--quick``); it prints the median and the 90th percentile in milliseconds, the number of SQL statements (an
SQLAlchemy ``before_cursor_execute`` listener) and the size of the HTML.

The 90th percentile is dominated by the cyclic garbage collector's full collections over the whole heap (numpy,
scikit-learn and the app's modules): ``--gc-freeze`` moves everything alive after start-up out of the collector's
reach (``gc.freeze()``, what a production server can do once the app is built), which removes that tail.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402

from deliberate.app import create_app  # noqa: E402
from deliberate.domain.phases import Phase  # noqa: E402
from deliberate.extensions import db  # noqa: E402
from deliberate.models import (  # noqa: E402
    Category,
    Consultation,
    Demand,
    Language,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Role,
    Target,
    User,
    utcnow,
)

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway benchmark account
WORDS = [
    "agua", "potable", "camino", "pavimentar", "clínica", "médico", "becas", "estudiantes", "consulado", "matrícula",
    "pasaporte", "DACA", "remesas", "comisiones", "cooperativa", "mujeres", "jóvenes", "fútbol", "feria", "danza",
    "drenaje", "alumbrado", "escuela",
]


def build(app, demands: int) -> tuple[int, int, str]:
    """Create the federation, members and consultation; return (consultation id, a demand id, a member's email)."""
    from werkzeug.security import generate_password_hash

    rng = random.Random(7)
    with app.app_context():
        db.drop_all()
        db.create_all()
        federation = Organization(kind=OrganizationKind.FEDERATION, name="Bench Federation", slug="bench",
                                  description="")
        db.session.add(federation)
        db.session.flush()
        clubs = [Organization(kind=OrganizationKind.CLUB, name=f"Club {n}", slug=f"club-{n}", parent=federation,
                              description="") for n in range(8)]
        db.session.add_all(clubs)
        categories = [Category(federation_id=federation.id, slug=f"c{n}", name_es=f"Categoría {n}",
                               name_en=f"Category {n}", position=n) for n in range(8)]
        db.session.add_all(categories)
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = [User(email=f"m{n}@bench.example.org", display_name=f"Member {n}", password_hash=password_hash,
                      locale="en", is_admin=False, is_deleted=False) for n in range(80)]
        db.session.add_all(users)
        db.session.flush()
        for n, user in enumerate(users):
            db.session.add(Membership(user_id=user.id, organization_id=clubs[n % 8].id,
                                      role=Role.OFFICER if n < 8 else Role.MEMBER, status=MembershipStatus.ACTIVE))
        consultation = Consultation(federation_id=federation.id, title_es="Agenda", title_en="Agenda",
                                    phase=Phase.COLLECTING)
        db.session.add(consultation)
        db.session.flush()
        now = utcnow()
        rows = []
        for n in range(demands):
            author = users[rng.randrange(80)]
            title = " ".join(rng.choices(WORDS, k=rng.randint(4, 10))).capitalize()[:140]
            body = " ".join(rng.choices(WORDS, k=rng.randint(20, 120)))
            created = now - timedelta(minutes=n * 7)
            rows.append({
                "consultation_id": consultation.id, "author_id": author.id, "club_id": clubs[(author.id - 1) % 8].id,
                "title": title, "body": body, "body_html": f"<p>{body}</p>", "category_id": categories[n % 8].id,
                "target": list(Target)[n % 7], "language": list(Language)[n % 3], "version": 1 + (n % 11 == 0),
                "is_withdrawn": n % 97 == 0, "hidden_at": now if n % 89 == 0 else None,
                "endorsed_at": now if n % 13 == 0 else None, "agree_count": rng.randint(0, 60),
                "disagree_count": rng.randint(0, 30), "pass_count": rng.randint(0, 10), "created_at": created,
                "updated_at": created,
            })
        db.session.execute(insert(Demand), rows)
        db.session.commit()
        visible = db.select(Demand.id).where(Demand.hidden_at.is_(None), Demand.is_withdrawn.is_(False))
        first_demand = db.session.scalar(visible.order_by(Demand.id))
        return consultation.id, first_demand, users[20].email


def measure(client, engine, path: str, repeat: int) -> tuple[float, float, int, int]:
    """Return (median ms, p90 ms, statements per request, bytes) for GET path."""
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    for _ in range(2):
        assert client.get(path).status_code == 200, path
    times = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(repeat):
            statements[0] = 0
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))], statements[0], len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--demands", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--gc-freeze", action="store_true", help="call gc.freeze() once the app and data are built")
    parser.add_argument("--quick", action="store_true", help="5 requests each instead of --repeat (for `make bench`)")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 5
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DELIBERATE_INSTANCE_PATH"] = folder
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost"})
        consultation, demand, email = build(app, args.demands)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert client.post("/account/login", data={"email": email, "password": PASSWORD}).status_code == 302
        with app.app_context():
            engine = db.engine
        base = f"/consultations/{consultation}/demands"
        print(f"database: {engine.dialect.name}; {args.demands} demands; {args.repeat} requests each after 2 warm-ups"
              f"{'; gc.freeze() after start-up' if args.gc_freeze else ''}")
        print(f"{'page':<48} {'median ms':>9} {'p90 ms':>8} {'queries':>8} {'KiB':>6}")
        for label, path in [
            (f"all {args.demands} on one page, newest first", f"{base}?per_page={args.demands}"),
            (f"all {args.demands} on one page, most reactions", f"{base}?per_page={args.demands}&sort=reactions"),
            ("text search 'agua' over all, one page", f"{base}?per_page={args.demands}&q=agua"),
            ("first page (20)", base),
            ("a demand's page", f"/demands/{demand}"),
        ]:
            median, p90, queries, size = measure(client, engine, path, args.repeat)
            print(f"{label:<48} {median:>9.1f} {p90:>8.1f} {queries:>8} {size / 1024:>6.0f}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
