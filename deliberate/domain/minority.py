"""Analyse who supports the agenda, who dissents, what minorities wanted instead, and check equity rules.

This is the engine of the agenda's minority section and of the equity checks run before publishing. It is
pure (stdlib + numpy): the service hands it item ids, the agenda, one :class:`Voter` record per counted
ballot and a :class:`GenderTable`, and gets frozen dataclasses back. ``items`` should be given in the official
count's order (best first): that order is used to sort outputs and as the last, documented tie-break.

Decisions, each taken privacy-first (members may be undocumented; no breakdown of fewer than five people):

* **Suppression.** Any subgroup (club, opinion group, gender) with fewer than :data:`MIN_GROUP` voters
  is reported as suppressed (:attr:`Support.is_suppressed`, all figures ``None``), never as a number. The
  overall figure is suppressed too when fewer than five people voted.
* **Gender comes only from a table of federation totals.** Ballots are published with their club, never with
  their voter's gender: a gender on some ballots, next to federation totals, lets anyone subtract their way to
  small groups. :func:`tabulate_genders` turns the voters' genders into a :class:`GenderTable` (per gender:
  ballots, and per item how many approved it and how many ranked it first), the only gender data the analyses
  read, so that anyone can redo the gender analysis from the published table. A gender is hidden when fewer
  than five voters share it, and also when the voters left outside the shown genders (other genders hidden,
  and voters who did not say) would number one to four: their figures would be the overall ones minus the
  shown ones. Genders are then hidden in the order other, man, woman, so women stay visible when possible.
  An item's figure (approving it, ranking it first) is not split by gender when one to four ballots in all
  share it: next to the published ballots, "the two ballots that put X first are both women's" would name
  the gender of two ballots of known clubs. Anything hidden is ``None``, never 0.
* **Dissent.** A club dissents on an item when a strict majority of its voters did not approve it
  (``2 * approving < voters``; an exact half is not a majority). Dissent is assessed only for clubs with
  at least :data:`MIN_GROUP` voters: saying "most of a three-voter club rejected X" reveals how at
  least two people voted. Smaller clubs are listed in :attr:`MinorityAnalysis.suppressed_clubs` and never
  appear as dissenting.
* **Gender gap.** Flagged when the table shows both women and men, their approval shares differ by at least
  :data:`GENDER_GAP_MIN_DIFFERENCE` (10 points) and a pooled two-proportion z-test gives
  ``p < GENDER_GAP_ALPHA`` (0.05, two-sided; p from ``math.erfc``).
* **First choice of a club or an opinion group**: plurality of first preferences. Each voter's first tier
  carries one vote, split equally among the items tied in it (a voter who ranks nothing casts no first
  preference). Items whose score equals the maximum are *all* the group's first choices: ties are
  reported, never broken silently. Only groups with at least :data:`MIN_GROUP` voters have a reported
  first choice.
* **First choice of the women voters**: the items the most women ranked first, from the table's whole
  counts (a ballot with several items tied in first place counts once for each of them), reported only when
  at least five women ranked it first (an item fewer than five ballots ranked first has no split by gender,
  so only then is the maximum known). Whole counts keep the published table plain, and do not reveal how
  individual ballots tied their first place.
* **Minority priorities** are the items not on the agenda that are the first choice of some club, opinion
  group or of the women voters, or that at least :data:`WIDE_APPROVAL_SHARE` (a quarter) of all voters
  approved.
* **Gender** is self-described and optional: each voter's answer is counted in its group
  (:func:`deliberate.domain.gender.gender_group`): a woman, a man, another gender (:attr:`GenderGroup.OTHER`),
  or unstated.

Equity checks (each :class:`CheckMode` off / warn / enforce) are described on :func:`check_equity`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias

import numpy as np

from deliberate.domain.errors import ValidationFailed
from deliberate.domain.gender import GenderGroup, gender_group
from deliberate.domain.privacy import MIN_GROUP, is_small
from deliberate.domain.rules import CheckMode

ItemId: TypeAlias = int | str
ClubId: TypeAlias = int | str
GroupId: TypeAlias = int | str

#: Default share of women used as the participation baseline (INEGI: 43.9% of Mexican migrants in the US).
DEFAULT_WOMEN_BASELINE = 0.439
#: Participation parity passes when women's share of voters is at least ``baseline - tolerance``.
DEFAULT_PARITY_TOLERANCE = 0.05
#: A gender gap needs at least this difference between women's and men's approval shares ...
GENDER_GAP_MIN_DIFFERENCE = 0.10
#: ... and a two-proportion z-test p-value below this.
GENDER_GAP_ALPHA = 0.05
#: An item left off the agenda is a minority priority when at least this share of all voters approved it.
WIDE_APPROVAL_SHARE = 0.25

# First-preference scores are sums of fractions (1/k for a k-way tied first tier); equal up to this tolerance.
_SCORE_TOLERANCE = 1e-9
# Guards float comparisons of shares against thresholds at exact boundaries (e.g. 10 points, 25%).
_EPSILON = 1e-12

__all__ = [
    "DEFAULT_PARITY_TOLERANCE",
    "DEFAULT_WOMEN_BASELINE",
    "GENDER_GAP_ALPHA",
    "GENDER_GAP_MIN_DIFFERENCE",
    "WIDE_APPROVAL_SHARE",
    "Analysis",
    "BoardCheck",
    "CheckStatus",
    "Electorate",
    "EquityCheck",
    "EquityConfig",
    "EquityReport",
    "EquityResult",
    "GenderCounts",
    "GenderGap",
    "GenderTable",
    "ItemAnalysis",
    "MinorityAnalysis",
    "MinorityPriority",
    "ParityCheck",
    "Support",
    "Voter",
    "WomensSlotCheck",
    "analyse",
    "analyse_minority",
    "blocks_publishing",
    "check_equity",
    "tabulate_genders",
    "two_proportion_p_value",
]


class CheckStatus(StrEnum):
    """Give the outcome of an equity check.

    ``FAIL`` is the only status that blocks publishing. ``ADJUSTED`` means an enforced rule was satisfied by
    changing the agenda (the women's priority slot): publish :attr:`EquityReport.agenda`.
    """

    OFF = "off"
    NOT_APPLICABLE = "not_applicable"
    PASS = "pass"  # noqa: S105 - a status word, not a password
    ADJUSTED = "adjusted"
    WARN = "warn"
    FAIL = "fail"


class EquityCheck(StrEnum):
    """Name an equity check (views use it to pick the translated explanation)."""

    WOMENS_PRIORITY_SLOT = "womens_priority_slot"
    PARTICIPATION_PARITY = "participation_parity"
    BOARD_COMPOSITION = "board_composition"


# ----------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Voter:
    """Hold one counted ballot with the voter's non-identifying attributes.

    ``ranking`` is a list of tiers (best first; items in a tier are tied; unranked items tie below),
    ``approved`` the items above the ballot's approval line. ``gender`` is the self-description (see
    :func:`~deliberate.domain.gender.gender_group`) and ``group`` the voter's opinion group, each ``None`` when
    unknown. ``gender`` feeds only :func:`tabulate_genders` and the participation count; every other gender
    figure comes from a :class:`GenderTable`.
    """

    club: ClubId
    gender: str | None = None
    group: GroupId | None = None
    ranking: Sequence[Sequence[ItemId]] = ()
    approved: Collection[ItemId] = ()


@dataclass(frozen=True, slots=True)
class EquityConfig:
    """Configure the equity checks of one consultation.

    ``board_target`` defaults to ``women_baseline`` when ``None``.
    """

    womens_priority_slot: CheckMode = CheckMode.WARN
    participation_parity: CheckMode = CheckMode.WARN
    board_composition: CheckMode = CheckMode.WARN
    women_baseline: float = DEFAULT_WOMEN_BASELINE
    parity_tolerance: float = DEFAULT_PARITY_TOLERANCE
    board_target: float | None = None

    def __post_init__(self) -> None:
        """Reject modes and shares outside their range."""
        for name in ("womens_priority_slot", "participation_parity", "board_composition"):
            try:
                object.__setattr__(self, name, CheckMode(getattr(self, name)))
            except ValueError:
                raise ValidationFailed(name, "unknown_mode") from None
        for name in ("women_baseline", "parity_tolerance", "board_target"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValidationFailed(name, "out_of_range")


# ----------------------------------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------------------------------


class _Plain:
    """Mix in a JSON-ready export of a frozen result."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data: str keys, enum values, lists, numbers, None."""
        return _plain(self)


