"""Measure the federated count: in memory, end to end from a ballots file, and against pref_voting.

Prints figures; it is not a test. Run ``.venv/bin/python benchmarks/bench_tally.py`` (100,000 ballots over 60
items in 50 clubs, a file of about 64 MB) or add ``--quick`` for a smaller run.

pref_voting builds its pairwise supports in pure Python (about 2.5 ms per ballot over 60 items here), so the full
100,000-ballot profile takes minutes there. In process, it is measured on the first ``--pref-voting-ballots``
ballots of the same file, written as a file of their own, and compared with this code on that same file (same
winners, same margins); the figure for the full file is extrapolated linearly and printed as such.

Then the whole commands, in pairs: ``deliberate tally FILE`` and pref_voting's script
(benchmarks/pref_voting_tally.py FILE), each a fresh interpreter with its imports, one right after the other on
the same file, at each of ``--pairs`` sizes (5,000 and 100,000 ballots by default; ``--pairs 5000`` skips the
100,000-ballot pair, whose pref_voting run takes several minutes). Wall and CPU time of each, and their ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pref_voting_tally import pref_voting_end_to_end  # noqa: E402

from deliberate.ballots.tallyfile import parse_tally  # noqa: E402
from deliberate.domain import federation, tally  # noqa: E402
from deliberate.domain.count import TallyInput, tally_input  # noqa: E402


def generate(n: int, m: int, n_clubs: int, seed: int = 2026) -> dict:
    """Return a ballots file's content: clubs with their own tastes, truncated rankings with some ties."""
    rng = np.random.default_rng(seed)
    names = [f"item-{i:02d}" for i in range(m)]
    club_names = [f"club-{c:02d}" for c in range(n_clubs)]
    sizes = rng.dirichlet(np.full(n_clubs, 2.0))
    club = rng.choice(n_clubs, size=n, p=sizes)
    taste = rng.normal(size=(n_clubs, m)) + rng.normal(size=m)  # shared priorities plus each club's own
    order = np.argsort(-(taste[club] + rng.gumbel(size=(n, m)) * 1.2), axis=1)
    depth = rng.integers(24, m + 1, size=n)
    tie_with_previous = rng.random((n, m)) < 0.1
    approve = np.minimum(rng.integers(1, 21, size=n), depth)
    ballots = []
    for i in range(n):
        tiers: list[list[str]] = []
        for position in range(int(depth[i])):
            name = names[order[i, position]]
            if tiers and tie_with_previous[i, position]:
                tiers[-1].append(name)
            else:
                tiers.append([name])
        approved = [names[order[i, p]] for p in range(int(approve[i]))]
        ballots.append({"club": club_names[club[i]], "ranking": tiers, "approved": approved})
    members = {name: {"members": int(np.sum(club == c) * rng.uniform(1.2, 3))} for c, name in enumerate(club_names)}
    return {"candidates": names, "clubs": members, "ballots": ballots}


class Timing:
    """Hold the median wall time and CPU time of a few runs (CPU time shows what contention hides)."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall = statistics.median(wall)
        self.cpu = statistics.median(cpu)

    def __str__(self) -> str:
        """Describe the timing in one line."""
        return f"{self.wall:.3f} s wall ({self.cpu:.3f} s CPU)"


def timed(function: Callable[[], object], repeat: int = 1, *, pause_gc: bool = False) -> tuple[Timing, object]:
    """Return the timing of ``repeat`` calls and the last call's result."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        result = None  # the previous run's result is freed before the clock starts, not inside the next run
        if pause_gc:
            gc.disable()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        gc.enable()
    return Timing(wall, cpu), result


def count_in_memory(data: TallyInput) -> federation.FederationResult:
    """Count federation + every club + double majority from arrays already in memory."""
    units = federation.club_units(data.ranks, data.approved, data.clubs, data.club_names, data.club_members)
    return federation.combine(units, "members")


def end_to_end(path: Path) -> dict:
    """Read, parse, count and serialise, as ``deliberate tally FILE`` does."""
    result = tally_input(parse_tally(path.read_bytes())).to_dict()
    orjson.dumps(result)
    return result


