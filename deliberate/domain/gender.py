"""Gender: what a person may say about themselves, and the three groups every count and table uses.

Gender is optional and self-described. A person answers with one of :class:`Gender` (or not at all); counts,
tables and equity checks see only the group of that answer (:func:`gender_group`): a woman, a man, another
gender, or not said. ``Gender.UNDISCLOSED``, which earlier forms offered, is counted exactly like no answer.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Gender", "GenderGroup", "gender_group"]


class Gender(StrEnum):
    """Name a person's self-described gender, optional, used only for anonymous statistics."""

    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
    ANOTHER = "another"
    UNDISCLOSED = "undisclosed"  # offered by earlier forms; counted like no answer (None), no longer offered


class GenderGroup(StrEnum):
    """Name the gender groups that counts report (every gender other than woman and man is OTHER)."""

    WOMAN = "woman"
    MAN = "man"
    OTHER = "other"


def gender_group(gender: Gender | str | None) -> GenderGroup | None:
    """Return the group a self-described gender is counted in, or None when it was not said.

    Takes a :class:`Gender` or its word (case and surrounding spaces ignored; any other description is OTHER).
    """
    if gender is None:
        return None
    word = str(gender).strip().lower()
    if not word or word == Gender.UNDISCLOSED:
        return None
    if word == GenderGroup.WOMAN:
        return GenderGroup.WOMAN
    if word == GenderGroup.MAN:
        return GenderGroup.MAN
    return GenderGroup.OTHER
