"""Mentor suggestions favour another club, a woman mentor when asked, the less busy and shared words."""

from __future__ import annotations

from deliberate.domain.mentoring import MAX_MENTEES, MenteeFacts, MentorFacts, suggest_mentors


def _mentor(user_id, name, club, woman=False, busy=0, topics=""):
    return MentorFacts(user_id, name, club, woman, busy, topics)


def test_a_mentor_from_another_club_comes_first():
    mentee = MenteeFacts(1, 10, "", False)
    found = suggest_mentors(mentee, [_mentor(2, "Ana", 10), _mentor(3, "Bea", 11)])
    assert [s.name for s in found] == ["Bea", "Ana"] and found[0].other_club


def test_a_woman_mentor_comes_first_when_asked():
    mentee = MenteeFacts(1, 10, "", True)
    found = suggest_mentors(mentee, [_mentor(2, "Carlos", 11), _mentor(3, "Dora", 10, woman=True)])
    assert [s.name for s in found] == ["Dora", "Carlos"]


def test_shared_words_and_free_time_count_and_full_mentors_and_oneself_are_left_out():
    mentee = MenteeFacts(1, 10, "quiero aprender tesorería y contabilidad", False)
    found = suggest_mentors(mentee, [
        _mentor(1, "Me", 11), _mentor(2, "Full", 11, busy=MAX_MENTEES),
        _mentor(3, "Eva", 11, topics="Contabilidad del club"), _mentor(4, "Fer", 11)])
    assert [s.name for s in found] == ["Eva", "Fer"] and found[0].shared_words == ("contabilidad",)


def test_suggestions_are_deterministic():
    mentee = MenteeFacts(1, 10, "", False)
    mentors = [_mentor(n, f"M{n}", 11) for n in range(2, 9)]
    assert suggest_mentors(mentee, mentors) == suggest_mentors(mentee, list(reversed(mentors)))