@dataclass(frozen=True, slots=True)
class Support(_Plain):
    """Give how many of a group approved an item, or that the group is too small to show."""

    is_suppressed: bool
    voters: int | None
    approving: int | None
    share: float | None

    @classmethod
    def of(cls, approving: int, voters: int) -> Support:
        """Return the support of ``approving`` out of ``voters``, suppressed under MIN_GROUP voters."""
        if voters < MIN_GROUP:
            return SUPPRESSED
        return cls(False, int(voters), int(approving), approving / voters)


#: The one value every suppressed figure takes.
SUPPRESSED = Support(True, None, None, None)


@dataclass(frozen=True, slots=True)
class GenderGap(_Plain):
    """Compare women's and men's approval of one item (both groups have at least MIN_GROUP voters).

    ``difference`` is women's share minus men's share; ``z`` and ``p_value`` come from the pooled
    two-proportion z-test (two-sided); ``is_flagged`` when ``|difference| >= 0.10`` and ``p_value < 0.05``.
    """

    women: Support
    men: Support
    difference: float
    z: float
    p_value: float
    is_flagged: bool


@dataclass(frozen=True, slots=True)
class GenderCounts(_Plain):
    """Give one gender's federation totals: its ballots, and per item how many approved it and ranked it first.

    ``ranked_first`` counts the ballots whose first place holds the item, alone or tied with others. An item's
    figure is None (hidden) when one to four ballots in all approved it (or ranked it first).
    """

    ballots: int
    approving: Mapping[ItemId, int | None]
    ranked_first: Mapping[ItemId, int | None]


