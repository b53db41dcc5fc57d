"""Password policy: long enough and not among the most common passwords."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str | None = None) -> str | None:
    """Return why a password is refused ("short", "common", "email"), or None when it is acceptable."""
    if len(password) < current_app.config["MIN_PASSWORD_LENGTH"]:
        return "short"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return "common"
    if email and lowered in {email.lower(), email.lower().split("@")[0]}:
        return "email"
    return None
