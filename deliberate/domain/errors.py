"""Exceptions raised by the domain and the services.

Each exception carries data (the phase, the field, a short machine-readable reason code), never user-facing
words: the views and the CLI choose the message and translate it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deliberate.domain.phases import Phase


class DomainError(Exception):
    """Signal that a use case broke a rule of the domain."""


class PhaseClosed(DomainError):
    """Signal that the consultation's current phase does not allow the action."""

    def __init__(self, phase: Phase) -> None:
        super().__init__(phase)
        self.phase = phase


class InvalidTransition(DomainError):
    """Signal that a consultation cannot move from one phase to another."""

    def __init__(self, current: Phase, target: Phase) -> None:
        super().__init__(current, target)
        self.current = current
        self.target = target


class PermissionDenied(DomainError):
    """Signal that the acting member may not do this; ``reason`` is a short code such as ``"not_board"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(DomainError):
    """Signal that a requested object does not exist (or is not visible to the actor).

    ``entity`` names the kind of object (``"consultation"``) and ``key`` the identifier looked up;
    both are optional.
    """

    def __init__(self, entity: str | None = None, key: object = None) -> None:
        super().__init__(entity, key)
        self.entity = entity
        self.key = key


class Conflict(DomainError):
    """Signal that the action collides with existing state; ``reason`` is a short code (``"duplicate"``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ValidationFailed(DomainError):
    """Signal that an input value is invalid: ``field`` names it and ``code`` says why (``"too_long"``)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(field, code)
        self.field = field
        self.code = code


class NotReady(DomainError):
    """Signal that a consultation is not ready for its next phase: ``gaps`` says what is missing.

    ``needs_confirmation`` is True when nothing blocks the move but a warning must be confirmed first.
    """

    def __init__(self, gaps: tuple, *, needs_confirmation: bool = False) -> None:
        super().__init__(gaps)
        self.gaps = gaps
        self.needs_confirmation = needs_confirmation
