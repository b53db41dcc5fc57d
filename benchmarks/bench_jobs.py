"""Measure background work at a federation's scale: a phase change, its 40,000 emails, a digest run, a killed worker.

Run ``.venv/bin/python benchmarks/bench_jobs.py`` (``--quick``: 2,000 members). It needs PostgreSQL and Redis on
this machine (``--database``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs``, emptied first;
``--redis``, default ``redis://127.0.0.1:6379/0``, under a queue name of its own). It seeds the demo federation
with ``--members`` synthetic members (``deliberate seed-demo --members N``), serves the site with gunicorn
(``--web-workers``, default 2) and runs ``--job-workers`` (default 2) ``deliberate worker`` processes, mailing a
local SMTP sink (aiosmtpd). Then it prints:

1. the board's phase-change request, timed over ``--requests`` moves (median, 95th percentile), while no worker
   runs: what the request itself costs (it records the fan-out and returns);
2. delivery of that phase change to every member by the job workers: notifications and emails per second, and
   whether every member got exactly one email;
3. the same with one worker killed (``kill -9``) once a third of the emails arrived and a new worker started,
   ``--kills`` times (default 3), each a new phase change: emails lost and duplicated (the sweeper hands the dead
   worker's claims to the others after ``DELIBERATE_JOBS_STALE_SECONDS``, 15 here). The kill comes from another
   process at a random instant 50 to 250 ms after a third arrived, as a real one would: sent from this process,
   which hosts the sink, the signal left when the sink let go of the interpreter, as it answered a message, so it
   fell more often than chance inside the window that repeats a message. That window no SMTP client can close
   (RFC 1047): a message whose last byte left before the kill, which the sink takes and answers after it. Such a
   message was never marked sent, so it is sent again (the same Message-ID); a message the worker heard "250"
   for is marked at once and never repeated, and none is lost;
4. a daily digest run for every member (all chose the daily summary for phase changes): the job's time, then the
   time until every digest was delivered.

Messages are counted by their Message-ID, which follows from each message's idempotency key (``notification:
<fan-out>:<member>``): a repeat has the same one, whatever the language of its subject. ``--reuse-database``
keeps a database already seeded with as many members (seeding 40,000 takes a while); the runs' consultations
are new each time. The figures end with a summary: p95, emails/s, digest time, the kill test, the machine and its
load average when each part ran.
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.smtp_sink import SmtpSink, free_port  # noqa: E402

PYTHON = sys.executable
DELIBERATE = [PYTHON, "-c", "from deliberate.cli import main; main()"]


def reset_database(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (its contents are thrown away)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def run_deliberate(environment: dict, *args: str) -> str:
    """Run a ``deliberate`` command in a fresh interpreter and return what it printed; stop if it fails."""
    done = subprocess.run([*DELIBERATE, *args], env=environment, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"deliberate {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a POST's answer is its redirect: measure it, do not follow it
        return None


class Browser:
    """A browser on the site: its cookies; it reads pages, sends forms and times their answer (not following it)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict) -> tuple[int, float]:
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=data,  # noqa: S310 - http on this machine
                                         headers={"Accept-Language": "es"})
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=120) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            error.read()
            status = error.code
        return status, time.perf_counter() - start

    @staticmethod
    def csrf(page: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _wait(what, until, stall: float = 180.0, every: float = 0.5) -> float:
    """Wait until ``until()`` is true; give up when nothing changed for ``stall`` seconds; return the seconds."""
    start = last_change = time.monotonic()
    last = None
    while not until():
        now_value = what()
        if now_value != last:
            last, last_change = now_value, time.monotonic()
        if time.monotonic() - last_change > stall:
            print(f"  (stalled at {now_value})")
            break
        time.sleep(every)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=40_000)
    parser.add_argument("--quick", action="store_true", help="2,000 members, 5 requests")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8,
                        help="threads of each job worker (sending mostly waits for the mail server and the database: "
                             "threads overlap that waiting)")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--kills", type=int, default=3, help="how many times a worker is killed (part 3)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: latency,delivery,kill,digest")
    parser.add_argument("--reuse-database", action="store_true",
                        help="keep the database when it already holds the synthetic members")
    options = parser.parse_args()
    if options.quick:
        options.members, options.requests = 2_000, 5
    skip = set(filter(None, options.skip.split(",")))

    instance = tempfile.mkdtemp(prefix="bench-jobs-")
    port = free_port()
    sink = SmtpSink().__enter__()
    environment = {
        **os.environ, "DELIBERATE_DATABASE_URL": options.database, "DELIBERATE_REDIS_URL": options.redis,
        "DELIBERATE_JOBS_QUEUE": f"bench-jobs-{uuid.uuid4().hex[:8]}", "DELIBERATE_SECRET_KEY": uuid.uuid4().hex,
        "DELIBERATE_BASE_URL": f"http://127.0.0.1:{port}", "DELIBERATE_SECURE_COOKIES": "0",
        "DELIBERATE_WORKERS": str(options.web_workers), "DELIBERATE_MAIL_SERVER": "127.0.0.1",
        "DELIBERATE_MAIL_PORT": str(sink.port), "DELIBERATE_MAIL_USE_TLS": "0", "DELIBERATE_INSTANCE_PATH": instance,
        "DELIBERATE_JOBS_STALE_SECONDS": "15",
    }
    os.environ.update(environment)
    print(f"Machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {options.members:,} synthetic members, "
          f"{options.web_workers} gunicorn workers, {options.job_workers} job workers x {options.threads} threads")
    if not (options.reuse_database and _seeded(options.database, options.members)):
        reset_database(options.database)
        run_deliberate(environment, "db", "upgrade")
        started = time.perf_counter()
        run_deliberate(environment, "seed-demo", "--members", str(options.members))
        print(f"Seeded in {time.perf_counter() - started:.1f} s")
    else:
        run_deliberate(environment, "db", "upgrade")
        engine = create_engine(options.database)
        with engine.begin() as connection:  # the last run's digest part made everyone choose the daily summary
            connection.execute(text("DELETE FROM notification_preference"))
            connection.execute(text("UPDATE notification SET digest = NULL WHERE digest IS NOT NULL"))
        engine.dispose()
        print("Database kept (already seeded); members' choices reset to an email at once")
    summary: dict[str, str] = {}

    from deliberate.app import create_app
    from deliberate.demo import FEDERATION_SLUG
    from deliberate.extensions import db
    from deliberate.mail import message_id
    from deliberate.models import Consultation, Membership, Organization, Role, User

    app = create_app()
    queue = app.extensions["jobs"].huey
    with app.app_context():
        federation = db.session.scalar(db.select(Organization).where(Organization.slug == FEDERATION_SLUG))
        board = db.session.scalars(db.select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.organization_id == federation.id, Membership.role == Role.BOARD)).first()
        board_email = board.email
        consultation_ids = []
        for n in range(options.requests + 3 + options.kills):  # the moves measured, a warm-up, delivery, kills, digest
            consultation = Consultation(federation_id=federation.id, title_es=f"Consulta {n}",
                                        title_en=f"Consultation {n}", description_es="", description_en="")
            db.session.add(consultation)
            db.session.flush()
            consultation_ids.append(consultation.id)
        db.session.commit()
        member_ids = list(db.session.scalars(text(
            "SELECT DISTINCT m.user_id FROM membership m JOIN organization o ON o.id = m.organization_id "
            "JOIN \"user\" u ON u.id = m.user_id WHERE m.status = 'active' AND NOT u.is_deleted "
            "AND NOT u.is_pseudonymous AND (o.id = :f OR o.parent_id = :f)"), {"f": federation.id}))
        audience = len(member_ids)

    def expected_ids() -> set[str]:
        """The Message-IDs of the phase-change emails of this consultation's move, one per member."""
        with app.app_context():
            fanout_id = db.session.scalar(text(  # the moves are made one after another: the newest is this one's
                "SELECT max(id) FROM fanout WHERE kind = 'phase_changed'"))
            return {message_id(f"notification:{fanout_id}:{user_id}") for user_id in member_ids}

    web = subprocess.Popen([str(Path(PYTHON).parent / "gunicorn"), "-w", str(options.web_workers), "-b",
                            f"127.0.0.1:{port}", "--timeout", "120", "deliberate.wsgi:app"],
                           env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        """Start a job worker and return once it has loaded the site (its first line): startup is not delivery."""
        worker = subprocess.Popen([*DELIBERATE, "worker", "--threads", str(options.threads)], env=environment,
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        workers.append(worker)
        worker.stdout.readline()
        return worker

    class Tally:
        """What the sink received of one move's emails, read incrementally while polling."""

        def __init__(self, wanted: set[str]) -> None:
            self.wanted, self.seen, self.counts = wanted, 0, collections.Counter()

        def __call__(self) -> int:
            received = sink.received
            for _to, mid in received[self.seen:]:
                if mid in self.wanted:
                    self.counts[mid] += 1
            self.seen = len(received)
            return len(self.counts)

    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        _wait(lambda: None, lambda: _answers(browser), stall=120)
        page = browser.get("/account/login")
        status, _ = browser.post("/account/login", {"csrf_token": Browser.csrf(page), "email": board_email,
                                                     "password": "demo-federacion-2026"})
        if status != 302:
            raise SystemExit(f"the board member could not log in ({status})")

        def move(consultation_id: int) -> tuple[int, float]:
            form = browser.get(f"/consultations/{consultation_id}/advance?target=collecting")
            status, seconds = browser.post(f"/consultations/{consultation_id}/advance", {
                "csrf_token": Browser.csrf(form), "expected": "draft", "target": "collecting", "confirm": "y"})
            if status != 302:
                raise SystemExit(f"the phase move answered {status}")
            return status, seconds

        print(f"\n1. Phase change (draft -> collecting) for {audience:,} members, over {options.requests} moves, "
              "no job worker running:")
        if "latency" not in skip:
            move(consultation_ids[-1])  # warm-up
            times = []
            for consultation_id in consultation_ids[:options.requests]:
                status, seconds = move(consultation_id)
                if status != 302:
                    raise SystemExit(f"the phase move answered {status}")
                times.append(seconds * 1000)
            times.sort()
            p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
            print(f"   median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms")
            summary["phase change"] = (f"p95 {p95:.0f} ms, median {statistics.median(times):.0f} ms "
                                       f"(load {os.getloadavg()[0]:.1f})")
            queue.flush()  # these moves' fan-outs are not measured: forget them
            with app.app_context():
                db.session.execute(text("DELETE FROM job"))
                db.session.execute(text("DELETE FROM fanout"))
                db.session.commit()

        for _ in range(options.job_workers):
            start_worker()
        if "delivery" not in skip:
            load = os.getloadavg()[0]
            status, seconds = move(consultation_ids[options.requests])
            tally = Tally(expected_ids())
            elapsed = _wait(tally, lambda: tally() >= audience)
            time.sleep(2)  # let a late duplicate, if any, arrive before counting
            tally()
            with app.app_context():
                notified = db.session.scalar(text("SELECT count(*) FROM notification WHERE kind = 'phase_changed'"))
            got = sum(tally.counts.values())
            more = sum(1 for c in tally.counts.values() if c > 1)
            rate = len(tally.counts) / elapsed
            print(f"\n2. Delivery with {options.job_workers} job workers (request {seconds * 1000:.0f} ms):")
            print(f"   {len(tally.counts):,} emails in {elapsed:.1f} s = {rate:.0f} emails/s (from the request to "
                  f"the last email); {notified:,} notifications; {len(tally.counts):,} members reached of "
                  f"{audience:,}, {more} got more than one ({got - len(tally.counts)} extra emails)")
            summary["delivery"] = (f"{rate:.0f} emails/s, {audience - len(tally.counts)} not reached, {more} got "
                                   f"more than one (load {load:.1f} before)")

        moves_done = options.requests + 1
        if "kill" not in skip:
            results = []
            for kill in range(options.kills):
                load = os.getloadavg()[0]
                move(consultation_ids[moves_done])
                moves_done += 1
                tally = Tally(expected_ids())
                _wait(tally, lambda tally=tally: tally() >= audience // 3, every=0.05)
                victim = workers.pop(0)
                # From another process, at a random instant: sent from this one, the signal would leave when the
                # sink (a thread here) lets go of the interpreter, which it does as it answers "250".
                subprocess.run(["sh", "-c", f"sleep {random.uniform(0.05, 0.25):.3f}; kill -9 {victim.pid}"],
                               check=True)
                victim.wait()
                at_kill = tally()
                start_worker()
                elapsed = _wait(tally, lambda tally=tally: tally() >= audience, stall=240)
                time.sleep(5)  # let a late duplicate, if any, arrive before counting
                tally()
                lost = audience - len(tally.counts)
                duplicated = sum(c - 1 for c in tally.counts.values() if c > 1)
                results.append((lost, duplicated))
                print(f"\n3.{kill + 1} A worker killed (kill -9) after {at_kill:,} of {audience:,} emails, a new one "
                      f"started: all done {elapsed:.1f} s after the kill; lost {lost}, duplicated {duplicated} "
                      f"(load {load:.1f})")
            summary["kill"] = (f"{len(results)} kills: lost {sum(r[0] for r in results)}, duplicated "
                               f"{sum(r[1] for r in results)} (each: {', '.join(f'{a}/{b}' for a, b in results)})")

        if "digest" not in skip:
            load = os.getloadavg()[0]
            with app.app_context():
                db.session.execute(text(
                    "INSERT INTO notification_preference (user_id, topic, delivery) SELECT DISTINCT m.user_id, "
                    "'phases', 'daily' FROM membership m ON CONFLICT DO NOTHING"))
                db.session.commit()
            move(consultation_ids[moves_done])
            with app.app_context():
                def waiting() -> int:
                    db.session.rollback()
                    return db.session.scalar(text("SELECT count(*) FROM notification WHERE digest = 'daily'"))

                _wait(waiting, lambda: waiting() >= audience)
                from deliberate.notifications.services import queue_digests

                before = sink.count()
                start = time.monotonic()
                job = queue_digests("daily")

                def job_status() -> str:
                    db.session.rollback()
                    return db.session.scalar(text("SELECT status || ':' || done FROM job WHERE id = :i"),
                                             {"i": job.id})

                _wait(job_status, lambda: job_status().startswith(("done", "dead")))
                written = time.monotonic() - start
                _wait(sink.count, lambda: sink.count() - before >= audience)
                delivered = time.monotonic() - start
                time.sleep(2)
                outcome = job_status()
            digests = collections.Counter(to for to, _mid in sink.received[before:])
            more = sum(1 for c in digests.values() if c > 1)
            print(f"\n4. Daily digest for {audience:,} members: job {outcome} in {written:.1f} s; "
                  f"{sum(digests.values()):,} digests to {len(digests):,} members ({more} got more than one) "
                  f"delivered {delivered:.1f} s after it was queued")
            summary["digest"] = (f"written in {written:.1f} s, all {len(digests):,} delivered in {delivered:.1f} s "
                                 f"(load {load:.1f})")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        web.send_signal(signal.SIGTERM)
        for process in [*workers, web]:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        queue.flush()
        sink.__exit__(None, None, None)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"\nSummary ({options.members:,} members; machine: {os.cpu_count()} cores, {memory:.0f} GiB; load "
          f"average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} at the end):")
    for part, figures in summary.items():
        print(f"   {part}: {figures}")


def _seeded(url: str, members: int) -> bool:
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            found = connection.execute(text("SELECT count(*) FROM \"user\" WHERE email LIKE 'member-%'")).scalar()
        engine.dispose()
    except Exception:  # noqa: BLE001 - no such database yet
        return False
    return found == members


def _answers(browser: Browser) -> bool:
    try:
        browser.get("/healthz")
        return True
    except OSError:
        time.sleep(0.5)
        return False


if __name__ == "__main__":
    main()