@dataclass(frozen=True, slots=True)
class GenderTable(_Plain):
    """Hold the federation's figures per gender: the only gender data the analyses read, and what is published.

    ``ballots`` is the number of all counted ballots; ``genders`` maps woman, man and other to their
    :class:`GenderCounts`, or to None when hidden (see :func:`tabulate_genders` for when). Build it with
    :func:`tabulate_genders`, or read a published one with :meth:`from_dict`.
    """

    ballots: int
    genders: Mapping[GenderGroup, GenderCounts | None]

    def shown(self, gender: GenderGroup) -> GenderCounts | None:
        """Return one gender's counts, or None when hidden."""
        return self.genders.get(gender)

    def support(self, item: ItemId) -> Mapping[GenderGroup, Support]:
        """Return each gender's support for ``item`` (SUPPRESSED where hidden)."""
        return MappingProxyType({
            gender: SUPPRESSED if counts is None or counts.approving[item] is None
            else Support.of(counts.approving[item], counts.ballots)
            for gender, counts in self.genders.items()
        })

    @classmethod
    def from_dict(cls, data: Any) -> GenderTable:
        """Read a table from its published JSON form; raise ValidationFailed("genders", "invalid") if malformed."""
        try:
            genders: dict[GenderGroup, GenderCounts | None] = {}
            if set(data["genders"]) != {gender.value for gender in GenderGroup}:
                raise ValueError
            for gender in GenderGroup:
                entry = data["genders"][gender.value]
                genders[gender] = None if entry is None else GenderCounts(
                    _count(entry["ballots"]),
                    MappingProxyType({str(k): _count(v, hidden=True) for k, v in entry["approving"].items()}),
                    MappingProxyType({str(k): _count(v, hidden=True) for k, v in entry["ranked_first"].items()}),
                )
            return cls(_count(data["ballots"]), MappingProxyType(genders))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValidationFailed("genders", "invalid") from None


def _count(value: Any, *, hidden: bool = False) -> int | None:
    """Return ``value`` if it is a whole number of at least 0 (or None, when ``hidden`` may be); else ValueError."""
    if value is None and hidden:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


@dataclass(frozen=True, slots=True)
class ItemAnalysis(_Plain):
    """Describe who supports one agenda item.

    ``position`` is 1-based on the agenda. The mappings are read-only and sorted by key; suppressed groups
    are present with :data:`SUPPRESSED`. ``dissenting_clubs`` lists clubs (with at least MIN_GROUP
    voters) where a strict majority did not approve. ``gender_gap`` is None unless the gender table shows
    both women and men.
    """

    item: ItemId
    position: int
    overall: Support
    by_club: Mapping[ClubId, Support]
    by_group: Mapping[GroupId, Support]
    by_gender: Mapping[GenderGroup, Support]
    dissenting_clubs: tuple[ClubId, ...]
    gender_gap: GenderGap | None


@dataclass(frozen=True, slots=True)
class MinorityPriority(_Plain):
    """Describe an item left off the agenda that some minority put first, and who did.

    ``first_for_clubs`` / ``first_for_groups`` list the clubs and opinion groups whose first choice it is
    (ties included), ``is_first_for_women`` whether it is a first choice of women voters, and
    ``is_widely_approved`` whether at least a quarter of all voters approved it (``overall`` gives the
    figures).
    """

    item: ItemId
    first_for_clubs: tuple[ClubId, ...]
    first_for_groups: tuple[GroupId, ...]
    is_first_for_women: bool
    is_widely_approved: bool
    overall: Support


@dataclass(frozen=True, slots=True)
class MinorityAnalysis(_Plain):
    """Hold the minority section: per agenda item support, minority priorities and what was suppressed.

    ``voters`` is the total number of counted ballots. ``women_first_choices`` are the women voters' first
    choices (empty when the gender table hides women). ``suppressed_clubs`` / ``suppressed_groups``
    are those with fewer than MIN_GROUP voters, whose figures, dissent and first choices are not shown.
    """

    voters: int
    agenda: tuple[ItemId, ...]
    items: tuple[ItemAnalysis, ...]
    priorities: tuple[MinorityPriority, ...]
    women_first_choices: tuple[ItemId, ...]
    suppressed_clubs: tuple[ClubId, ...]
    suppressed_groups: tuple[GroupId, ...]


@dataclass(frozen=True, slots=True)
class EquityResult(_Plain):
    """Give the mode and outcome every equity check shares; subclasses add the figures."""

    check: ClassVar[EquityCheck]
    mode: CheckMode
    status: CheckStatus

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data, including the check's name."""
        return {"check": self.check.value, **_plain(self)}


@dataclass(frozen=True, slots=True)
class WomensSlotCheck(EquityResult):
    """Report the women's priority slot.

    ``women_voters`` is None when the gender table hides women (fewer than MIN_GROUP women voted, or
    showing them would reveal a smaller group): then the rule does not apply.
    ``first_choices`` are the women's tied first choices; ``item`` the one chosen by the tie rule (None when
    the rule does not apply or a first choice is already on the agenda). When the item was left out,
    ``displaced`` is the agenda item whose last place it takes (None for an empty agenda) and ``position``
    its 1-based place. ``agenda`` is the agenda to publish: adjusted only under ENFORCE.
    """

    check: ClassVar[EquityCheck] = EquityCheck.WOMENS_PRIORITY_SLOT
    women_voters: int | None
    first_choices: tuple[ItemId, ...]
    item: ItemId | None
    is_left_out: bool
    displaced: ItemId | None
    position: int | None
    agenda: tuple[ItemId, ...]


@dataclass(frozen=True, slots=True)
class ParityCheck(EquityResult):
    """Report participation parity: women's share of voters who said woman or man, against the baseline.

    ``women``, ``men``, ``women_share`` and ``other_or_unstated`` (the voters outside the baseline's two
    categories) are None unless the gender table shows both women and men; the status is still computed from
    the true counts. Passes when ``women_share >= baseline - tolerance``.
    """

    check: ClassVar[EquityCheck] = EquityCheck.PARTICIPATION_PARITY
    women: int | None
    men: int | None
    women_share: float | None
    baseline: float
    tolerance: float
    other_or_unstated: int | None