def command_pairs(path: Path, rounds: int) -> tuple[Timing, Timing]:
    """Time ``deliberate tally FILE`` and pref_voting's script on FILE, alternately, ``rounds`` times each."""
    ours = [str(Path(sys.executable).with_name("deliberate")), "tally", str(path)]
    theirs = [sys.executable, str(Path(__file__).with_name("pref_voting_tally.py")), str(path)]
    runs: dict[int, tuple[list[float], list[float]]] = {0: ([], []), 1: ([], [])}
    for _ in range(rounds):
        for which, command in enumerate((ours, theirs)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            runs[which][0].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[which][1].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return Timing(*runs[0]), Timing(*runs[1])


def main() -> None:
    """Run the measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 ballots and a smaller pref_voting run")
    parser.add_argument("--ballots", type=int, help="number of ballots (default 100,000; 10,000 with --quick)")
    parser.add_argument("--pref-voting-ballots", type=int, help="ballots given to pref_voting (default 5,000)")
    parser.add_argument("--pairs", default="5000,100000",
                        help="sizes at which both whole commands are timed in pairs (comma-separated; '' for none)")
    args = parser.parse_args()
    n = args.ballots or (10_000 if args.quick else 100_000)
    n_pv = min(n, args.pref_voting_ballots or (1_000 if args.quick else 5_000))
    m, n_clubs = 60, 50

    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"generating {n:,} ballots over {m} items in {n_clubs} clubs ...", flush=True)
    content = generate(n, m, n_clubs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ballots.json"
        path.write_bytes(orjson.dumps(content))
        small_path = Path(tmp) / "ballots-pref-voting.json"
        small_path.write_bytes(orjson.dumps({**content, "ballots": content["ballots"][:n_pv]}))
        del content
        size_mb = path.stat().st_size / 2**20
        print(f"ballots file: {size_mb:.1f} MiB ({path.stat().st_size:,} bytes)")

        raw = path.read_bytes()
        parse_time, data = timed(lambda: parse_tally(raw), repeat=3)
        stdlib_time, _ = timed(lambda: json.loads(raw), pause_gc=True)
        orjson_time, _ = timed(lambda: orjson.loads(raw), repeat=3, pause_gc=True)
        count_time, result = timed(lambda: count_in_memory(data), repeat=5)
        counts_time, _ = timed(
            lambda: tally.count_by_group(data.ranks, data.approved, data.clubs, len(data.club_names)), repeat=5
        )
        e2e_time, _ = timed(lambda: end_to_end(path), repeat=3)
        rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        count_in_memory(data)
        count_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.reset_peak()
        end_to_end(path)
        e2e_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

        print("\nfederated count in memory (pairwise per club + 50 club rankings + federation + double majority)")
        print(f"  {count_time} median of 5; pairwise matrices of all clubs alone: {counts_time}")
        print(f"  federation winner: {[data.candidates[i] for i in result.ranking[0]]}")
        print("end to end from the file (read + parse + validate + count + JSON result), median of 3")
        print(f"  {e2e_time}")
        print(f"  parse and validate alone: {parse_time}; target (issue 21): the JSON library's speed, here "
              f"{parse_time.wall / orjson_time.wall:.1f}x orjson.loads alone ({orjson_time}, the collector paused too)")
        print(f"  stdlib json.loads alone {stdlib_time}")
        print("peak memory")
        print(f"  traced (tracemalloc) peak: count in memory {count_peak:.0f} MiB, end to end {e2e_peak:.0f} MiB")
        print(f"  process max RSS so far (includes the generated profile): {rss_ours:.0f} MiB")
        print(f"\npref_voting on the first {n_pv:,} ballots, from their own file (flat Schulze winners only)")
        pv_time, (pv_winners, pv_margins) = timed(lambda: pref_voting_end_to_end(small_path))
        small_time, small = timed(lambda: end_to_end(small_path), repeat=3)
        small_data = parse_tally(small_path.read_bytes())
        flat = tally.count_ballots(small_data.ranks, small_data.approved)
        ours = list(tally.schulze(flat).winners)
        same = ours == pv_winners and np.array_equal(flat.margins, pv_margins)
        print(f"  pref_voting: {pv_time}   this code (federation + every club): {small_time}")
        print(f"  ratio on the same file: {pv_time.wall / small_time.wall:.0f}x faster (wall)")
        print(f"  same result: {same} (Schulze winners {ours} vs {pv_winners}, and identical margin matrices)")
        if n_pv < n:
            estimate = pv_time.wall * n / n_pv
            print(
                f"  extrapolated (linear) pref_voting time for all {n:,} ballots: about {estimate:.0f} s wall,"
                f" i.e. about {estimate / e2e_time.wall:.0f}x this code's end-to-end {e2e_time.wall:.2f} s"
                " (an estimate, not measured)"
            )
        assert same, "pref_voting and this code disagree"
        ballots = orjson.loads(path.read_bytes())
        for size in sorted({int(text) for text in args.pairs.split(",") if text.strip()}):
            pair_path = Path(tmp) / f"ballots-{size}.json"
            pair_path.write_bytes(orjson.dumps({**ballots, "ballots": ballots["ballots"][:size]}))
            rounds = 3 if size <= 10_000 else 1
            print(f"\nwhole commands on {min(size, n):,} ballots, in pairs ({rounds} of each, alternated; load average "
                  f"{os.getloadavg()[0]:.1f}), medians:", flush=True)
            command, reference = command_pairs(pair_path, rounds)
            print(f"  deliberate tally: {command}   pref_voting: {reference}")
            ratio = reference.wall / command.wall
            print(f"  ratio: {ratio:.1f}x faster (wall), {reference.cpu / command.cpu:.1f}x (CPU); target (issue 21) "
                  f"at least 10x: {'within' if ratio >= 10 else 'OVER'} it; load average {os.getloadavg()[0]:.1f}")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
