"""The gender table, the gender gap, and the equity checks run before publishing (each :class:`CheckMode` off /
warn / enforce; see :func:`check_equity`).

Decisions, each taken privacy-first (members may be undocumented; no breakdown of fewer than five people):

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
* **Gender gap.** Flagged when the table shows both women and men, their approval shares differ by at least
  :data:`GENDER_GAP_MIN_DIFFERENCE` (10 points) and a pooled two-proportion z-test gives
  ``p < GENDER_GAP_ALPHA`` (0.05, two-sided; p from ``math.erfc``).
* **First choice of the women voters**: the items the most women ranked first, from the table's whole
  counts (a ballot with several items tied in first place counts once for each of them), reported only when
  at least five women ranked it first (an item fewer than five ballots ranked first has no split by gender,
  so only then is the maximum known). Whole counts keep the published table plain, and do not reveal how
  individual ballots tied their first place.
* **Gender** is self-described and optional: each voter's answer is counted in its group
  (:func:`deliberate.domain.gender.gender_group`): a woman, a man, another gender (:attr:`GenderGroup.OTHER`),
  or unstated.

Equity checks (each :class:`CheckMode` off / warn / enforce) are described on :func:`check_equity`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from deliberate.domain.electorate import (
    EPSILON,
    SUPPRESSED,
    Electorate,
    ItemId,
    Plain,
    Support,
    Voter,
    as_electorate,
    check_agenda,
    plain_value,
    two_proportion_z,
)
from deliberate.domain.errors import ValidationFailed
from deliberate.domain.gender import GenderGroup, gender_group
from deliberate.domain.privacy import MIN_GROUP, is_small
from deliberate.domain.rules import CheckMode

#: Default share of women used as the participation baseline (INEGI: 43.9% of Mexican migrants in the US).
DEFAULT_WOMEN_BASELINE = 0.439
#: Participation parity passes when women's share of voters is at least ``baseline - tolerance``.
DEFAULT_PARITY_TOLERANCE = 0.05
#: A gender gap needs at least this difference between women's and men's approval shares ...
GENDER_GAP_MIN_DIFFERENCE = 0.10
#: ... and a two-proportion z-test p-value below this.
GENDER_GAP_ALPHA = 0.05


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


@dataclass(frozen=True, slots=True)
class GenderGap(Plain):
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
class GenderCounts(Plain):
    """Give one gender's federation totals: its ballots, and per item how many approved it and ranked it first.

    ``ranked_first`` counts the ballots whose first place holds the item, alone or tied with others. An item's
    figure is None (hidden) when one to four ballots in all approved it (or ranked it first).
    """

    ballots: int
    approving: Mapping[ItemId, int | None]
    ranked_first: Mapping[ItemId, int | None]


@dataclass(frozen=True, slots=True)
class GenderTable(Plain):
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
class EquityResult(Plain):
    """Give the mode and outcome every equity check shares; subclasses add the figures."""

    check: ClassVar[EquityCheck]
    mode: CheckMode
    status: CheckStatus

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data, including the check's name."""
        return {"check": self.check.value, **plain_value(self)}


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
class EquityReport(Plain):
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
            "agenda": plain_value(self.agenda),
            "blocks_publishing": self.blocks_publishing,
            "checks": [result.to_dict() for result in self.results],
        }


def blocks_publishing(results: Iterable[EquityResult]) -> bool:
    """Return whether any check failed under ENFORCE (status FAIL)."""
    return any(result.status is CheckStatus.FAIL for result in results)


def tabulate_genders(items: Sequence[ItemId], voters: Sequence[Voter] | Electorate) -> GenderTable:
    """Return the federation's figures per gender from the voters' own genders, hiding what must be hidden.

    A gender is shown only when at least MIN_GROUP voters share it, and only while the voters left
    outside the shown genders number none or at least MIN_GROUP; otherwise the shown genders are hidden
    in the order other, man, woman until that holds (the overall figures minus the shown ones would otherwise
    give away a group of one to four people). An item's figure is hidden for every gender when one to four
    ballots in all approved it (or ranked it first): see :func:`_is_small`.
    """
    electorate = as_electorate(items, voters)
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


def gender_table_of(electorate: Electorate, table: GenderTable | None) -> GenderTable:
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


def women_first_choices(table: GenderTable, items: Sequence[ItemId]) -> tuple[ItemId, ...]:
    """Return the items the most women ranked first, in ``items`` order, when at least MIN_GROUP did."""
    women = table.shown(GenderGroup.WOMAN)
    if women is None:
        return ()
    top = max((women.ranked_first[item] or 0 for item in items), default=0)
    if top < MIN_GROUP:  # hidden figures (one to four ballots) could reach it: the maximum is not known
        return ()
    return tuple(item for item in items if women.ranked_first[item] == top)


def gender_gap(table: GenderTable, item: ItemId) -> GenderGap | None:
    """Compare women's and men's approval of ``item``; None unless the table shows both figures."""
    women, men = table.shown(GenderGroup.WOMAN), table.shown(GenderGroup.MAN)
    if women is None or men is None or women.approving[item] is None or men.approving[item] is None:
        return None
    x1, n1, x2, n2 = women.approving[item], women.ballots, men.approving[item], men.ballots
    z, p = two_proportion_z(x1, n1, x2, n2)
    difference = x1 / n1 - x2 / n2
    flagged = abs(difference) + EPSILON >= GENDER_GAP_MIN_DIFFERENCE and p < GENDER_GAP_ALPHA
    return GenderGap(Support.of(x1, n1), Support.of(x2, n2), difference, z, p, flagged)


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
    first_choices = women_first_choices(table, items)
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
        status = _status(mode, women / known + EPSILON >= baseline - tolerance)
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
    required = math.floor(target * size + EPSILON)
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
    electorate = as_electorate(items, voters)
    agenda = check_agenda(electorate, agenda)
    table = gender_table_of(electorate, genders)
    slot = check_womens_priority_slot(table, electorate.items, agenda, config.womens_priority_slot)
    parity = check_participation_parity(
        electorate, table, config.participation_parity, config.women_baseline, config.parity_tolerance, turnout
    )
    target = config.women_baseline if config.board_target is None else config.board_target
    board = check_board_composition(board_genders, config.board_composition, target)
    return EquityReport(
        agenda=slot.agenda, womens_priority_slot=slot, participation_parity=parity, board_composition=board
    )
