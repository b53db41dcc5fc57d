"""Programme rules without a database: status moves, progress and its roll-up, funding totals, promises kept."""

from __future__ import annotations

from datetime import date

import pytest

from deliberate.domain.errors import Conflict, ValidationFailed
from deliberate.domain.programmes import (
    CommitmentStatus,
    Currency,
    FundingShare,
    MilestoneState,
    Source,
    Status,
    agenda_progress,
    check_dates,
    check_milestone,
    check_move,
    check_progress,
    check_share,
    commitment_status,
    federation_progress,
    funding_totals,
    is_overdue,
    portfolio,
    programme_progress,
    roll_up,
    scorecard,
)

TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(("current", "target"), [
    (Status.PLANNED, Status.IN_PROGRESS), (Status.IN_PROGRESS, Status.DONE), (Status.BLOCKED, Status.IN_PROGRESS),
    (Status.DONE, Status.IN_PROGRESS), (Status.DROPPED, Status.PLANNED),
])
def test_allowed_moves_pass(current, target):
    check_move(current, target, "")


@pytest.mark.parametrize(("current", "target"), [
    (Status.PLANNED, Status.DONE), (Status.PLANNED, Status.PLANNED), (Status.DONE, Status.DROPPED),
    (Status.DROPPED, Status.DONE),
])
def test_other_moves_are_refused(current, target):
    with pytest.raises(Conflict) as refused:
        check_move(current, target, "a reason")
    assert refused.value.reason == "invalid_move"


@pytest.mark.parametrize("target", [Status.BLOCKED, Status.DROPPED])
def test_blocking_or_dropping_needs_a_reason(target):
    with pytest.raises(ValidationFailed) as refused:
        check_move(Status.IN_PROGRESS, target, "   ")
    assert (refused.value.field, refused.value.code) == ("reason", "reason_required")
    check_move(Status.IN_PROGRESS, target, "The municipality has not signed.")


def test_progress_comes_from_the_done_share_of_the_weights():
    milestones = [MilestoneState(30, True), MilestoneState(50, False), MilestoneState(20, True)]
    assert programme_progress(Status.IN_PROGRESS, milestones, set_percent=90) == pytest.approx(0.5)


def test_weights_under_100_are_read_as_shares_of_their_total():
    assert programme_progress(Status.IN_PROGRESS, [MilestoneState(10, True), MilestoneState(30, False)], None) \
        == pytest.approx(0.25)


def test_without_milestones_progress_is_the_figure_set_and_done_is_complete():
    assert programme_progress(Status.IN_PROGRESS, [], 40) == pytest.approx(0.4)
    assert programme_progress(Status.PLANNED, [], None) == 0
    assert programme_progress(Status.DONE, [MilestoneState(100, False)], 0) == 1


def test_an_item_rolls_up_its_programmes_without_the_dropped_ones():
    assert roll_up([(Status.IN_PROGRESS, 0.5), (Status.DONE, 1.0), (Status.DROPPED, 0.0)]) == pytest.approx(0.75)
    assert roll_up([(Status.DROPPED, 0.3)]) is None
    assert roll_up([]) is None


def test_an_agenda_counts_an_item_without_programmes_as_nothing_done():
    assert agenda_progress([1.0, None, 0.5, 0.5]) == pytest.approx(0.5)
    assert agenda_progress([]) == 0


def test_a_federations_progress_is_the_mean_of_its_agendas_and_unknown_before_the_first():
    assert federation_progress([0.5, 1.0, 0.0]) == pytest.approx(0.5)
    assert federation_progress([0.25]) == pytest.approx(0.25)
    assert federation_progress([]) is None


def test_a_milestone_cannot_take_the_weights_past_100_or_fall_before_the_start():
    check_milestone(40, [30, 30], date(2027, 5, 1), date(2027, 1, 1))
    with pytest.raises(ValidationFailed) as over:
        check_milestone(41, [30, 30], None, None)
    assert over.value.code == "weights_over"
    with pytest.raises(ValidationFailed) as early:
        check_milestone(10, [], date(2026, 12, 31), date(2027, 1, 1))
    assert (early.value.field, early.value.code) == ("due_on", "before_start")
    with pytest.raises(ValidationFailed):
        check_milestone(0, [], None, None)


