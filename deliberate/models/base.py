"""Shared column helpers for the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import Enum


def utcnow() -> datetime:
    """Return the current time as naive UTC, the way every datetime is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_class: type[enum.Enum], length: int = 20) -> Enum:
    """Store an enum by its value in a plain string column (portable, readable, no database ENUM type)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
