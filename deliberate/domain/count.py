"""Count parsed ballots per club and for the federation, and return the result as a frozen, typed value.

:func:`tally_input` is the whole count that ``deliberate tally`` runs on a ballots file and that the platform runs
on its own anonymised inputs: each club's ranking, the federation's combination under a weighting rule, the
double majority and, when seats are given, the agenda's selection. It returns a :class:`Count`, whose
:meth:`Count.to_dict` is the JSON the command prints and a published agenda carries, and whose
:meth:`Count.from_dict` reads that JSON back, also as published by earlier versions (an entry they did not have
stays ``None`` and is left out again, so that a published count keeps verifying on every figure it published).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from deliberate.domain import federation, selection, tally
from deliberate.domain.rules import AgendaSelection, ClubMode, ClubWeighting, VotingMethod

__all__ = [
    "METHOD_NAMES",
    "TIE_BREAK_RULE",
    "ClubCount",
    "Count",
    "CountError",
    "DoubleMajorityRule",
    "EjrReport",
    "EjrViolation",
    "ItemMajority",
    "Pairwise",
    "Selection",
    "Tie",
    "TieBreak",
    "TallyInput",
    "recount_command",
    "tally_input",
]

METHOD_NAMES = {"equal-shares": "Method of Equal Shares", "pav": "PAV", "seqpav": "sequential PAV"}
"""The name of each selection method, as the JSON says it when the method that ran is not the rule asked for."""

TIE_BREAK_RULE = "lottery: items ordered by sha256(input file sha256 + ':' + item index)"

Tiers = tuple[tuple[str, ...], ...]
"""A ranking of candidate names in tiers, best first; names inside a tier are tied."""


class CountError(ValueError):
    """Signal that ballots cannot be counted under the options given; the message says why, for the person
    running the count."""


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


# --- the result ---------------------------------------------------------------------------------------------------

def _tiers_of(data: Sequence[Sequence[str]]) -> Tiers:
    return tuple(tuple(tier) for tier in data)


def _listed(ranking: Tiers) -> list[list[str]]:
    return [list(tier) for tier in ranking]


@dataclass(frozen=True)
class DoubleMajorityRule:
    """Hold the double majority's thresholds: an item passes a test with *more than* its share."""

    voters_threshold: float
    clubs_threshold: float
    min_blocking: int

    def to_dict(self) -> dict[str, Any]:
        return {"voters_threshold": self.voters_threshold, "clubs_threshold": self.clubs_threshold,
                "min_blocking": self.min_blocking}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DoubleMajorityRule:
        return cls(data["voters_threshold"], data["clubs_threshold"], data["min_blocking"])


@dataclass(frozen=True)
class Tie:
    """Hold a tie the ranking did not break: the pairs of equal margin."""

    margin: float
    pairs: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"margin": self.margin, "pairs": [list(pair) for pair in self.pairs]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tie:
        return cls(data["margin"], tuple((a, b) for a, b in data["pairs"]))


