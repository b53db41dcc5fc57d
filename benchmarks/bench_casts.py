"""Measure casting a ballot: server time per cast, casts per second on 2 workers, a burst of 50 simultaneous casts.

Run ``nice -n 10 .venv/bin/python benchmarks/bench_casts.py`` (``--quick``: 150 members, 4 bursts). It needs
PostgreSQL (``--database``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/bench_casts``, emptied first)
and Redis (``--redis``, default ``redis://127.0.0.1:6379/0``: the throttles count there, as in production). It
seeds the demo federation with ``--members`` synthetic members (``deliberate seed-demo --members N``), opens the
demo consultation for voting (``deliberate demo-vote``), serves the site with gunicorn (``--web-workers``, default
2) and logs every synthetic member in through the log-in page, each with a browser of their own. Then:

1. throughput: ``--voters`` (default 50) browsers cast at once, over and over, until every member has cast (the
   casts are erased between rounds, so ``--rounds`` rounds of every member): casts per second;
2. bursts: ``--bursts`` times, ``--burst`` (default 50) members press "cast" at the same instant (a barrier
   releases the threads together): p50, p95 and the slowest answer of each burst, and the burst's casts/s.

The answer measured is the cast's own (its redirect to the receipt, not followed). Server time is measured inside
each gunicorn worker by a WSGI middleware around the application (this module's :func:`timed_app`): wall time
and the worker's CPU time for every cast request, with the response's body read. The machine's 2 cores are shared
with other work (and with this script's client threads), so the load average and the CPU time of the client are
printed beside the wall times. ``--profile`` also runs ``--profile-casts`` casts in this process through Flask's
test client under cProfile and prints the functions that cost most.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.bench_jobs import Browser as SiteBrowser  # noqa: E402 - one set-up for both
from benchmarks.bench_jobs import reset_database, run_deliberate  # noqa: E402
from deliberate.app import create_app  # noqa: E402

PYTHON = sys.executable
PASSWORD = "demo-federacion-2026"  # noqa: S105 - the demo's published password (deliberate.demo.content)
CAST_PATH = re.compile(r"/consultations/\d+/ballot/cast$")
TIMES_ENV = "BENCH_CASTS_TIMES"


# --- inside each gunicorn worker -----------------------------------------------------------------------------------

def timed_app():
    """Return the site's WSGI app, logging the wall and CPU time of every cast (gunicorn 'bench_casts:timed_app()').

    One line per cast, appended to the file named by BENCH_CASTS_TIMES: "wall_ms cpu_ms status". A short write to
    a file opened for appending is atomic, so both workers share one file.
    """
    from deliberate.wsgi import app  # here: importing it builds the site, which only a worker should do

    log = open(os.environ[TIMES_ENV], "a", buffering=1)  # noqa: SIM115 - open for the worker's life

    def timed(environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or not CAST_PATH.search(environ.get("PATH_INFO", "")):
            return app(environ, start_response)
        status = []

        def remember(code, headers, *rest):
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, *rest)

        wall, cpu = time.perf_counter(), time.process_time()
        result = app(environ, remember)
        try:
            body = [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()
        log.write(f"{(time.perf_counter() - wall) * 1000:.3f} {(time.process_time() - cpu) * 1000:.3f} "
                  f"{status[0] if status else '-'}\n")
        return body

    return timed


# --- the client ----------------------------------------------------------------------------------------------------

class Browser(SiteBrowser):
    """One member's browser: cookies, the ballot's CSRF token and item ids."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.token = ""
        self.items: list[int] = []

    def log_in(self, email: str, consultation_id: int) -> None:
        status, _ = self.post("/account/login", {"csrf_token": self.csrf(self.get("/account/login")),
                                                 "email": email, "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"{email} could not log in ({status})")
        page = self.get(f"/consultations/{consultation_id}/ballot")
        self.token = self.csrf(page)
        self.items = sorted({int(n) for n in re.findall(r'name="rank_(\d+)"', page)})

    def cast(self, consultation_id: int, rng: random.Random) -> tuple[int, float]:
        order = rng.sample(self.items, len(self.items))
        ranked = order[:rng.randint(1, len(order))]
        fields = {"csrf_token": self.token, **{f"rank_{item}": "" for item in self.items},
                  **{f"rank_{item}": str(n) for n, item in enumerate(ranked, start=1)},
                  **{f"support_{item}": "1" for item in ranked[:rng.randint(0, len(ranked))]}}
        return self.post(f"/consultations/{consultation_id}/ballot/cast", fields)


# --- set-up --------------------------------------------------------------------------------------------------------



def _seed(options, environment: dict) -> int:
    """Seed the demo federation with the synthetic members and open its vote; return the consultation's id."""
    engine = create_engine(options.database)
    if options.reuse_database:
        try:
            with engine.connect() as connection:
                found = connection.execute(text(
                    "SELECT count(*) FROM \"user\" WHERE email LIKE 'member-%'")).scalar()
                voting = connection.execute(text("SELECT id FROM consultation WHERE phase = 'voting'")).scalar()
            if found == options.members and voting:
                _erase_casts(engine, voting)
                engine.dispose()
                print("Database kept (already seeded and voting); its casts erased")
                return voting
        except Exception:  # noqa: BLE001, S110 - no such database yet: seed one
            pass
    engine.dispose()
    reset_database(options.database)
    run_deliberate(environment, "db", "upgrade")
    started = time.perf_counter()
    run_deliberate(environment, "seed-demo", "--members", str(options.members))
    output = run_deliberate(environment, "demo-vote")
    print(f"Seeded and opened the vote in {time.perf_counter() - started:.1f} s")
    return int(re.search(r'"consultation_id": (\d+)', output).group(1))


def _erase_casts(engine, consultation_id: int) -> None:
    """Forget every cast of the vote, so that the same members can cast again (a benchmark's shortcut)."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM ballot_cast WHERE consultation_id = :c"), {"c": consultation_id})
        connection.execute(text("DELETE FROM sealed_ballot WHERE consultation_id = :c"), {"c": consultation_id})


def _members(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        emails = list(connection.execute(text(
            "SELECT email FROM \"user\" WHERE email LIKE 'member-%' ORDER BY id")).scalars())
    engine.dispose()
    return emails


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310 - http on this machine
        return True
    except OSError:
        time.sleep(0.3)
        return False


# --- measuring -----------------------------------------------------------------------------------------------------

class ServerTimes:
    """The cast lines the workers wrote since the last call."""

    def __init__(self, path: Path) -> None:
        self.path, self.seen = path, 0

    def take(self) -> list[tuple[float, float, str]]:
        time.sleep(0.2)  # the workers write their line after answering
        lines = self.path.read_text().splitlines()
        new, self.seen = lines[self.seen:], len(lines)
        return [(float(wall), float(cpu), status) for wall, cpu, status in (line.split() for line in new)]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(share * len(ordered))) - 1)]


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _throughput(browsers: list[Browser], consultation_id: int, voters: int, rounds: int, engine,
                times: ServerTimes) -> dict:
    """Every member casts once per round, ``voters`` at a time; return casts/s and the server's times."""
    elapsed, statuses, latencies = 0.0, [], []
    load_before = os.getloadavg()[0]
    client_cpu = time.process_time()
    for round_number in range(rounds):
        _erase_casts(engine, consultation_id)
        start = time.perf_counter()
        _cast_each(browsers, consultation_id, voters, round_number, statuses, latencies)
        elapsed += time.perf_counter() - start
    server = times.take()
    return {"casts": len(statuses), "seconds": elapsed, "rate": len(statuses) / elapsed, "statuses": statuses,
            "latencies": latencies, "server": server, "load_before": load_before, "load_after": os.getloadavg()[0],
            "client_cpu": time.process_time() - client_cpu}


def _cast_each(browsers: list[Browser], consultation_id: int, voters: int, seed: int, statuses: list[int],
               latencies: list[float]) -> None:
    """Let every browser cast once, ``voters`` threads casting at a time; append each answer's status and time."""
    pending = list(reversed(browsers))
    lock = threading.Lock()

    def voter(rng: random.Random) -> None:
        while True:
            with lock:
                if not pending:
                    return
                browser = pending.pop()
            status, seconds = browser.cast(consultation_id, rng)
            statuses.append(status)
            latencies.append(seconds * 1000)

    threads = [threading.Thread(target=voter, args=(random.Random(seed * 1000 + n),)) for n in range(voters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _burst(browsers: list[Browser], consultation_id: int, seed: int) -> tuple[list[float], list[int], float]:
    """Release one thread per browser at the same instant; return the answers' times (ms), statuses and span (s)."""
    barrier = threading.Barrier(len(browsers) + 1)
    latencies: list[float] = [0.0] * len(browsers)
    statuses: list[int] = [0] * len(browsers)
    ends: list[float] = [0.0] * len(browsers)

    def voter(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        barrier.wait()
        statuses[index], seconds = browsers[index].cast(consultation_id, rng)
        latencies[index] = seconds * 1000
        ends[index] = time.perf_counter()

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(len(browsers))]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # every thread waits at the barrier
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, statuses, max(ends) - start


def _profile(options, environment: dict, consultation_id: int, emails: list[str]) -> None:
    """Cast through Flask's test client in this process under cProfile; print where a cast's time goes."""
    os.environ.update(environment)
    app = create_app()
    engine = create_engine(options.database)
    clients = []
    for email in emails[:options.profile_casts]:
        client = app.test_client()
        page = client.get("/account/login").get_data(as_text=True)
        response = client.post("/account/login", data={"csrf_token": Browser.csrf(page), "email": email,
                                                       "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        page = client.get(f"/consultations/{consultation_id}/ballot").get_data(as_text=True)
        items = sorted({int(n) for n in re.findall(r'name="rank_(\d+)"', page)})
        clients.append((client, Browser.csrf(page), items))
    _erase_casts(engine, consultation_id)
    profiler = cProfile.Profile()
    cpu = time.process_time()
    for client, token, items in clients:
        data = {"csrf_token": token, **{f"rank_{item}": str(n) for n, item in enumerate(items, start=1)},
                f"support_{items[0]}": "1"}
        profiler.enable()
        response = client.post(f"/consultations/{consultation_id}/ballot/cast", data=data)
        profiler.disable()
        assert response.status_code == 302, response.status_code
    cpu = (time.process_time() - cpu) * 1000 / len(clients)
    _erase_casts(engine, consultation_id)
    engine.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(options.profile_lines)
    print(f"\nProfile of {len(clients)} casts in this process (test client, {cpu:.1f} ms CPU per cast with the "
          "profiler's overhead), by cumulative time:")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="150 members, 4 bursts, 1 round")
    parser.add_argument("--voters", type=int, default=50, help="browsers casting at once in the throughput part")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every member casting (throughput)")
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_casts")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--reuse-database", action="store_true",
                        help="keep the database when it already holds the synthetic members and a vote")
    parser.add_argument("--profile", action="store_true", help="also profile casts in this process (cProfile)")
    parser.add_argument("--profile-casts", type=int, default=50)
    parser.add_argument("--profile-lines", type=int, default=40)
    options = parser.parse_args()
    if options.quick:
        options.members, options.bursts, options.rounds = 150, 4, 1
    if options.members < max(options.burst, options.voters):
        raise SystemExit("--members must be at least --burst and --voters")

    instance = Path(tempfile.mkdtemp(prefix="bench-casts-"))
    times_path = instance / "casts.times"
    times_path.touch()
    port = _free_port()
    environment = {
        **os.environ, "DELIBERATE_DATABASE_URL": options.database, "DELIBERATE_REDIS_URL": options.redis,
        "DELIBERATE_JOBS_QUEUE": f"bench-casts-{uuid.uuid4().hex[:8]}", "DELIBERATE_SECRET_KEY": uuid.uuid4().hex,
        "DELIBERATE_BASE_URL": f"http://127.0.0.1:{port}", "DELIBERATE_SECURE_COOKIES": "0",
        "DELIBERATE_WORKERS": str(options.web_workers), "DELIBERATE_INSTANCE_PATH": str(instance),
        TIMES_ENV: str(times_path),
    }
    print(f"Machine: {os.cpu_count()} cores, load average {_load()}; {options.members:,} synthetic members, "
          f"{options.web_workers} gunicorn workers (sync), PostgreSQL, throttles in Redis")
    consultation_id = _seed(options, environment)
    emails = _members(options.database)
    web = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "-w", str(options.web_workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "--backlog", "2048", "--pythonpath", str(ROOT / "benchmarks"),
         "bench_casts:timed_app()"],
        env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = create_engine(options.database)
    summary = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while not _answers(base):
            if time.monotonic() > deadline or web.poll() is not None:
                raise SystemExit("gunicorn did not start")
        started = time.perf_counter()
        browsers = [Browser(base) for _ in emails]
        pending = list(zip(browsers, emails, strict=True))
        lock = threading.Lock()

        def log_in() -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    browser, email = pending.pop()
                browser.log_in(email, consultation_id)

        threads = [threading.Thread(target=log_in) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"{len(browsers)} members logged in, each with a browser of their own, in "
              f"{time.perf_counter() - started:.1f} s; the ballot has {len(browsers[0].items)} items")
        times = ServerTimes(times_path)

        # warm-up: every worker loads its templates, connections and caches
        _throughput(browsers[:options.voters], consultation_id, options.voters, 1, engine, times)

        result = _throughput(browsers, consultation_id, options.voters, options.rounds, engine, times)
        wall = [w for w, _c, _s in result["server"]]
        cpu = [c for _w, c, _s in result["server"]]
        bad = sum(1 for status in result["statuses"] if status != 302)
        print(f"\n1. Throughput: {result['casts']:,} casts by {options.voters} browsers at a time in "
              f"{result['seconds']:.2f} s = {result['rate']:.0f} casts/s ({bad} not answered 302)")
        print(f"   server time per cast (in the workers): median {statistics.median(wall):.1f} ms wall, "
              f"{statistics.median(cpu):.1f} ms CPU (mean {statistics.fmean(cpu):.1f} ms CPU, p95 "
              f"{_percentile(wall, 0.95):.1f} ms wall)")
        print(f"   answers seen by the browsers: p50 {statistics.median(result['latencies']):.0f} ms, "
              f"p95 {_percentile(result['latencies'], 0.95):.0f} ms; client CPU "
              f"{result['client_cpu'] * 1000 / result['casts']:.1f} ms per cast; load {result['load_before']:.2f} "
              f"before, {result['load_after']:.2f} after")
        summary["server time per cast"] = (f"{statistics.median(wall):.1f} ms wall, {statistics.median(cpu):.1f} ms "
                                           f"CPU (medians)")
        summary["throughput"] = (f"{result['rate']:.0f} casts/s at {options.voters} browsers at a time "
                                 f"(load {result['load_before']:.2f} before)")

        print(f"\n2. Bursts: {options.bursts} times, {options.burst} members press \"cast\" at the same instant")
        p95s, p50s, rates, every = [], [], [], []
        client_cpu = time.process_time()
        load_before = os.getloadavg()[0]
        for number in range(options.bursts):
            _erase_casts(engine, consultation_id)
            time.sleep(0.5)
            chosen = browsers[(number * options.burst) % (len(browsers) - options.burst + 1):][:options.burst]
            latencies, statuses, span = _burst(chosen, consultation_id, number)
            server = times.take()
            bad = sum(1 for status in statuses if status != 302)
            p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
            p50s.append(p50)
            p95s.append(p95)
            rates.append(len(latencies) / span)
            every.extend(latencies)
            print(f"   burst {number + 1}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, slowest {max(latencies):.0f} ms, "
                  f"all answered in {span * 1000:.0f} ms = {len(latencies) / span:.0f} casts/s; server median "
                  f"{statistics.median(w for w, _c, _s in server):.1f} ms wall, "
                  f"{statistics.median(c for _w, c, _s in server):.1f} ms CPU; {bad} not 302; load "
                  f"{os.getloadavg()[0]:.2f}")
        client_cpu = (time.process_time() - client_cpu) * 1000 / len(every)
        print(f"   all bursts: p50 {statistics.median(every):.0f} ms, p95 {_percentile(every, 0.95):.0f} ms "
              f"(median of the bursts' p95: {statistics.median(p95s):.0f} ms), {statistics.median(rates):.0f} casts/s "
              f"(median); client CPU {client_cpu:.1f} ms per cast")
        summary["burst of 50"] = (f"p95 {_percentile(every, 0.95):.0f} ms, p50 {statistics.median(every):.0f} ms over "
                                  f"{options.bursts} bursts, {statistics.median(rates):.0f} casts/s (load "
                                  f"{load_before:.2f} before)")
        _erase_casts(engine, consultation_id)
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=60)
        except subprocess.TimeoutExpired:
            web.kill()
        engine.dispose()
    if options.profile:
        _profile(options, environment, consultation_id, emails)
    print(f"\nSummary ({options.members:,} members, {options.web_workers} workers; machine: {os.cpu_count()} cores, "
          f"load average {_load()} at the end):")
    for part, figures in summary.items():
        print(f"   {part}: {figures}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
