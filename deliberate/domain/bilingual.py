"""Texts written in both languages: which one a reader sees."""

from __future__ import annotations


def in_language(text_es: str | None, text_en: str | None, locale: str | None) -> str:
    """Return a bilingual text in the reader's language: the English one for an English reader when there is
    one, else the Spanish one (Spanish is the first language), else whichever exists."""
    if locale == "en" and text_en:
        return text_en
    return text_es or text_en or ""