@dataclass(frozen=True, slots=True)
class BoardCheck(EquityResult):
    """Report board composition: women on the board against the target share.

    A board of ``board_size`` seats needs ``required_women = floor(target * board_size)`` women: the largest
    whole number of seats not above the target share (so 3 of 7 pass a 43.9% target, 1 of 3 too). Board
    members are public office holders, so these figures are never suppressed. Unstated gender counts as not
    a woman.
    """

    check: ClassVar[EquityCheck] = EquityCheck.BOARD_COMPOSITION
    board_size: int
    women: int
    women_share: float | None
    target: float
    required_women: int


@dataclass(frozen=True, slots=True)
class EquityReport(_Plain):
    """Hold the three equity checks and the agenda to publish."""

    agenda: tuple[ItemId, ...]
    womens_priority_slot: WomensSlotCheck
    participation_parity: ParityCheck
    board_composition: BoardCheck

    @property
    def results(self) -> tuple[EquityResult, ...]:
        """Return the checks in display order."""
        return (self.womens_priority_slot, self.participation_parity, self.board_composition)

    @property
    def blocks_publishing(self) -> bool:
        """Return whether an enforced check failed."""
        return blocks_publishing(self.results)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {
            "agenda": _plain(self.agenda),
            "blocks_publishing": self.blocks_publishing,
            "checks": [result.to_dict() for result in self.results],
        }


@dataclass(frozen=True, slots=True)
class Analysis(_Plain):
    """Hold the equity report and the minority section computed on the agenda to publish."""

    equity: EquityReport
    minority: MinorityAnalysis

    def to_dict(self) -> dict[str, Any]:
        """Return both parts as plain JSON-ready data."""
        return {"equity": self.equity.to_dict(), "minority": self.minority.to_dict()}


def blocks_publishing(results: Iterable[EquityResult]) -> bool:
    """Return whether any check failed under ENFORCE (status FAIL)."""
    return any(result.status is CheckStatus.FAIL for result in results)


# ----------------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------------


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Return ``(z, p)`` of the pooled two-proportion z-test of ``x1/n1`` against ``x2/n2`` (two-sided).

    When the pooled proportion is 0 or 1 the shares are equal and there is no evidence of a difference:
    ``(0.0, 1.0)``.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValidationFailed("n", "not_positive")
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if variance <= 0.0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2.0))


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Return the two-sided p-value of the pooled two-proportion z-test."""
    return two_proportion_z(x1, n1, x2, n2)[1]


# ----------------------------------------------------------------------------------------------------
# The electorate as arrays
# ----------------------------------------------------------------------------------------------------


def _sort_key(value: Hashable) -> tuple[bool, Any]:
    """Order ids deterministically even when ints and strings are mixed (ints first)."""
    return (isinstance(value, str), value)


def _codes(values: list[Any]) -> tuple[tuple[Any, ...], np.ndarray]:
    """Encode values as sorted category indices; None becomes -1."""
    keys = tuple(sorted((v for v in dict.fromkeys(values) if v is not None), key=_sort_key))
    index: dict[Any, int] = {key: i for i, key in enumerate(keys)}
    index[None] = -1
    return keys, np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


def _flatten(
    per_voter: list[Collection[ItemId]], index: Mapping[ItemId, int], field_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return (voter row, item column) arrays for a list of item collections, one per voter."""
    lengths = np.fromiter(map(len, per_voter), dtype=np.intp, count=len(per_voter))
    total = int(lengths.sum())
    try:
        cols = np.fromiter(
            map(index.__getitem__, itertools.chain.from_iterable(per_voter)), dtype=np.intp, count=total
        )
    except KeyError:
        raise ValidationFailed(field_name, "unknown_item") from None
    return np.repeat(np.arange(len(per_voter), dtype=np.intp), lengths), cols


