"""Read a Polis conversation export folder into plain frozen values.

A Polis export (for example from compdemocracy/openData) is a folder of CSV files. This module reads the
ones deliberate needs, with the :mod:`csv` module and numpy, so that both the opinion map and the importer
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
  as -1 and pass as 0, which is also deliberate's convention. A plain file (no quoted field, the same number of
  fields on every line) is read as columns by numpy, 40 times faster than row by row; any other file is read
  by the csv module, which names the line at fault.
- ``summary.csv`` (optional) — ``key,value`` rows; only ``topic`` is kept.
- ``participants-votes.csv`` (optional) — Polis's own opinion groups, read by :func:`read_polis_groups`.

Votes on statements that ``comments.csv`` does not list are dropped (there is no statement to attach them to);
votes on moderated-out statements are kept, and it is up to the caller to give them no weight.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

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
    votes = read_polis_votes(folder)
    reactions = tuple(
        PolisReaction(participant_id=p, statement_id=s, value=v, created_at=_from_millis(m))
        for p, s, v, m in zip(votes.voter.tolist(), votes.statement.tolist(), votes.value.tolist(),
                              votes.millis.tolist(), strict=True)
    )
    return PolisExport(
        topic=_read_topic(folder / "summary.csv"),
        statements=votes.statements,
        reactions=reactions,
        participants=votes.participants,
    )


@dataclass(frozen=True)
class PolisVotes:
    """An export's statements and participants, and its latest votes as columns sorted by voter then statement.

    What the opinion map reads of an export, without an object per reaction (a quarter of a million of them in
    a large conversation).
    """

    statements: tuple[PolisStatement, ...]
    participants: tuple[int, ...]
    voter: np.ndarray
    statement: np.ndarray
    value: np.ndarray
    millis: np.ndarray  # Polis's timestamp: milliseconds since the epoch


def read_polis_votes(folder: str | Path) -> PolisVotes:
    """Read ``comments.csv`` and ``votes.csv`` of a Polis export folder: the latest vote on each known statement.

    Participants are every voter and every statement author. Raises :class:`PolisFormatError` as
    :func:`read_polis_export` does.
    """
    folder = Path(folder)
    statements = _read_statements(folder / "comments.csv")
    path = folder / "votes.csv"
    columns = _plain_vote_columns(path)
    if columns is None:
        columns = _vote_columns(path)
    voter, statement, value, millis = columns
    # The latest timestamp wins; on equal timestamps, the later row in the file.
    order = np.lexsort((np.arange(len(voter)), millis, statement, voter))
    same_as_next = (voter[order][1:] == voter[order][:-1]) & (statement[order][1:] == statement[order][:-1])
    latest = order[np.append(~same_as_next, True)] if len(order) else order
    kept = latest[np.isin(statement[latest], np.array([s.id for s in statements], dtype=np.int64))]
    participants = set(voter[kept].tolist()) | {s.author_id for s in statements}
    return PolisVotes(statements=statements, participants=tuple(sorted(participants)), voter=voter[kept],
                      statement=statement[kept], value=value[kept], millis=millis[kept])


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


VOTE_COLUMNS = ("voter-id", "comment-id", "vote", "timestamp")


def _vote_columns(path: Path) -> tuple[np.ndarray, ...]:
    """Read the columns of ``votes.csv`` row by row, naming the first line at fault."""
    rows: list[tuple[int, int, int, int]] = []
    for line, row in _rows(path, ("timestamp", "comment-id", "voter-id", "vote")):
        value = _int(path, line, row["vote"])
        if value not in (AGREE, DISAGREE, PASS):
            raise PolisFormatError(path, line, f"vote {value} is not 1, -1 or 0")
        moment = _int(path, line, row["timestamp"])
        rows.append((_int(path, line, row["voter-id"]), _int(path, line, row["comment-id"]), value, moment))
    try:
        table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    except OverflowError:
        raise PolisFormatError(path, None, "a number is too large") from None
    return tuple(table[:, i] for i in range(4))


def _plain_vote_columns(path: Path) -> tuple[np.ndarray, ...] | None:
    """Read the columns of a plain ``votes.csv`` with numpy; None for any other file (or a malformed value).

    Plain: UTF-8, no quoted field, lines ending in a line feed (or carriage return and line feed), the same number
    of fields on every line, and every value read an integer as ``int()`` reads it, each vote 1, -1 or 0.
    """
    if not path.is_file():
        return None
    data = path.read_bytes()
    data = data.removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n")
    if b'"' in data or b"\r" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    header, _, body = data.partition(b"\n")
    names = header.decode("utf-8").split(",")
    if any(name not in names for name in VOTE_COLUMNS) or len(set(names)) != len(names):
        return None
    body = body.removesuffix(b"\n")
    if not body:
        return tuple(np.zeros(0, dtype=np.int64) for _ in VOTE_COLUMNS)
    characters = np.frombuffer(body, dtype=np.uint8)
    line_ends = np.append(np.flatnonzero(characters == ord("\n")), len(body))
    commas_before = np.searchsorted(np.flatnonzero(characters == ord(",")), line_ends)
    if not (np.diff(commas_before, prepend=0) == len(names) - 1).all():
        return None  # a blank line, or a line with another number of fields
    fields = body.replace(b"\n", b",").split(b",")
    rows = len(line_ends)
    try:  # int() as the csv path reads each value, mapped in C: no Python code runs per row
        columns = tuple(np.fromiter(map(int, fields[names.index(name)::len(names)]), dtype=np.int64, count=rows)
                        for name in VOTE_COLUMNS)
    except (ValueError, OverflowError):
        return None
    if not np.isin(columns[2], (AGREE, DISAGREE, PASS)).all():
        return None
    return columns


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
