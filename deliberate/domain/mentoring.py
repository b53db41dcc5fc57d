"""Mentoring: which mentors to suggest for a member who asked for one.

Pure rules. A suggestion favours a mentor from another club (a leader learns most from outside her own circle),
a woman mentor when the member asked for one, a mentor with fewer people already in her care, and shared words
between what the mentor offers and what the member wants to learn. The order is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_MENTEES = 3  # a mentor with this many active pairings is not suggested
_WORD = re.compile(r"\w{4,}", re.UNICODE)


@dataclass(frozen=True)
class MentorFacts:
    user_id: int
    name: str
    club_id: int | None
    is_woman: bool
    active_mentees: int
    topics: str


@dataclass(frozen=True)
class MenteeFacts:
    user_id: int
    club_id: int | None
    wants: str
    wants_woman_mentor: bool


@dataclass(frozen=True)
class Suggestion:
    user_id: int
    name: str
    score: int
    other_club: bool
    is_woman: bool
    shared_words: tuple[str, ...]


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text or "")}


def suggest_mentors(mentee: MenteeFacts, mentors: Sequence[MentorFacts], limit: int = 5) -> list[Suggestion]:
    """Return the best mentors for a member, best first; never the member herself nor a mentor already full."""
    wanted = _words(mentee.wants)
    found = []
    for mentor in mentors:
        if mentor.user_id == mentee.user_id or mentor.active_mentees >= MAX_MENTEES:
            continue
        other_club = mentor.club_id is None or mentor.club_id != mentee.club_id
        shared = tuple(sorted(wanted & _words(mentor.topics)))
        score = (2 if other_club else 0) + len(shared) + (MAX_MENTEES - mentor.active_mentees)
        if mentee.wants_woman_mentor:
            score += 10 if mentor.is_woman else 0
        found.append(Suggestion(mentor.user_id, mentor.name, score, other_club, mentor.is_woman, shared))
    found.sort(key=lambda s: (-s.score, s.name, s.user_id))
    return found[:limit]
