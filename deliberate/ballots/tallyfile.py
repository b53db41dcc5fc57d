"""Read a ballots file and count it with the domain's count (:mod:`deliberate.domain.count`).

The file format (JSON)::

    {"candidates": ["a", "b", "c"],
     "clubs": {"club-1": {"members": 40}, "club-2": {"members": 12}},
     "ballots": [{"club": "club-1", "ranking": [["a"], ["b", "c"]], "approved": ["a"]}, ...]}

``ranking`` lists tiers best first (candidates in one tier are tied; candidates left out tie below all ranked
ones); ``approved`` is optional. ``clubs`` may be left out when no ballot names a club: all ballots then form
one club, ``all``. A counting group that pools clubs with fewer than five voters each (see
:mod:`deliberate.domain.privacy`) names its clubs and their registered members, which set its weight::

     "clubs": {"club-2+club-3": {"members": 30, "clubs": {"club-2": 12, "club-3": 18}}, ...}
 The file is parsed with orjson and turned into numpy arrays without a Python loop per
candidate, which keeps a 100,000-ballot file (about 64 MB) to well under a second.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from deliberate.domain import tally
from deliberate.domain.count import Count, CountError, TallyInput, tally_input


class TallyFileError(CountError):
    """Signal that a ballots file cannot be counted; the message says where and why, for the person running
    it."""


def read_tally_file(path: str | Path) -> TallyInput:
    """Read and validate a ballots file; raise :class:`TallyFileError` with a clear message if it is
    invalid."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise TallyFileError(f"cannot read {path}: {error.strerror}") from None
    return parse_tally(raw)


def _require(condition: bool, message: str) -> None:
    """Raise :class:`TallyFileError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise TallyFileError(message)


def parse_tally(raw: bytes) -> TallyInput:
    """Parse the bytes of a ballots file into a :class:`TallyInput`.

    The cyclic garbage collector is paused while the file's millions of small lists are built and dropped
    (they hold no cycles, and its repeated passes over them would take most of the time), then restored.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _parse(raw)
    finally:
        if paused:
            gc.enable()


def _parse(raw: bytes) -> TallyInput:
    """Parse and validate the bytes of a ballots file (see :func:`parse_tally`)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise TallyFileError(f"not valid JSON: {error}") from None
    _require(isinstance(data, dict), "the file must hold a JSON object with candidates, clubs and ballots")
    candidates = data.get("candidates")
    _require(
        isinstance(candidates, list) and all(isinstance(c, str) for c in candidates),
        '"candidates" must be a list of names',
    )
    _require(len(set(candidates)) == len(candidates), '"candidates" lists a name twice')
    ballots = data.get("ballots")
    _require(isinstance(ballots, list), '"ballots" must be a list')
    _require(all(type(b) is dict for b in ballots), "every ballot must be a JSON object")
    names, members, clubs = _clubs(data.get("clubs"), ballots)
    pools = _pools(data.get("clubs"))
    ranks = _ranks(ballots, candidates)
    approved = _approvals(ballots, candidates)
    return TallyInput(tuple(candidates), names, members, ranks, approved, clubs, hashlib.sha256(raw).hexdigest(),
                      pools)


def _pools(spec: Any) -> tuple[tuple[int, ...], ...]:
    """Return, per club entry, the registered members of each club it pools (empty for a single club)."""
    if spec is None:
        return ((),)
    pools = []
    for name, club in spec.items():
        parts = club.get("clubs", {})
        _require(
            isinstance(parts, dict) and len(parts) != 1
            and all(isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in parts.values()),
            f'club "{name}": "clubs" must map two or more pooled clubs to their registered members',
        )
        _require(not parts or sum(parts.values()) == club["members"],
                 f'club "{name}": "members" must be the sum of its pooled clubs\' members')
        pools.append(tuple(parts.values()))
    return tuple(pools)


def _clubs(spec: Any, ballots: list[dict]) -> tuple[tuple[str, ...], tuple[int, ...], np.ndarray]:
    """Return club names, registered members and each ballot's club index."""
    if spec is None:
        _require(not any("club" in b for b in ballots), 'ballots name clubs but the file has no "clubs"')
        return ("all",), (len(ballots),), np.zeros(len(ballots), dtype=np.intp)
    _require(isinstance(spec, dict), '"clubs" must map each club name to {"members": N}')
    members = []
    for name, club in spec.items():
        size = club.get("members") if isinstance(club, dict) else None
        _require(
            isinstance(size, int) and not isinstance(size, bool) and size >= 0,
            f'club "{name}" needs "members": a whole number of registered members',
        )
        members.append(size)
    index = {name: number for number, name in enumerate(spec)}
    try:
        clubs = np.fromiter(map(index.__getitem__, (b["club"] for b in ballots)), np.intp, len(ballots))
    except (KeyError, TypeError):
        position = next(
            i for i, b in enumerate(ballots) if not isinstance(b.get("club"), str) or b["club"] not in index
        )
        club = ballots[position].get("club")
        raise TallyFileError(
            f"ballot {position}: unknown club {club!r}" if club is not None else f'ballot {position}: no "club"'
        ) from None
    return tuple(spec), tuple(members), clubs