def test_a_programme_cannot_be_due_before_it_starts_and_progress_stays_in_0_to_100():
    check_dates(date(2027, 1, 1), date(2027, 1, 1))
    with pytest.raises(ValidationFailed):
        check_dates(date(2027, 1, 2), date(2027, 1, 1))
    with pytest.raises(ValidationFailed):
        check_progress(101)
    check_progress(0)


def test_overdue_means_past_the_date_and_not_finished():
    assert is_overdue(date(2027, 2, 28), Status.IN_PROGRESS, TODAY)
    assert is_overdue(date(2027, 2, 28), Status.BLOCKED, TODAY)
    assert not is_overdue(date(2027, 2, 28), Status.DONE, TODAY)
    assert not is_overdue(date(2027, 2, 28), Status.DROPPED, TODAY)
    assert not is_overdue(TODAY, Status.PLANNED, TODAY)
    assert not is_overdue(None, Status.PLANNED, TODAY)


def test_nothing_is_received_beyond_its_commitment():
    check_share(100_00, 100_00)
    with pytest.raises(ValidationFailed) as beyond:
        check_share(100_00, 100_01)
    assert (beyond.value.field, beyond.value.code) == ("received", "beyond_committed")
    with pytest.raises(ValidationFailed):
        check_share(-1, 0)


def test_funding_is_totalled_per_source_and_currency_and_never_converted():
    shares = [
        FundingShare(Source.CLUB, Currency.USD, 5_000_00, 5_000_00),
        FundingShare(Source.MUNICIPALITY, Currency.MXN, 100_000_00, 20_000_00),
        FundingShare(Source.STATE, Currency.MXN, 100_000_00, 0),
        FundingShare(Source.CLUB, Currency.USD, 1_000_00, 0),
    ]
    totals = funding_totals(shares)
    rows = [(t.currency, t.source, t.committed_cents, t.received_cents) for t in totals]
    assert rows == [
        (Currency.MXN, Source.MUNICIPALITY, 100_000_00, 20_000_00),
        (Currency.MXN, Source.STATE, 100_000_00, 0),
        (Currency.MXN, None, 200_000_00, 20_000_00),
        (Currency.USD, Source.CLUB, 6_000_00, 5_000_00),
        (Currency.USD, None, 6_000_00, 5_000_00),
    ]
    assert totals[2].received_share == pytest.approx(0.1)
    assert totals[2].to_dict() == {"currency": "MXN", "source": None, "committed_cents": 200_000_00,
                                   "received_cents": 20_000_00}


def test_a_promise_in_progress_past_its_date_is_late():
    assert commitment_status(CommitmentStatus.IN_PROGRESS, date(2027, 2, 1), TODAY) is CommitmentStatus.LATE
    assert commitment_status(CommitmentStatus.IN_PROGRESS, TODAY, TODAY) is CommitmentStatus.IN_PROGRESS
    assert commitment_status(CommitmentStatus.KEPT, date(2027, 2, 1), TODAY) is CommitmentStatus.KEPT
    assert commitment_status(CommitmentStatus.BROKEN, None, TODAY) is CommitmentStatus.BROKEN


def test_the_scorecard_counts_each_authority_or_officials_promises():
    scores = scorecard([("Presidencia de Jerez", CommitmentStatus.KEPT), ("consulado", CommitmentStatus.LATE),
                        ("Presidencia de Jerez", CommitmentStatus.BROKEN),
                        ("Presidencia de Jerez", CommitmentStatus.IN_PROGRESS)])
    assert [score.name for score in scores] == ["consulado", "Presidencia de Jerez"]
    jerez = scores[1]
    assert (jerez.kept, jerez.in_progress, jerez.late, jerez.broken, jerez.total) == (1, 1, 0, 1, 3)
    assert jerez.kept_share == pytest.approx(0.5)
    assert scores[0].kept_share == 0
    assert jerez.to_dict()["total"] == 3


def test_a_portfolio_counts_every_status_and_leaves_dropped_ones_out_of_progress():
    summary = portfolio([(Status.DONE, 1.0, False), (Status.IN_PROGRESS, 0.5, True),
                               (Status.DROPPED, 0.0, False)])
    assert summary.total == 3 and summary.overdue == 1 and summary.progress == 0.75
    assert [status for status, _count in summary.by_status] == list(Status)
    assert summary.to_dict()["by_status"] == {"planned": 0, "in_progress": 1, "blocked": 0, "done": 1, "dropped": 1}
    assert portfolio([]).progress is None and portfolio([]).total == 0
