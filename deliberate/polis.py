"""Read a Polis conversation export folder into plain frozen values.

A Polis export (for example from compdemocracy/openData) is a folder of CSV files. This module reads the
ones deliberate needs, with nothing but the :mod:`csv` module, so that both the opinion map and the importer
of demands and reactions can use it without an application context:

- ``comments.csv`` — one row per statement. Two layouts exist and both are read by column name:

  - older: ``timestamp, datetime, comment-id, author-id, agrees, disagrees, moderated, comment-body``;
  - newer: ``timestamp, comment-id, author-id, agrees, disagrees, moderated, is-meta, is-seed,
    group-informed-consensus, comment-body``.

  ``moderated`` is 1 (accepted), 0 (not yet moderated) or -1 (moderated out:
  :attr:`PolisStatement.is_hidden`).
- ``votes.csv`` — ``timestamp, datetime, comment-id, voter-id, vote``: the full history of votes, in no
  particular order. A participant who changed their mind has several rows for one statement; the row with the
  latest timestamp wins (on equal timestamps, the later row in the file). Polis exports agree as 1, disagree
  as -1 and pass as 0, which is also deliberate's convention.
- ``summary.csv`` (optional) — ``key,value`` rows; only ``topic`` is kept.
- ``participants-votes.csv`` (optional) — Polis's own opinion groups, read by :func:`read_polis_groups`.

Votes on statements that ``comments.csv`` does not list are dropped (there is no statement to attach them to);
votes on moderated-out statements are kept, and it is up to the caller to give them no weight.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

AGREE = 1
DISAGREE = -1
PASS = 0


class PolisFormatError(ValueError):
    """A file of the export is missing or does not have the expected shape."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class PolisStatement:
    """One statement (Polis "comment") of the conversation."""

    id: int
    author_id: int
    text: str
    moderated: int
    created_at: datetime | None = None
    is_meta: bool = False
    is_seed: bool = False

    @property
    def is_hidden(self) -> bool:
        """Tell whether the moderators removed the statement from the conversation."""
        return self.moderated == -1


@dataclass(frozen=True)
class PolisReaction:
    """A participant's latest vote on a statement: 1 agree, -1 disagree, 0 pass."""

    participant_id: int
    statement_id: int
    value: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class PolisExport:
    """The statements, latest reactions and participants of one exported conversation, sorted by id."""

    topic: str | None
    statements: tuple[PolisStatement, ...]
    reactions: tuple[PolisReaction, ...]
    participants: tuple[int, ...]

    @property
    def hidden_statement_ids(self) -> frozenset[int]:
        """Return the ids of the statements moderated out of the conversation."""
        return frozenset(s.id for s in self.statements if s.is_hidden)


def read_polis_export(folder: str | Path) -> PolisExport:
    """Read ``comments.csv``, ``votes.csv`` and (if present) ``summary.csv`` of a Polis export folder.

    Participants are every voter and every statement author, so an author who never voted is still listed.
    Raises :class:`PolisFormatError` when a required file or column is missing or a value is malformed.
    """
    folder = Path(folder)
    statements = _read_statements(folder / "comments.csv")
    known = {s.id for s in statements}
    reactions = tuple(r for r in _read_latest_votes(folder / "votes.csv") if r.statement_id in known)
    participants = {r.participant_id for r in reactions} | {s.author_id for s in statements}
    return PolisExport(
        topic=_read_topic(folder / "summary.csv"),
        statements=statements,
        reactions=reactions,
        participants=tuple(sorted(participants)),
    )


def read_polis_groups(folder: str | Path) -> dict[int, int | None]:
    """Return Polis's own opinion group (0-based) per participant from ``participants-votes.csv``.

    Participants Polis did not cluster (too few votes) map to ``None``. Used to compare deliberate's opinion
    map with Polis's.
    """
    path = Path(folder) / "participants-votes.csv"
    groups: dict[int, int | None] = {}
    for line, row in _rows(path, ("participant", "group-id")):
        group = row["group-id"].strip()
        groups[_int(path, line, row["participant"])] = _int(path, line, group) if group else None
    return groups


def _read_statements(path: Path) -> tuple[PolisStatement, ...]:
    statements = {}
    for line, row in _rows(path, ("comment-id", "author-id", "moderated", "comment-body")):
        statement_id = _int(path, line, row["comment-id"])
        if statement_id in statements:
            raise PolisFormatError(path, line, f"comment {statement_id} is listed twice")
        statements[statement_id] = PolisStatement(
            id=statement_id,
            author_id=_int(path, line, row["author-id"]),
            text=row["comment-body"],
            moderated=_int(path, line, row["moderated"]),
            created_at=_timestamp(path, line, row.get("timestamp")),
            is_meta=_bool(row.get("is-meta")),
            is_seed=_bool(row.get("is-seed")),
        )
    return tuple(statements[key] for key in sorted(statements))


def _read_latest_votes(path: Path) -> tuple[PolisReaction, ...]:
    latest: dict[tuple[int, int], tuple[int, PolisReaction]] = {}
    for line, row in _rows(path, ("timestamp", "comment-id", "voter-id", "vote")):
        value = _int(path, line, row["vote"])
        if value not in (AGREE, DISAGREE, PASS):
            raise PolisFormatError(path, line, f"vote {value} is not 1, -1 or 0")
        moment = _int(path, line, row["timestamp"])
        reaction = PolisReaction(
            participant_id=_int(path, line, row["voter-id"]),
            statement_id=_int(path, line, row["comment-id"]),
            value=value,
            created_at=_from_millis(moment),
        )
        key = (reaction.participant_id, reaction.statement_id)
        previous = latest.get(key)
        if previous is None or moment >= previous[0]:
            latest[key] = (moment, reaction)
    return tuple(latest[key][1] for key in sorted(latest))


def _read_topic(path: Path) -> str | None:
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            if len(row) >= 2 and row[0].strip() == "topic":
                return row[1]
    return None


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise PolisFormatError(path, None, "file not found")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in required if name not in (reader.fieldnames or ())]
        if missing:
            raise PolisFormatError(path, 1, f"missing column(s): {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, row


def _int(path: Path, line: int, text: str | None) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise PolisFormatError(path, line, f"{text!r} is not an integer") from None


def _bool(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1", "t", "yes")


def _timestamp(path: Path, line: int, text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    return _from_millis(_int(path, line, text))


def _from_millis(millis: int) -> datetime:
    """Turn Polis's milliseconds since the epoch into a naive UTC datetime (deliberate stores naive UTC)."""
    return datetime.fromtimestamp(millis / 1000, UTC).replace(tzinfo=None)