@dataclass(frozen=True, eq=False)
class Electorate:
    """Hold the voters as numpy arrays, built once and shared by the analyses.

    Approvals and first tiers are kept sparse, as (voter row, item column) pairs without repeats:
    ``approval_rows`` / ``approval_cols`` and ``first_rows`` / ``first_cols`` / ``first_weights`` (a k-way
    tied first tier weighs 1/k per item). ``club`` / ``group`` / ``gender`` are per-voter category codes into
    ``clubs`` / ``groups`` / ``genders`` (-1 when unknown).
    """

    items: tuple[ItemId, ...]
    size: int
    clubs: tuple[ClubId, ...]
    groups: tuple[GroupId, ...]
    club: np.ndarray
    group: np.ndarray
    gender: np.ndarray
    approval_rows: np.ndarray
    approval_cols: np.ndarray
    first_rows: np.ndarray
    first_cols: np.ndarray
    first_weights: np.ndarray
    item_index: Mapping[ItemId, int] = field(repr=False)

    genders: ClassVar[tuple[GenderGroup, ...]] = (GenderGroup.WOMAN, GenderGroup.MAN, GenderGroup.OTHER)

    @classmethod
    def build(cls, items: Sequence[ItemId], voters: Sequence[Voter]) -> Electorate:
        """Return the electorate of ``voters`` over ``items``; raise ValidationFailed on bad ids."""
        items = tuple(items)
        item_index = {item: i for i, item in enumerate(items)}
        if len(item_index) != len(items):
            raise ValidationFailed("items", "duplicate_item")
        n, m = len(voters), len(items)
        clubs, club = _codes([v.club for v in voters])
        if n and int(club.min()) < 0:
            raise ValidationFailed("club", "required")
        groups, group = _codes([v.group for v in voters])
        raw_genders = [v.gender for v in voters]
        # Normalise each distinct self-description once, not once per voter.
        gender_code = {g: i for i, g in enumerate(cls.genders)}
        code_of = {raw: gender_code.get(gender_group(raw), -1) for raw in dict.fromkeys(raw_genders)}
        gender = np.fromiter(map(code_of.__getitem__, raw_genders), dtype=np.int64, count=n)
        approval_rows, approval_cols = _unique_pairs(
            *_flatten([v.approved for v in voters], item_index, "approved"), n, m
        )
        first_rows, first_cols = _unique_pairs(
            *_flatten([v.ranking[0] if v.ranking else () for v in voters], item_index, "ranking"), n, m
        )
        tier_sizes = np.bincount(first_rows, minlength=n)
        return cls(
            items=items,
            size=n,
            clubs=clubs,
            groups=groups,
            club=club,
            group=group,
            gender=gender,
            approval_rows=approval_rows,
            approval_cols=approval_cols,
            first_rows=first_rows,
            first_cols=first_cols,
            first_weights=1.0 / tier_sizes[first_rows],
            item_index=MappingProxyType(item_index),
        )

    def sizes(self, codes: np.ndarray, k: int) -> np.ndarray:
        """Return how many voters fall in each of ``k`` categories."""
        return np.bincount(codes[codes >= 0], minlength=k)

    def approvals_by(self, codes: np.ndarray, k: int) -> np.ndarray:
        """Return a k-by-items matrix of approval counts per category (voters with code -1 left out)."""
        return _sum_by(codes, k, len(self.items), self.approval_rows, self.approval_cols, None).astype(
            np.int64
        )

    def first_scores_by(self, codes: np.ndarray, k: int) -> np.ndarray:
        """Return a k-by-items matrix of first-preference scores per category."""
        return _sum_by(codes, k, len(self.items), self.first_rows, self.first_cols, self.first_weights)

    def first_counts_by(self, codes: np.ndarray, k: int) -> np.ndarray:
        """Return a k-by-items matrix counting, per category, the ballots whose first tier holds each item."""
        return _sum_by(codes, k, len(self.items), self.first_rows, self.first_cols, None).astype(np.int64)

    def total_approvals(self) -> np.ndarray:
        """Return how many voters approved each item."""
        return np.bincount(self.approval_cols, minlength=len(self.items)).astype(np.int64)


