"""The counted ballots as arrays (the electorate), and the plain values the minority and equity analyses share.

The service hands the engines one :class:`Voter` per counted ballot; :class:`Electorate` holds them as arrays
(clubs, opinion groups, genders, first preferences, approvals), so that every figure is a sum over them.

Decisions, each taken privacy-first (members may be undocumented; no breakdown of fewer than five people):

* **Suppression.** Any subgroup (club, opinion group, gender) with fewer than :data:`MIN_GROUP` voters
  is reported as suppressed (:attr:`Support.is_suppressed`, all figures ``None``), never as a number. The
  overall figure is suppressed too when fewer than five people voted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias

import numpy as np

from deliberate.domain.errors import ValidationFailed
from deliberate.domain.gender import GenderGroup, gender_group
from deliberate.domain.privacy import MIN_GROUP

ItemId: TypeAlias = int | str
ClubId: TypeAlias = int | str
GroupId: TypeAlias = int | str
# Guards float comparisons of shares against thresholds at exact boundaries (e.g. 10 points, 25%).
EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class Voter:
    """Hold one counted ballot with the voter's non-identifying attributes.

    ``ranking`` is a list of tiers (best first; items in a tier are tied; unranked items tie below),
    ``approved`` the items above the ballot's approval line. ``gender`` is the self-description (see
    :func:`~deliberate.domain.gender.gender_group`) and ``group`` the voter's opinion group, each ``None`` when
    unknown. ``gender`` feeds only :func:`~deliberate.domain.equity.tabulate_genders` and the participation
    count; every other gender figure comes from a :class:`~deliberate.domain.equity.GenderTable`.
    """

    club: ClubId
    gender: str | None = None
    group: GroupId | None = None
    ranking: Sequence[Sequence[ItemId]] = ()
    approved: Collection[ItemId] = ()


class Plain:
    """Mix in a JSON-ready export of a frozen result."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data: str keys, enum values, lists, numbers, None."""
        return plain_value(self)


@dataclass(frozen=True, slots=True)
class Support(Plain):
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


def as_electorate(items: Sequence[ItemId], voters: Sequence[Voter] | Electorate) -> Electorate:
    """Return ``voters`` as an Electorate over ``items``, building it unless given."""
    if isinstance(voters, Electorate):
        if voters.items != tuple(items):
            raise ValidationFailed("items", "mismatch")
        return voters
    return Electorate.build(items, voters)


def check_agenda(electorate: Electorate, agenda: Sequence[ItemId]) -> tuple[ItemId, ...]:
    """Return the agenda as a tuple; raise ValidationFailed for unknown or repeated items."""
    agenda = tuple(agenda)
    if any(item not in electorate.item_index for item in agenda):
        raise ValidationFailed("agenda", "unknown_item")
    if len(set(agenda)) != len(agenda):
        raise ValidationFailed("agenda", "duplicate_item")
    return agenda


def plain_value(value: Any) -> Any:
    """Convert results to JSON-ready data: dicts with str keys, lists, enum values, numbers."""
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_value(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(plain_value(k)): plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
