"""Read a ballots file, count it with the domain engines and return the result as JSON-able data.

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
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from deliberate.domain import federation, selection, tally
from deliberate.domain.rules import AgendaSelection, ClubMode, ClubWeighting, VotingMethod

METHOD_NAMES = {"equal-shares": "Method of Equal Shares", "pav": "PAV", "seqpav": "sequential PAV"}
"""The name of each selection method, as the JSON says it when the method that ran is not the rule asked for."""

TIE_BREAK_RULE = "lottery: items ordered by sha256(input file sha256 + ':' + item index)"


class TallyFileError(ValueError):
    """Signal that a ballots file cannot be counted; the message says where and why, for the person running
    it."""


@dataclass(frozen=True)
class TallyInput:
    """Hold a parsed ballots file: names, clubs and the ballots as arrays (see
    :mod:`deliberate.domain.tally`)."""

    candidates: tuple[str, ...]
    club_names: tuple[str, ...]
    club_members: tuple[int, ...]
    ranks: np.ndarray = field(compare=False, repr=False)
    approved: np.ndarray = field(compare=False, repr=False)
    clubs: np.ndarray = field(compare=False, repr=False)
    digest: str = ""
    club_pools: tuple[tuple[int, ...], ...] = ()
    """Per club entry, the registered members of each club it pools (empty for a club of its own)."""


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
    if set(map(type, rankings)) - {list}:
        position = next(i for i, r in enumerate(rankings) if type(r) is not list)
        raise TallyFileError(f"ballot {position}: the ranking must be a list of tiers")
    tiers_per_ballot = np.fromiter(map(len, rankings), np.int64, n)
    tiers = list(chain.from_iterable(rankings))
    tier_sizes = np.fromiter(map(len, tiers), np.int64, len(tiers)) if not set(map(type, tiers)) - {list} else None
    if tier_sizes is None or (tier_sizes.size and tier_sizes.min() == 0):
        position = next(i for i, r in enumerate(rankings) if not all(type(t) is list and t for t in r))
        raise TallyFileError(f"ballot {position}: every tier must be a non-empty list of candidate names")
    if tiers_per_ballot.size and tiers_per_ballot.max() > m:
        position = int(np.argmax(tiers_per_ballot > m))
        raise TallyFileError(f"ballot {position}: more tiers than candidates (a candidate is ranked twice)")
    index = {name: number for number, name in enumerate(candidates)}
    names = list(chain.from_iterable(tiers))
    try:
        items = np.fromiter(map(index.__getitem__, names), np.intp, len(names))
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


def tally_input(
    data: TallyInput,
    *,
    method: str = VotingMethod.SCHULZE,
    weighting: str = ClubWeighting.MEMBERS,
    cap: float | None = None,
    club_mode: str = ClubMode.PROPORTIONAL,
    seats: int | None = None,
    selection: str = AgendaSelection.RANKING,
    voters_threshold: float = 0.5,
    clubs_threshold: float = 0.5,
    min_blocking: int = 0,
) -> dict[str, Any]:
    """Count parsed ballots per club and for the federation, and return the result as JSON-able data.

    The result holds ``ranking`` (tiers of candidate names), ``scores`` when the method has them, ``clubs``
    (each club's ``ranking``, ``voters``, ``members``, ``weight``), ``double_majority`` per candidate under the
    ``double_majority_rule`` given (an item passes a test with *more than* its threshold; ``min_blocking``, 0 for
    off, passes the voters' test when fewer clubs than that oppose), the combined ``pairwise`` matrix and, when
    ``seats`` is given, ``selection``.
    """
    if weighting == ClubWeighting.CAPPED and cap is None:
        raise TallyFileError("the capped weighting needs --cap")
    if cap is not None and not cap > 0:
        raise TallyFileError("--cap must be a positive number of members")
    if selection not in frozenset(AgendaSelection):
        raise TallyFileError(f"unknown selection {selection!r}")
    for option, share in (("--voters-threshold", voters_threshold), ("--clubs-threshold", clubs_threshold)):
        if not 0 <= share <= 1:  # also refuses NaN
            raise TallyFileError(f"{option} must be a share between 0 and 1, not {share!r}")
    if not 0 <= min_blocking <= len(data.club_names):
        raise TallyFileError(f"--min-blocking must be between 0 and the number of clubs ({len(data.club_names)})")
    names = data.candidates
    units = federation.club_units(data.ranks, data.approved, data.clubs, data.club_names, data.club_members,
                                  data.club_pools or None)
    result = federation.combine(
        units, weighting, cap=cap, club_mode=club_mode, method=method, voter_threshold=voters_threshold,
        club_threshold=clubs_threshold, min_blocking=min_blocking,
    )
    output: dict[str, Any] = {
        "method": result.method.replace("_", "-"),
        "weighting": weighting,
        "cap": cap,
        "club_mode": club_mode,
        "double_majority_rule": {
            "voters_threshold": voters_threshold, "clubs_threshold": clubs_threshold, "min_blocking": min_blocking,
        },
        "candidates": list(names),
        "voters": result.voters,
        "ranking": _tiers(result.ranking, names),
    }
    if result.result.scores is not None:
        output["scores"] = dict(zip(names, result.result.scores, strict=True))
    if result.result.ties:
        output["ties"] = [
            {"margin": tie.margin, "pairs": [[names[a], names[b]] for a, b in tie.edges]} for tie in result.result.ties
        ]
    output["clubs"] = {
        unit.name: {
            "ranking": _tiers(unit.ranking, names),
            "voters": unit.voters,
            "members": unit.members,
            "weight": unit.weight,
            **({"clubs": len(pooled)} if pooled else {}),
        }
        for unit, pooled in zip(result.units, data.club_pools or [()] * len(result.units), strict=True)
    }
    output["double_majority"] = {
        names[item.item]: {
            "voter_share": item.voter_share,
            "club_share": item.club_share,
            "voters_pass": item.voters_pass,
            "clubs_pass": item.clubs_pass,
            "passes": item.passes,
        }
        for item in result.double_majority
    }
    output["pairwise"] = {
        "total_weight": result.count.weight,
        "support": [[_plain(v) for v in row] for row in result.count.support.tolist()],
    }
    if seats is not None:
        output["selection"] = _select(data, result, seats, selection)
    return output


def tally_file(path: str | Path, **options: Any) -> dict[str, Any]:
    """Read a ballots file and count it; ``options`` are those of :func:`tally_input`."""
    return tally_input(read_tally_file(path), **options)


def _tiers(ranking: tally.Ranking, names: Sequence[str]) -> list[list[str]]:
    """Return tiers of item indices as tiers of names."""
    return [[names[i] for i in tier] for tier in ranking]


def _plain(value: float) -> float:
    """Return integral floats as ints, for a compact and exact JSON matrix."""
    return int(value) if float(value).is_integer() else value


def _select(data: TallyInput, result: federation.FederationResult, seats: int, rule: str) -> dict[str, Any]:
    """Choose ``seats`` items by the ranking or proportionally from the approvals, and say how."""
    names = data.candidates
    if not 1 <= seats <= len(names):
        raise TallyFileError(f"--seats must be between 1 and the number of candidates ({len(names)})")
    if rule == AgendaSelection.RANKING:
        priority = tally.lottery_priority(data.digest, len(names))
        chosen = tally.top_seats(result.ranking, seats, priority)
        return {
            "rule": "ranking",
            "seats": seats,
            "items": [names[i] for i in chosen.order],
            "tie_break": {
                "used": chosen.tie_break_used,
                "tied": [names[i] for tier in chosen.broken_tiers for i in tier],
                "rule": TIE_BREAK_RULE,
                "seed": data.digest,
            },
        }
    choose = selection.equal_shares if rule == AgendaSelection.EQUAL_SHARES else selection.pav
    approvals, weights = _weighted_approvals(data, result)
    committee = choose(approvals, len(names), seats, weights=weights)
    report = selection.ejr_check(approvals, len(names), committee.committee, seats, weights=weights)
    chosen = {
        "rule": rule,
        "method": committee.method,
        "seats": seats,
        "items": [names[i] for i in committee.committee],
        "is_exact": committee.is_exact,
        "notes": list(committee.notes),
        "tie_breaks": list(committee.tie_break_descriptions),
        "ejr": {
            "satisfies_jr": report.satisfies_jr,
            "satisfies_ejr": report.satisfies_ejr,
            "violations": [
                {"ell": v.ell, "items": [names[i] for i in v.items], "weight": v.weight} for v in report.violations
            ],
        },
    }
    if committee.method != rule:
        # Only when another rule ran, so that the counts published before this entry still verify.
        chosen["method_name"] = METHOD_NAMES[committee.method]
    return chosen


def _weighted_approvals(data: TallyInput, result: federation.FederationResult) -> tuple[np.ndarray, np.ndarray | None]:
    """Return approval ballots and weights carrying the federation's weighting into the selection.

    Proportional mode: every voter of club ``c`` weighs ``W_c / V_c`` (so each club weighs ``W_c``; plain
    ballots under the members rule). Bloc mode: one ballot per club, approving what its voters' majority
    approves, of weight ``W_c``.
    """
    weights = np.array([unit.weight for unit in result.units])
    voters = np.array([unit.voters for unit in result.units], dtype=np.float64)
    if result.club_mode == ClubMode.BLOC:
        counted = np.flatnonzero(weights > 0)
        majority = np.zeros((len(result.units), len(data.candidates)), dtype=bool)
        for number in counted:
            majority[number] = data.approved[data.clubs == number].sum(axis=0) * 2 > voters[number]
        return majority[counted], weights[counted]
    if result.weighting == ClubWeighting.MEMBERS:
        return data.approved, None
    per_voter = np.divide(weights, voters, out=np.zeros_like(weights), where=voters > 0)
    return data.approved, per_voter[data.clubs]