def _unique_pairs(rows: np.ndarray, cols: np.ndarray, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the (row, col) pairs without repeats, sorted by row then column."""
    seen = np.zeros((n, m), dtype=bool)
    seen[rows, cols] = True
    return np.nonzero(seen)


def _sum_by(
    codes: np.ndarray, k: int, m: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray | None
) -> np.ndarray:
    """Return a k-by-m matrix summing sparse (row, col[, weight]) entries by the row's category code."""
    row_codes = codes[rows]
    known = row_codes >= 0
    flat = row_codes[known] * m + cols[known]
    kept = None if weights is None else weights[known]
    return np.bincount(flat, weights=kept, minlength=k * m).reshape(k, m)


def _electorate(items: Sequence[ItemId], voters: Sequence[Voter] | Electorate) -> Electorate:
    """Return ``voters`` as an Electorate over ``items``, building it unless given."""
    if isinstance(voters, Electorate):
        if voters.items != tuple(items):
            raise ValidationFailed("items", "mismatch")
        return voters
    return Electorate.build(items, voters)


def _check_agenda(electorate: Electorate, agenda: Sequence[ItemId]) -> tuple[ItemId, ...]:
    """Return the agenda as a tuple; raise ValidationFailed for unknown or repeated items."""
    agenda = tuple(agenda)
    if any(item not in electorate.item_index for item in agenda):
        raise ValidationFailed("agenda", "unknown_item")
    if len(set(agenda)) != len(agenda):
        raise ValidationFailed("agenda", "duplicate_item")
    return agenda


def _first_choices(scores: np.ndarray) -> np.ndarray:
    """Return a boolean matrix marking each row's top-scoring items (all ties; none for an all-zero row)."""
    top = scores.max(axis=1, initial=0.0)[:, None]
    return (scores > 0) & (scores >= top - _SCORE_TOLERANCE * np.maximum(top, 1.0))


# ----------------------------------------------------------------------------------------------------
# The gender table
# ----------------------------------------------------------------------------------------------------


def tabulate_genders(items: Sequence[ItemId], voters: Sequence[Voter] | Electorate) -> GenderTable:
    """Return the federation's figures per gender from the voters' own genders, hiding what must be hidden.

    A gender is shown only when at least MIN_GROUP voters share it, and only while the voters left
    outside the shown genders number none or at least MIN_GROUP; otherwise the shown genders are hidden
    in the order other, man, woman until that holds (the overall figures minus the shown ones would otherwise
    give away a group of one to four people). An item's figure is hidden for every gender when one to four
    ballots in all approved it (or ranked it first): see :func:`_is_small`.
    """
    electorate = _electorate(items, voters)
    k = len(Electorate.genders)
    sizes = electorate.sizes(electorate.gender, k).tolist()
    shown = _disclosable(sizes, electorate.size)
    approvals, firsts = (
        [[None if _is_small(n) else value for value, n in zip(row, total, strict=True)] for row in figure.tolist()]
        for figure, total in zip(_figures(electorate, electorate.gender, k), _totals(electorate), strict=True)
    )
    genders = {
        gender: GenderCounts(
            sizes[g],
            MappingProxyType(dict(zip(electorate.items, approvals[g], strict=True))),
            MappingProxyType(dict(zip(electorate.items, firsts[g], strict=True))),
        ) if shown[g] else None
        for g, gender in enumerate(Electorate.genders)
    }
    return GenderTable(electorate.size, MappingProxyType(genders))


def _figures(electorate: Electorate, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the k-by-items approvals and first-place counts per category (the table's two figures)."""
    return electorate.approvals_by(codes, k), electorate.first_counts_by(codes, k)


def _totals(electorate: Electorate) -> tuple[list[int], list[int]]:
    """Return, per item, how many ballots in all approve it and how many rank it first."""
    approvals, firsts = _figures(electorate, np.zeros(electorate.size, dtype=np.int64), 1)
    return approvals[0].tolist(), firsts[0].tolist()


def _is_small(total: int) -> bool:
    """Say whether a figure covers one to four ballots: it is never split by gender, as the ballots show which."""
    return is_small(total)


def _disclosable(sizes: list[int], total: int) -> list[bool]:
    """Return which of the genders (woman, man, other) may be shown (see :func:`tabulate_genders`)."""
    shown = [size >= MIN_GROUP for size in sizes]
    for g in reversed(range(len(sizes))):
        rest = total - sum(size for size, is_shown in zip(sizes, shown, strict=True) if is_shown)
        if rest == 0 or rest >= MIN_GROUP:
            break
        shown[g] = False
    return shown


def _gender_table(electorate: Electorate, table: GenderTable | None) -> GenderTable:
    """Return ``table`` after checking that it fits the electorate, or tabulate the voters' own genders.

    A given table must count the same ballots over the same items, show no gender of fewer than
    MIN_GROUP ballots nor leave one to four ballots outside the shown ones, hide exactly the item figures
    that one to four ballots share, and never count more approvals or first places than the ballots hold;
    otherwise ValidationFailed("genders", code).
    """
    if table is None:
        return tabulate_genders(electorate.items, electorate)
    if table.ballots != electorate.size:
        raise ValidationFailed("genders", "ballots_mismatch")
    shown = [counts for counts in table.genders.values() if counts is not None]
    items = set(electorate.items)
    if any(set(c.approving) != items or set(c.ranked_first) != items for c in shown):
        raise ValidationFailed("genders", "items_mismatch")
    rest = table.ballots - sum(c.ballots for c in shown)
    if any(c.ballots < MIN_GROUP for c in shown) or 0 < rest < MIN_GROUP:
        raise ValidationFailed("genders", "not_suppressed")
    if rest < 0:
        raise ValidationFailed("genders", "exceeds_ballots")
    for name, totals in zip(("approving", "ranked_first"), _totals(electorate), strict=True):
        for item, total in zip(electorate.items, totals, strict=True):
            values = [(getattr(c, name)[item], c.ballots) for c in shown]
            if any((value is None) is not _is_small(total) for value, _ in values):
                raise ValidationFailed("genders", "not_suppressed")
            known = [(value, ballots) for value, ballots in values if value is not None]
            if sum(value for value, _ in known) > total or any(value > ballots for value, ballots in known):
                raise ValidationFailed("genders", "exceeds_ballots")
    return table


def _women_first_choices(table: GenderTable, items: Sequence[ItemId]) -> tuple[ItemId, ...]:
    """Return the items the most women ranked first, in ``items`` order, when at least MIN_GROUP did."""
    women = table.shown(GenderGroup.WOMAN)
    if women is None:
        return ()
    top = max((women.ranked_first[item] or 0 for item in items), default=0)
    if top < MIN_GROUP:  # hidden figures (one to four ballots) could reach it: the maximum is not known
        return ()
    return tuple(item for item in items if women.ranked_first[item] == top)


def _gender_gap(table: GenderTable, item: ItemId) -> GenderGap | None:
    """Compare women's and men's approval of ``item``; None unless the table shows both figures."""
    women, men = table.shown(GenderGroup.WOMAN), table.shown(GenderGroup.MAN)
    if women is None or men is None or women.approving[item] is None or men.approving[item] is None:
        return None
    x1, n1, x2, n2 = women.approving[item], women.ballots, men.approving[item], men.ballots
    z, p = two_proportion_z(x1, n1, x2, n2)
    difference = x1 / n1 - x2 / n2
    flagged = abs(difference) + _EPSILON >= GENDER_GAP_MIN_DIFFERENCE and p < GENDER_GAP_ALPHA
    return GenderGap(Support.of(x1, n1), Support.of(x2, n2), difference, z, p, flagged)


# ----------------------------------------------------------------------------------------------------
# The minority section
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Breakdown:
    """Hold the voters split one way (by club or by opinion group): sizes, approvals and first choices."""

    keys: tuple[Any, ...]
    sizes: np.ndarray
    approvals: np.ndarray
    shown: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, electorate: Electorate, codes: np.ndarray, keys: tuple[Any, ...]) -> _Breakdown:
        """Split ``electorate`` by category ``codes`` into ``keys``; groups under MIN_GROUP get no first."""
        sizes = electorate.sizes(codes, len(keys))
        shown = sizes >= MIN_GROUP
        first = _first_choices(electorate.first_scores_by(codes, len(keys))) & shown[:, None]
        return cls(keys, sizes, electorate.approvals_by(codes, len(keys)), shown, first)

    def support(self, j: int) -> Mapping[Any, Support]:
        """Return each group's support for item column ``j``, suppressed under MIN_GROUP voters."""
        return _support_map(self.keys, self.approvals[:, j], self.sizes)

    def first_for(self, j: int) -> tuple[Any, ...]:
        """Return the groups whose first choice is item column ``j``."""
        return tuple(self.keys[g] for g in np.flatnonzero(self.first[:, j]))

    def suppressed(self) -> tuple[Any, ...]:
        """Return the groups under MIN_GROUP voters."""
        return tuple(self.keys[g] for g in np.flatnonzero(~self.shown))


def analyse_minority(
    items: Sequence[ItemId],
    agenda: Sequence[ItemId],
    voters: Sequence[Voter] | Electorate,
    genders: GenderTable | None = None,
) -> MinorityAnalysis:
    """Compute the minority section of ``agenda``: support, dissent, gender gaps and minority priorities.

    Gender figures come from ``genders`` (by default, the table of the voters' own genders).
    """
    electorate = _electorate(items, voters)
    agenda = _check_agenda(electorate, agenda)
    table = _gender_table(electorate, genders)
    n, items = electorate.size, electorate.items
    total_approvals = electorate.total_approvals()
    clubs = _Breakdown.of(electorate, electorate.club, electorate.clubs)
    groups = _Breakdown.of(electorate, electorate.group, electorate.groups)
    dissent = clubs.shown[:, None] & (2 * clubs.approvals < clubs.sizes[:, None])

    analyses = []
    for position, item in enumerate(agenda, start=1):
        j = electorate.item_index[item]
        analyses.append(
            ItemAnalysis(
                item=item,
                position=position,
                overall=Support.of(int(total_approvals[j]), n),
                by_club=clubs.support(j),
                by_group=groups.support(j),
                by_gender=table.support(item),
                dissenting_clubs=tuple(clubs.keys[c] for c in np.flatnonzero(dissent[:, j])),
                gender_gap=_gender_gap(table, item),
            )
        )

    women_first = _women_first_choices(table, items)
    on_agenda = set(agenda)
    widely = (n >= MIN_GROUP) & (total_approvals + _EPSILON >= WIDE_APPROVAL_SHARE * n)
    priorities = tuple(
        MinorityPriority(
            item=item,
            first_for_clubs=clubs.first_for(j),
            first_for_groups=groups.first_for(j),
            is_first_for_women=item in women_first,
            is_widely_approved=bool(widely[j]),
            overall=Support.of(int(total_approvals[j]), n),
        )
        for j, item in enumerate(items)
        if item not in on_agenda
        and (clubs.first[:, j].any() or groups.first[:, j].any() or item in women_first or widely[j])
    )
    return MinorityAnalysis(
        voters=n,
        agenda=agenda,
        items=tuple(analyses),
        priorities=priorities,
        women_first_choices=women_first,
        suppressed_clubs=clubs.suppressed(),
        suppressed_groups=groups.suppressed(),
    )


def _support_map(keys: Sequence[Any], approving: np.ndarray, sizes: np.ndarray) -> Mapping[Any, Support]:
    """Return a read-only mapping from each key to its Support, suppressed under MIN_GROUP voters."""
    return MappingProxyType(
        {
            key: Support.of(int(a), int(s))
            for key, a, s in zip(keys, approving.tolist(), sizes.tolist(), strict=True)
        }
    )


# ----------------------------------------------------------------------------------------------------
# Equity checks
# ----------------------------------------------------------------------------------------------------


def _status(mode: CheckMode, passed: bool) -> CheckStatus:
    """Return the status of a check that passed or failed under ``mode``."""
    if mode is CheckMode.OFF:
        return CheckStatus.OFF
    if passed:
        return CheckStatus.PASS
    return CheckStatus.FAIL if mode is CheckMode.ENFORCE else CheckStatus.WARN


def check_womens_priority_slot(
    table: GenderTable, items: Sequence[ItemId], agenda: tuple[ItemId, ...], mode: CheckMode
) -> WomensSlotCheck:
    """Check that women voters' first choice is on the agenda; under ENFORCE put it in the last place.

    Applies only when the gender table shows women (at least MIN_GROUP of them) and at least
    MIN_GROUP women ranked the same item first. Passes when any of the women's (possibly tied) first
    choices is already on the agenda. Otherwise one item is chosen among the tied first choices by: (1) more
    women approving it (a hidden figure counts as 0), then (2) earlier in ``items`` (the official count's
    order). It replaces the agenda's last item (the agenda keeps
    its length; an empty agenda gets it as its only item). Under WARN the agenda is unchanged and the status
    is WARN; under ENFORCE the status is ADJUSTED.
    """
    women = table.shown(GenderGroup.WOMAN)
    first_choices = _women_first_choices(table, items)
    unchanged = WomensSlotCheck(
        mode=mode,
        status=CheckStatus.OFF if mode is CheckMode.OFF else CheckStatus.NOT_APPLICABLE,
        women_voters=None if women is None else women.ballots,
        first_choices=first_choices,
        item=None,
        is_left_out=False,
        displaced=None,
        position=None,
        agenda=agenda,
    )
    if women is None or not first_choices:
        return unchanged
    if any(item in agenda for item in first_choices):
        status = CheckStatus.OFF if mode is CheckMode.OFF else CheckStatus.PASS
        return replace(unchanged, status=status)
    order = {item: index for index, item in enumerate(items)}
    item = min(first_choices, key=lambda choice: (-(women.approving[choice] or 0), order[choice]))
    displaced = agenda[-1] if agenda else None
    adjusted = (*agenda[:-1], item) if agenda else (item,)
    if mode is CheckMode.OFF:
        status = CheckStatus.OFF
    else:
        status = CheckStatus.ADJUSTED if mode is CheckMode.ENFORCE else CheckStatus.WARN
    return replace(
        unchanged,
        status=status,
        item=item,
        is_left_out=True,
        displaced=displaced,
        position=len(adjusted),
        agenda=adjusted if mode is CheckMode.ENFORCE else agenda,
    )


def check_participation_parity(
    electorate: Electorate, table: GenderTable, mode: CheckMode, baseline: float, tolerance: float,
    turnout: Mapping[str, int] | None = None,
) -> ParityCheck:
    """Check that women's share of voters who said woman or man reaches ``baseline - tolerance``.

    The figures are the table's when it shows both women and men; otherwise they are not shown, and the
    status comes from ``turnout`` (how many voters said woman and man: who voted is known apart from what was
    voted), else from the voters' own genders. Not applicable when no voter said woman or man.
    """
    women_counts, men_counts = table.shown(GenderGroup.WOMAN), table.shown(GenderGroup.MAN)
    shown = women_counts is not None and men_counts is not None
    if shown:
        women, men = women_counts.ballots, men_counts.ballots
    elif turnout is not None:
        women, men = int(turnout.get(GenderGroup.WOMAN.value, 0)), int(turnout.get(GenderGroup.MAN.value, 0))
    else:
        sizes = electorate.sizes(electorate.gender, len(electorate.genders))
        women = int(sizes[electorate.genders.index(GenderGroup.WOMAN)])
        men = int(sizes[electorate.genders.index(GenderGroup.MAN)])
    known = women + men
    if known == 0:
        status = CheckStatus.OFF if mode is CheckMode.OFF else CheckStatus.NOT_APPLICABLE
    else:
        status = _status(mode, women / known + _EPSILON >= baseline - tolerance)
    return ParityCheck(
        mode=mode,
        status=status,
        women=women if shown else None,
        men=men if shown else None,
        women_share=women / known if shown else None,
        baseline=baseline,
        tolerance=tolerance,
        other_or_unstated=table.ballots - known if shown else None,
    )


def check_board_composition(
    board_genders: Sequence[str | None], mode: CheckMode, target: float
) -> BoardCheck:
    """Check that the board has at least ``floor(target * seats)`` women; not applicable to an empty board."""
    size = len(board_genders)
    women = sum(1 for gender in board_genders if gender_group(gender) is GenderGroup.WOMAN)
    required = math.floor(target * size + _EPSILON)
    if size == 0:
        status = CheckStatus.OFF if mode is CheckMode.OFF else CheckStatus.NOT_APPLICABLE
    else:
        status = _status(mode, women >= required)
    return BoardCheck(
        mode=mode,
        status=status,
        board_size=size,
        women=women,
        women_share=women / size if size else None,
        target=target,
        required_women=required,
    )


def check_equity(
    items: Sequence[ItemId],
    agenda: Sequence[ItemId],
    voters: Sequence[Voter] | Electorate,
    *,
    genders: GenderTable | None = None,
    board_genders: Sequence[str | None] = (),
    config: EquityConfig | None = None,
    turnout: Mapping[str, int] | None = None,
) -> EquityReport:
    """Run the three equity checks on a draft agenda and return the agenda to publish.

    ``genders`` is the gender table (by default, the table of the voters' own genders). ``board_genders``
    gives the self-described gender of each board member (None when unstated). ``turnout`` counts the voters
    per gender (see :func:`check_participation_parity`). The women's priority slot is checked on the count's
    agenda; under ENFORCE the returned agenda carries the slot.
    """
    config = config or EquityConfig()
    electorate = _electorate(items, voters)
    agenda = _check_agenda(electorate, agenda)
    table = _gender_table(electorate, genders)
    slot = check_womens_priority_slot(table, electorate.items, agenda, config.womens_priority_slot)
    parity = check_participation_parity(
        electorate, table, config.participation_parity, config.women_baseline, config.parity_tolerance, turnout
    )
    target = config.women_baseline if config.board_target is None else config.board_target
    board = check_board_composition(board_genders, config.board_composition, target)
    return EquityReport(
        agenda=slot.agenda, womens_priority_slot=slot, participation_parity=parity, board_composition=board
    )


def analyse(
    items: Sequence[ItemId],
    agenda: Sequence[ItemId],
    voters: Sequence[Voter] | Electorate,
    *,
    genders: GenderTable | None = None,
    board_genders: Sequence[str | None] = (),
    config: EquityConfig | None = None,
    turnout: Mapping[str, int] | None = None,
) -> Analysis:
    """Run the equity checks, then compute the minority section on the agenda they return."""
    electorate = _electorate(items, voters)
    table = _gender_table(electorate, genders)
    equity = check_equity(electorate.items, agenda, electorate, genders=table, board_genders=board_genders,
                          config=config, turnout=turnout)
    return Analysis(equity=equity, minority=analyse_minority(electorate.items, equity.agenda, electorate, table))


# ----------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Convert results to JSON-ready data: dicts with str keys, lists, enum values, numbers."""
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
