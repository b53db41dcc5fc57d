"""The canonical form of an agenda's documents: the JSON bytes a version's hash is taken of, and the recount of
its ballots exactly as ``deliberate tally`` counts the downloaded file."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from deliberate.ballots.services import count
from deliberate.domain.count import Count

FORMAT = "deliberate-agenda/3"
"""The third format adds the club assemblies (with the SHA-256 of their minutes) to the inputs, and each counting
group's online and paper ballots to the result; the paper ballots of a group whose split may be shown carry
``"paper": true``."""


# --- canonical JSON -----------------------------------------------------------------------------------------------

def canonical(document: Any) -> bytes:
    """Return the canonical JSON bytes of a document: sorted keys, no spaces, UTF-8."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def sorted_copy(value: Any) -> Any:
    """Return a copy whose dicts list their keys in sorted order, so that plain dumping gives the canonical bytes."""
    if isinstance(value, dict):
        return {key: sorted_copy(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [sorted_copy(item) for item in value]
    return value


def recount(ballots: dict[str, Any]) -> Count:
    """Count an input document from its canonical bytes, exactly as ``deliberate tally`` counts the downloaded file.

    The count's lottery tie-break is seeded by the SHA-256 of the file it reads; counting the canonical form makes
    the published result reproducible by anyone from the published ballots.
    """
    return count(sorted_copy(ballots))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
