"""Count a ballots file's flat Schulze winners and margins with pref_voting: the reference the tally is timed against.

A script of its own, so that benchmarks/bench_tally.py can time it as a whole command beside ``deliberate tally``
on the same file, each from a fresh interpreter (imports, reading, parsing and counting included):

    .venv/bin/python benchmarks/pref_voting_tally.py FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import orjson
from pref_voting.margin_based_methods import beat_path
from pref_voting.profiles_with_ties import ProfileWithTies


def pref_voting_end_to_end(path: Path) -> tuple[list[int], np.ndarray]:
    """Read the file and count the flat Schulze winners with pref_voting; return them with the margin matrix."""
    content = orjson.loads(path.read_bytes())
    candidates = content["candidates"]
    index = {name: i for i, name in enumerate(candidates)}
    rankings = [
        {index[name]: place + 1 for place, tier in enumerate(b["ranking"]) for name in tier} for b in content["ballots"]
    ]
    profile = ProfileWithTies(rankings, candidates=list(range(len(candidates))))
    profile.use_extended_strict_preference()
    winners = beat_path(profile)
    margins = np.array([[profile.margin(a, b) for b in profile.candidates] for a in profile.candidates])
    return winners, margins


if __name__ == "__main__":
    winners, _ = pref_voting_end_to_end(Path(sys.argv[1]))
    print(orjson.dumps({"schulze_winners": [int(w) for w in winners]}).decode())