def _ranks(ballots: list[dict], candidates: Sequence[str]) -> np.ndarray:
    """Return the rank array (tier number, ``len(candidates)`` for unranked), validating every ballot."""
    n, m = len(ballots), len(candidates)
    try:
        rankings = [b["ranking"] for b in ballots]
    except KeyError:
        position = next(i for i, b in enumerate(ballots) if "ranking" not in b)
        raise TallyFileError(f'ballot {position}: no "ranking"') from None
    # list.__len__ measures a list and refuses anything else: one pass checks the types and counts.
    try:
        tiers_per_ballot = np.fromiter(map(list.__len__, rankings), np.int64, n)
    except TypeError:
        position = next(i for i, r in enumerate(rankings) if type(r) is not list)
        raise TallyFileError(f"ballot {position}: the ranking must be a list of tiers") from None
    tiers = list(chain.from_iterable(rankings))
    try:
        tier_sizes: np.ndarray | None = np.fromiter(map(list.__len__, tiers), np.int64, len(tiers))
    except TypeError:
        tier_sizes = None
    if tier_sizes is None or (tier_sizes.size and tier_sizes.min() == 0):
        position = next(i for i, r in enumerate(rankings) if not all(type(t) is list and t for t in r))
        raise TallyFileError(f"ballot {position}: every tier must be a non-empty list of candidate names")
    if tiers_per_ballot.size and tiers_per_ballot.max() > m:
        position = int(np.argmax(tiers_per_ballot > m))
        raise TallyFileError(f"ballot {position}: more tiers than candidates (a candidate is ranked twice)")
    index = {name: number for number, name in enumerate(candidates)}
    try:
        items = np.fromiter(map(index.__getitem__, chain.from_iterable(tiers)), np.intp, int(tier_sizes.sum()))
    except (KeyError, TypeError):
        position = next(i for i, r in enumerate(rankings) for t in r for c in t if not _known(index, c))
        bad = next(c for t in rankings[position] for c in t if not _known(index, c))
        raise TallyFileError(f"ballot {position}: unknown candidate {bad!r}") from None
    tier_ballot = np.repeat(np.arange(n), tiers_per_ballot)
    first_tier = np.concatenate(([0], np.cumsum(tiers_per_ballot)[:-1])) if n else np.zeros(0, np.int64)
    tier_number = np.arange(len(tiers)) - first_tier[tier_ballot]
    item_ballot = np.repeat(tier_ballot, tier_sizes)
    ranks = np.full((n, m), m, dtype=tally.rank_dtype(m))
    ranks[item_ballot, items] = np.repeat(tier_number, tier_sizes)
    # a candidate named twice in a ballot leaves fewer ranked cells than names
    named = np.bincount(item_ballot, minlength=n)
    ranked = (ranks < m).sum(axis=1)
    if n and (named != ranked).any():
        position = int(np.argmax(named != ranked))
        flat = [c for t in rankings[position] for c in t]
        twice = next(c for c in flat if flat.count(c) > 1)
        raise TallyFileError(f"ballot {position}: candidate {twice!r} is ranked twice")
    return ranks


def _known(index: dict[str, int], name: object) -> bool:
    """Return whether ``name`` is a candidate's name."""
    return isinstance(name, str) and name in index


def _approvals(ballots: list[dict], candidates: Sequence[str]) -> np.ndarray:
    """Return the approval array, validating the approved names."""
    n, m = len(ballots), len(candidates)
    lists = [b.get("approved", ()) for b in ballots]
    if not all(type(a) in (list, tuple) for a in lists):
        position = next(i for i, a in enumerate(lists) if type(a) not in (list, tuple))
        raise TallyFileError(f'ballot {position}: "approved" must be a list of candidate names')
    index = {name: number for number, name in enumerate(candidates)}
    names = list(chain.from_iterable(lists))
    try:
        items = np.fromiter(map(index.__getitem__, names), np.intp, len(names))
    except (KeyError, TypeError):
        position = next(i for i, a in enumerate(lists) for c in a if not _known(index, c))
        bad = next(c for c in lists[position] if not _known(index, c))
        raise TallyFileError(f"ballot {position}: unknown candidate {bad!r} in approved") from None
    approved = np.zeros((n, m), dtype=bool)
    approved[np.repeat(np.arange(n), np.fromiter(map(len, lists), np.int64, n)), items] = True
    return approved


def tally_file(path: str | Path, **options: Any) -> Count:
    """Read a ballots file and count it; ``options`` are those of :func:`deliberate.domain.count.tally_input`."""
    return tally_input(read_tally_file(path), **options)


