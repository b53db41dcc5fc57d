"""What a person should do now: tasks from plain facts, the most pressing first."""

from datetime import date

from deliberate.domain.phases import Phase
from deliberate.domain.tasks import ConsultationFacts, TaskKind, days_left, tasks_for

TODAY = date(2027, 3, 10)


def facts(phase, **values):
    return ConsultationFacts(consultation_id=7, phase=phase, until=values.pop("until", None), today=TODAY,
                             is_member=values.pop("is_member", True), is_board=values.pop("is_board", False),
                             **values)


def kinds(found):
    return [task.kind for task in found]


def test_a_member_is_asked_for_a_demand_and_reactions_while_collecting():
    found = tasks_for(facts(Phase.COLLECTING, to_react=4))
    assert kinds(found) == [TaskKind.REACT, TaskKind.SUBMIT_DEMAND]
    assert found[0].count == 4
    assert kinds(tasks_for(facts(Phase.COLLECTING, demands_of_mine=1))) == []  # nothing left to react to


def test_a_member_who_has_not_voted_is_asked_to_and_one_who_has_is_not():
    assert kinds(tasks_for(facts(Phase.VOTING))) == [TaskKind.VOTE]
    assert kinds(tasks_for(facts(Phase.VOTING, has_cast=True))) == []


def test_a_task_is_urgent_within_three_days_of_the_phases_last_day():
    soon = tasks_for(facts(Phase.VOTING, until=date(2027, 3, 13)))
    later = tasks_for(facts(Phase.VOTING, until=date(2027, 3, 14)))
    assert soon[0].is_urgent and not later[0].is_urgent
    assert days_left(date(2027, 3, 10), TODAY) == 0 and days_left(None, TODAY) is None


def test_urgent_tasks_come_first():
    found = tasks_for(facts(Phase.DELIBERATING, to_react=2, is_board=True, until=date(2027, 3, 11)))
    assert kinds(found) == [TaskKind.REACT, TaskKind.BOARD_NEXT_PHASE]
    assert found[1].next_phase is Phase.VOTING


def test_the_boards_next_step_turns_urgent_once_the_phase_is_over():
    [task] = tasks_for(facts(Phase.DELIBERATING, is_member=False, is_board=True, until=date(2027, 3, 9),
                             blocking_gaps=1))
    assert task.kind is TaskKind.BOARD_NEXT_PHASE and task.is_urgent and task.count == 1


def test_the_board_consolidates_then_publishes():
    assert kinds(tasks_for(facts(Phase.CONSOLIDATING, is_member=False, is_board=True, warnings=2))) == [
        TaskKind.BOARD_CONSOLIDATE, TaskKind.BOARD_NEXT_PHASE]
    assert kinds(tasks_for(facts(Phase.TALLIED, is_member=False, is_board=True))) == [TaskKind.BOARD_PUBLISH]


def test_officers_are_told_of_reports_they_may_cosign_and_everyone_of_a_published_agenda():
    assert kinds(tasks_for(facts(Phase.TALLIED, reports_to_cosign=2))) == [TaskKind.COSIGN_REPORTS]
    assert kinds(tasks_for(facts(Phase.PUBLISHED, is_agenda_published=True, is_member=False))) == [
        TaskKind.READ_AGENDA]


def test_an_outsider_has_nothing_to_do():
    for phase in Phase:
        assert tasks_for(facts(phase, is_member=False, to_react=3)) == ()
