"""Choose an agenda of N items from the ballots' approval lines, proportionally.

Each voter approves the items above their approval line. From those approval sets this module chooses a committee
(the agenda) of ``seats`` items:

``equal_shares``
    The Method of Equal Shares (MES, formerly "Rule X"; Peters and Skowron 2020, Lackner and Skowron 2023), as
    abcvoting's ``"equal-shares"`` rule computes it, including its completion. Every voter starts with a budget of
    ``seats * w_i / W`` (``w_i`` the voter's weight, ``W`` the total weight) and every item costs 1. An item is
    affordable when its supporters together still hold at least 1; its price per unit of weight ``q`` is the
    smallest number such that supporters paying ``min(budget_i, q * w_i)`` cover the cost. Each round buys the
    affordable item with the smallest ``q`` and charges its supporters. When no item is affordable before the
    agenda is full, the remaining seats are filled by sequential Phragmen starting from the loads
    ``-budget_i / w_i`` (the money each voter has left), which is abcvoting's default completion; items nobody
    approves come last, lowest index first (abcvoting gives them the load ``seats + 1``, which is the same thing
    whenever weights are at least 1).
``pav``
    Proportional Approval Voting: the committee maximising ``sum_i w_i * (1 + 1/2 + ... + 1/|A_i & W|)``, found
    exactly and deterministically. Small counts are searched directly by branch and bound (the bound is the
    submodularity bound: the current score plus the largest remaining marginal gains). Larger ones (a federation's
    hundreds of items, 100,000 ballots, 20 seats) first go through a Lagrangian bound, the dual of the linear
    relaxation of the PAV integer program with one price per distinct ballot, tightened by subgradient steps: an
    item whose best committee provably scores below sequential PAV's is in no optimal committee, one without which
    every committee does is in all of them, and the branch and bound then runs on the few items left. Both are
    capped by a deterministic amount of work (``exact_limit``); above the cap the result is sequential PAV and
    says so (``method == "seqpav"``, ``is_exact`` False and a note), and the page, the JSON and the recount say
    "sequential PAV". Exact PAV is the rule with the guarantees (EJR); sequential PAV is not.
``seqpav``
    Sequential PAV: add, seat by seat, the item with the largest marginal PAV score.
``approval_ranking``
    The ``seats`` items with the most approval weight (plain approval voting; not proportional).

Ties are never broken silently. Whenever several items are tied for a seat, the item with the lowest index wins
(the same rule as abcvoting with ``resolute=True``), and the selection records a ``TieBreak``; for PAV, which
chooses a set, the lexicographically smallest optimal committee wins. Equal Shares compares prices and loads as
abcvoting's default float arithmetic does (equal within a relative and absolute tolerance of 1e-12, and a budget
that close to the price counts as enough); PAV and sequential PAV compare scores exactly when the weights are
integers (scores are scaled by lcm(1..seats) and summed exactly in float64), and within 1e-12 of the largest
possible score otherwise.

``ejr_check`` / ``ejr_violations`` report cohesive groups left without enough representation (extended justified
representation, EJR; for l = 1 this is justified representation, JR, which is always decided exactly; for l > 1
the search is exact up to a deterministic work limit and says when it stopped).

Identical ballots are grouped first (bit-packed rows, hashed, verified) and carried as one weighted ballot: every
rule here treats identical voters identically, so this changes no result and makes 100,000 ballots cheap.

The package's modules: ``results`` (what a selection returns), ``profiles`` (ballots grouped and weighted),
``method_of_equal_shares``, ``proportional_approval`` (PAV and sequential PAV), ``approval`` (approval ranking) and
``representation`` (the EJR check). A tunable limit is read by the module that defines it: set it there.
"""

from __future__ import annotations

from deliberate.domain.selection.approval import approval_ranking
from deliberate.domain.selection.method_of_equal_shares import equal_shares
from deliberate.domain.selection.proportional_approval import pav, seqpav
from deliberate.domain.selection.representation import ejr_check, ejr_violations
from deliberate.domain.selection.results import TIE_RULE, EJRReport, EJRViolation, Selection, SelectionStep, TieBreak

__all__ = [
    "TIE_RULE",
    "EJRReport",
    "EJRViolation",
    "Selection",
    "SelectionStep",
    "TieBreak",
    "approval_ranking",
    "ejr_check",
    "ejr_violations",
    "equal_shares",
    "pav",
    "seqpav",
]
