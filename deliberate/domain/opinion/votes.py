"""Reactions as index arrays: ids checked and looked up, duplicates refused, reactions to hidden statements kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from deliberate.domain.opinion.results import AGREE, DISAGREE, PASS, Id

DUPLICATE = "more than one reaction by a participant to a statement; keep the latest only"


@dataclass(frozen=True)
class Votes:
    """Reactions to visible statements as index arrays, and what is known of reactions to hidden ones."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    hidden_counts: np.ndarray  # per participant: reactions to hidden statements
    hidden_reacted: int  # hidden statements that received at least one reaction


def reaction_arrays(
    reactions: Iterable[tuple[Id, Id, int]], people: Sequence[Id], statements: Sequence[Id], hidden: set[Id]
) -> Votes:
    """Turn reaction tuples into index arrays, setting hidden statements apart and checking ids and values."""
    items = reactions if isinstance(reactions, list | tuple) else list(reactions)
    rows, cols, values = _int_indices(items, people, statements) or _generic_indices(items, people, statements)
    if not np.isin(values, (AGREE, DISAGREE, PASS)).all():
        bad = values[~np.isin(values, (AGREE, DISAGREE, PASS))][0]
        raise ValueError(f"reaction value {bad!r} is not 1, -1 or 0")
    keys = np.sort(rows * max(len(statements), 1) + cols)
    if len(keys) > 1 and not np.all(keys[1:] != keys[:-1]):
        raise ValueError(DUPLICATE)
    is_hidden = np.fromiter((s in hidden for s in statements), dtype=bool, count=len(statements))
    visible_index = np.cumsum(~is_hidden) - 1
    on_hidden = is_hidden[cols]
    return Votes(
        rows=rows[~on_hidden],
        cols=visible_index[cols[~on_hidden]],
        values=values[~on_hidden].astype(np.float64),
        hidden_counts=np.bincount(rows[on_hidden], minlength=len(people)),
        hidden_reacted=len(np.unique(cols[on_hidden])),
    )


def _int_indices(
    items: Sequence[tuple[Id, Id, int]], people: Sequence[Id], statements: Sequence[Id]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Map integer ids to indices with numpy (fast); return None when ids are not all plain integers."""
    if not all(type(x) is int for x in people) or not all(type(x) is int for x in statements):
        return None
    try:
        flat = np.fromiter(chain.from_iterable(items), dtype=np.int64, count=3 * len(items))
    except (TypeError, ValueError, OverflowError):
        return None
    triples = flat.reshape(-1, 3)
    indices = []
    for column, known, what in ((0, people, "participant"), (1, statements, "statement")):
        found, unknown = _lookup(np.asarray(known, dtype=np.int64), triples[:, column])
        if unknown.any():
            preposition = "by" if column == 0 else "to"
            raise ValueError(f"reaction {preposition} unknown {what} {int(triples[unknown][0, column])!r}")
        indices.append(found)
    return indices[0], indices[1], triples[:, 2].copy()


def _lookup(ids: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the position of each query in the sorted ``ids`` and a mask of the queries not found."""
    if len(ids) == 0:
        return np.zeros(len(queries), dtype=np.int64), np.ones(len(queries), dtype=bool)
    low, span = int(ids[0]), int(ids[-1]) - int(ids[0]) + 1
    if span <= max(16 * len(ids), 1 << 16):
        # Dense enough ids (database keys): a direct table beats a binary search by far.
        table = np.full(span, -1, dtype=np.int64)
        table[ids - low] = np.arange(len(ids))
        inside = (queries >= low) & (queries < low + span)
        found = np.full(len(queries), -1, dtype=np.int64)
        found[inside] = table[queries[inside] - low]
        return found.clip(0), found < 0
    found = np.searchsorted(ids, queries).clip(0, len(ids) - 1)
    return found.astype(np.int64), ids[found] != queries


def _generic_indices(
    items: Sequence[tuple[Id, Id, int]], people: Sequence[Id], statements: Sequence[Id]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map ids of any orderable kind to indices with dictionaries."""
    person_index = {p: i for i, p in enumerate(people)}
    statement_index = {s: j for j, s in enumerate(statements)}
    rows: list[int] = []
    cols: list[int] = []
    values: list[int] = []
    for participant, statement, value in items:
        if participant not in person_index:
            raise ValueError(f"reaction by unknown participant {participant!r}")
        if statement not in statement_index:
            raise ValueError(f"reaction to unknown statement {statement!r}")
        if value not in (AGREE, DISAGREE, PASS):
            raise ValueError(f"reaction value {value!r} is not 1, -1 or 0")
        rows.append(person_index[participant])
        cols.append(statement_index[statement])
        values.append(int(value))
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(values, dtype=np.int64),
    )