@dataclass(frozen=True)
class ClubCount:
    """Hold one club's (or counting group's) own ranking and the weight it carried; ``clubs`` counts the clubs
    a pooled group holds (None for a club of its own)."""

    ranking: Tiers
    voters: int
    members: int
    weight: float
    clubs: int | None = None

    @property
    def is_pooled(self) -> bool:
        return self.clubs is not None

    def to_dict(self) -> dict[str, Any]:
        data = {"ranking": _listed(self.ranking), "voters": self.voters, "members": self.members,
                "weight": self.weight}
        return data | ({"clubs": self.clubs} if self.clubs is not None else {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClubCount:
        return cls(_tiers_of(data["ranking"]), data["voters"], data["members"], data["weight"], data.get("clubs"))


@dataclass(frozen=True)
class ItemMajority:
    """Hold one item's double majority: its shares of the voters and of the clubs, and which tests it passes."""

    voter_share: float
    club_share: float
    voters_pass: bool
    clubs_pass: bool
    passes: bool

    def to_dict(self) -> dict[str, Any]:
        return {"voter_share": self.voter_share, "club_share": self.club_share, "voters_pass": self.voters_pass,
                "clubs_pass": self.clubs_pass, "passes": self.passes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemMajority:
        return cls(data["voter_share"], data["club_share"], data["voters_pass"], data["clubs_pass"], data["passes"])


@dataclass(frozen=True)
class Pairwise:
    """Hold the combined pairwise matrix: ``support[a][b]`` is the weight of ballots ranking a above b."""

    total_weight: float
    support: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"total_weight": self.total_weight, "support": [list(row) for row in self.support]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pairwise:
        return cls(data["total_weight"], tuple(tuple(row) for row in data["support"]))


@dataclass(frozen=True)
class TieBreak:
    """Say whether the lottery broke a tie for the last seats, which items it ordered, its rule and its seed."""

    used: bool
    tied: tuple[str, ...] = ()
    rule: str = TIE_BREAK_RULE
    seed: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"used": self.used, "tied": list(self.tied), "rule": self.rule, "seed": self.seed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TieBreak:
        return cls(data["used"], tuple(data.get("tied") or ()), data.get("rule", TIE_BREAK_RULE), data.get("seed", ""))


@dataclass(frozen=True)
class EjrViolation:
    """Hold a cohesive group left out: its size ``ell``, the items it agrees on, and its weight."""

    ell: int
    items: tuple[str, ...]
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"ell": self.ell, "items": list(self.items), "weight": self.weight}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EjrViolation:
        return cls(data["ell"], tuple(data["items"]), data["weight"])


@dataclass(frozen=True)
class EjrReport:
    """Say whether a proportional selection satisfies justified representation (JR) and its extended form."""

    satisfies_jr: bool
    satisfies_ejr: bool
    violations: tuple[EjrViolation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"satisfies_jr": self.satisfies_jr, "satisfies_ejr": self.satisfies_ejr,
                "violations": [violation.to_dict() for violation in self.violations]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EjrReport:
        return cls(data["satisfies_jr"], data["satisfies_ejr"],
                   tuple(EjrViolation.from_dict(v) for v in data.get("violations") or ()))


@dataclass(frozen=True)
class Selection:
    """Hold the agenda's items as the count chose them, and how.

    With the ranking rule: the top ``seats`` items, and the lottery's :class:`TieBreak`. With a proportional rule:
    the method that ran (``method``; ``method_name`` only when it is not the rule asked for), whether the result is
    exact, its notes and tie-breaks, and the :class:`EjrReport`.
    """

    rule: str
    seats: int
    items: tuple[str, ...]
    tie_break: TieBreak | None = None
    method: str | None = None
    is_exact: bool | None = None
    notes: tuple[str, ...] = ()
    tie_breaks: tuple[str, ...] = ()
    ejr: EjrReport | None = None
    method_name: str | None = None

    @property
    def is_ranking(self) -> bool:
        return self.rule == AgendaSelection.RANKING

    def to_dict(self) -> dict[str, Any]:
        if self.is_ranking:
            data: dict[str, Any] = {"rule": self.rule, "seats": self.seats, "items": list(self.items)}
            return data | ({"tie_break": self.tie_break.to_dict()} if self.tie_break is not None else {})
        data = {"rule": self.rule, "method": self.method, "seats": self.seats, "items": list(self.items),
                "is_exact": self.is_exact, "notes": list(self.notes), "tie_breaks": list(self.tie_breaks)}
        if self.ejr is not None:
            data["ejr"] = self.ejr.to_dict()
        if self.method_name is not None:
            data["method_name"] = self.method_name
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        tie_break = data.get("tie_break")
        ejr = data.get("ejr")
        return cls(
            rule=data["rule"], seats=data["seats"], items=tuple(data["items"]),
            tie_break=TieBreak.from_dict(tie_break) if tie_break is not None else None,
            method=data.get("method"), is_exact=data.get("is_exact"), notes=tuple(data.get("notes") or ()),
            tie_breaks=tuple(data.get("tie_breaks") or ()), ejr=EjrReport.from_dict(ejr) if ejr is not None else None,
            method_name=data.get("method_name"),
        )


@dataclass(frozen=True)
class Count:
    """Hold a whole count: its settings, the federation's ranking, each club's, the double majority, the pairwise
    matrix and, when seats were given, the selection.

    ``scores`` is None for a method without scores; ``double_majority_rule`` None only in counts published before
    it was reported.
    """

    method: str
    weighting: str
    cap: float | None
    club_mode: str
    candidates: tuple[str, ...]
    voters: int
    ranking: Tiers
    clubs: Mapping[str, ClubCount]
    double_majority: Mapping[str, ItemMajority]
    pairwise: Pairwise
    double_majority_rule: DoubleMajorityRule | None = None
    scores: Mapping[str, float] | None = None
    ties: tuple[Tie, ...] = ()
    selection: Selection | None = None

    def __post_init__(self) -> None:
        for name in ("clubs", "double_majority", "scores"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def order(self) -> list[str]:
        """Return the ranked candidates, best first (ties in the order the count lists them)."""
        return [name for tier in self.ranking for name in tier]

    def to_dict(self) -> dict[str, Any]:
        """Return the count as the JSON the tally command prints and an agenda publishes."""
        data: dict[str, Any] = {"method": self.method, "weighting": self.weighting, "cap": self.cap,
                                "club_mode": self.club_mode}
        if self.double_majority_rule is not None:
            data["double_majority_rule"] = self.double_majority_rule.to_dict()
        data |= {"candidates": list(self.candidates), "voters": self.voters, "ranking": _listed(self.ranking)}
        if self.scores is not None:
            data["scores"] = dict(self.scores)
        if self.ties:
            data["ties"] = [tie.to_dict() for tie in self.ties]
        data["clubs"] = {name: club.to_dict() for name, club in self.clubs.items()}
        data["double_majority"] = {name: item.to_dict() for name, item in self.double_majority.items()}
        data["pairwise"] = self.pairwise.to_dict()
        if self.selection is not None:
            data["selection"] = self.selection.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Count:
        """Read a count from its JSON, as :meth:`to_dict` writes it or as an earlier version published it."""
        rule = data.get("double_majority_rule")
        chosen = data.get("selection")
        return cls(
            method=data["method"], weighting=data["weighting"], cap=data.get("cap"), club_mode=data["club_mode"],
            candidates=tuple(data["candidates"]), voters=data["voters"], ranking=_tiers_of(data["ranking"]),
            clubs={name: ClubCount.from_dict(club) for name, club in data["clubs"].items()},
            double_majority={name: ItemMajority.from_dict(item) for name, item in data["double_majority"].items()},
            pairwise=Pairwise.from_dict(data["pairwise"]),
            double_majority_rule=DoubleMajorityRule.from_dict(rule) if rule is not None else None,
            scores=dict(data["scores"]) if data.get("scores") is not None else None,
            ties=tuple(Tie.from_dict(tie) for tie in data.get("ties") or ()),
            selection=Selection.from_dict(chosen) if chosen else None,
        )


# --- recounting ---------------------------------------------------------------------------------------------------

def recount_command(count: Count, file: str) -> str:
    """Return the ``deliberate tally`` command that counts the ballots ``file`` exactly as ``count`` was counted.

    Every setting comes from the count itself (the method, the weighting and its cap, the club mode, the seats and
    selection, the double majority's thresholds), so that running the command on the published ballots gives the
    published figures. A count published before it reported its thresholds used the defaults, which the command
    then leaves out.
    """
    words = ["deliberate", "tally", file, "--method", count.method, "--weighting", count.weighting]
    if count.weighting == ClubWeighting.CAPPED and count.cap is not None:
        words += ["--cap", _number(count.cap)]
    words += ["--club-mode", count.club_mode]
    if count.selection is not None:
        words += ["--seats", str(count.selection.seats), "--selection", count.selection.rule]
    rule = count.double_majority_rule
    if rule is not None:
        words += ["--voters-threshold", _number(rule.voters_threshold),
                  "--clubs-threshold", _number(rule.clubs_threshold)]
        if rule.min_blocking:
            words += ["--min-blocking", str(rule.min_blocking)]
    return shlex.join(words)


def _number(value: float) -> str:
    """Write a number as the command line reads it back exactly: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --- counting -----------------------------------------------------------------------------------------------------

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
) -> Count:
    """Count parsed ballots per club and for the federation.

    An item passes a test of the double majority with *more than* its threshold; ``min_blocking`` (0 for off)
    passes the voters' test when fewer clubs than that oppose. With ``seats``, the count also chooses the agenda by
    ``selection``. Raise :class:`CountError` for options that cannot apply.
    """
    if weighting == ClubWeighting.CAPPED and cap is None:
        raise CountError("the capped weighting needs --cap")
    if cap is not None and not cap > 0:
        raise CountError("--cap must be a positive number of members")
    if selection not in frozenset(AgendaSelection):
        raise CountError(f"unknown selection {selection!r}")
    for option, share in (("--voters-threshold", voters_threshold), ("--clubs-threshold", clubs_threshold)):
        if not 0 <= share <= 1:  # also refuses NaN
            raise CountError(f"{option} must be a share between 0 and 1, not {share!r}")
    if not 0 <= min_blocking <= len(data.club_names):
        raise CountError(f"--min-blocking must be between 0 and the number of clubs ({len(data.club_names)})")
    names = data.candidates
    units = federation.club_units(data.ranks, data.approved, data.clubs, data.club_names, data.club_members,
                                  data.club_pools or None)
    result = federation.combine(
        units, weighting, cap=cap, club_mode=club_mode, method=method, voter_threshold=voters_threshold,
        club_threshold=clubs_threshold, min_blocking=min_blocking,
    )
    scores = result.result.scores
    return Count(
        method=result.method.replace("_", "-"),
        weighting=str(weighting),
        cap=cap,
        club_mode=str(club_mode),
        double_majority_rule=DoubleMajorityRule(voters_threshold, clubs_threshold, min_blocking),
        candidates=tuple(names),
        voters=result.voters,
        ranking=_tiers(result.ranking, names),
        scores=dict(zip(names, scores, strict=True)) if scores is not None else None,
        ties=tuple(Tie(tie.margin, tuple((names[a], names[b]) for a, b in tie.edges)) for tie in result.result.ties),
        clubs={
            unit.name: ClubCount(_tiers(unit.ranking, names), unit.voters, unit.members, unit.weight,
                                 len(pooled) if pooled else None)
            for unit, pooled in zip(result.units, data.club_pools or [()] * len(result.units), strict=True)
        },
        double_majority={
            names[item.item]: ItemMajority(item.voter_share, item.club_share, item.voters_pass, item.clubs_pass,
                                           item.passes)
            for item in result.double_majority
        },
        pairwise=Pairwise(result.count.weight,
                          tuple(tuple(_plain(v) for v in row) for row in result.count.support.tolist())),
        selection=_select(data, result, seats, selection) if seats is not None else None,
    )


def _tiers(ranking: tally.Ranking, names: Sequence[str]) -> Tiers:
    """Return tiers of item indices as tiers of names."""
    return tuple(tuple(names[i] for i in tier) for tier in ranking)


def _plain(value: float) -> float:
    """Return integral floats as ints, for a compact and exact JSON matrix."""
    return int(value) if float(value).is_integer() else value


def _select(data: TallyInput, result: federation.FederationResult, seats: int, rule: str) -> Selection:
    """Choose ``seats`` items by the ranking or proportionally from the approvals, and say how."""
    names = data.candidates
    if not 1 <= seats <= len(names):
        raise CountError(f"--seats must be between 1 and the number of candidates ({len(names)})")
    if rule == AgendaSelection.RANKING:
        priority = tally.lottery_priority(data.digest, len(names))
        chosen = tally.top_seats(result.ranking, seats, priority)
        return Selection(
            rule=AgendaSelection.RANKING.value, seats=seats, items=tuple(names[i] for i in chosen.order),
            tie_break=TieBreak(chosen.tie_break_used, tuple(names[i] for tier in chosen.broken_tiers for i in tier),
                               TIE_BREAK_RULE, data.digest),
        )
    choose = selection.equal_shares if rule == AgendaSelection.EQUAL_SHARES else selection.pav
    approvals, weights = _weighted_approvals(data, result)
    committee = choose(approvals, len(names), seats, weights=weights)
    report = selection.ejr_check(approvals, len(names), committee.committee, seats, weights=weights)
    return Selection(
        rule=str(rule), method=committee.method, seats=seats, items=tuple(names[i] for i in committee.committee),
        is_exact=committee.is_exact, notes=tuple(committee.notes), tie_breaks=tuple(committee.tie_break_descriptions),
        ejr=EjrReport(report.satisfies_jr, report.satisfies_ejr, tuple(
            EjrViolation(v.ell, tuple(names[i] for i in v.items), v.weight) for v in report.violations)),
        # Only when another rule ran, so that the counts published before this entry still verify.
        method_name=METHOD_NAMES[committee.method] if committee.method != rule else None,
    )


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
