"""Seal a ballot while voting is open, and the keyed tags that find it: the keys live outside the database.

A sealed ballot is AES-256-GCM over its padded JSON content, with the consultation's id as associated data (a
sealed ballot cannot be moved to another consultation, nor changed, without failing to open). Every sealed ballot
of a consultation has the same length: the content is padded to the longest ballot the consultation's items
allow, so the length says nothing about how many items a voter ranked. The keys are derived (HMAC-SHA256) from
``BALLOT_KEY``, else from ``SECRET_KEY``, one per consultation and purpose; none is ever stored.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

NONCE = 12
LONGEST_CLUB = 80  # Organization.slug's length
_LENGTH = struct.Struct(">I")


class SealBroken(Exception):
    """Signal that a sealed ballot cannot be opened: another key, or a changed record."""


@dataclass(frozen=True)
class Content:
    """What a sealed ballot holds: the counting club, the gender bucket, the ballot, its receipt hash (for a paper
    ballot, the hash of its sheet code) and whether it was cast on paper at a club assembly."""

    club: str
    gender: str | None
    ranking: list[list[int]]
    approved: list[int]
    receipt_hash: str
    paper: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"club": self.club, "gender": self.gender, "ranking": self.ranking, "approved": self.approved,
                "receipt": self.receipt_hash, "paper": self.paper}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Content:
        return cls(data["club"], data["gender"], data["ranking"], data["approved"], data["receipt"],
                   bool(data.get("paper", False)))


def _key(purpose: str, consultation_id: int) -> bytes:
    config = current_app.config
    return _derived(str(config.get("BALLOT_KEY") or config["SECRET_KEY"]), purpose, consultation_id)


@functools.lru_cache(maxsize=1024)
def _derived(secret: str, purpose: str, consultation_id: int) -> bytes:
    """Derive a key once per process (a cast needs four): from the secret, so a changed key derives anew."""
    master = hmac.new(secret.encode(), b"deliberate ballot box v1", hashlib.sha256).digest()
    return hmac.new(master, f"{purpose}:{consultation_id}".encode(), hashlib.sha256).digest()


def receipt_tag(consultation_id: int, receipt_hash: str) -> str:
    """Return the keyed tag that finds a sealed ballot by its receipt hash (unlinkable to it without the key)."""
    return hmac.new(_key("tag", consultation_id), receipt_hash.encode(), hashlib.sha256).hexdigest()


def receipt_check(consultation_id: int, user_id: int, receipt_hash: str) -> str:
    """Return the keyed hash of a voter and their receipt: only that voter's session and receipt match it."""
    message = f"{user_id}:{receipt_hash}".encode()
    return hmac.new(_key("cast", consultation_id), message, hashlib.sha256).hexdigest()


def seal_receipt(consultation_id: int, code: str) -> str:
    """Return a receipt code sealed for the voter's session cookie (signed, not encrypted, by Flask)."""
    nonce = os.urandom(NONCE)
    sealed = nonce + AESGCM(_key("receipt", consultation_id)).encrypt(nonce, code.encode(), b"receipt")
    return base64.urlsafe_b64encode(sealed).decode()


def open_receipt(consultation_id: int, sealed: str) -> str | None:
    """Return the receipt code sealed by :func:`seal_receipt`, or None if it does not open."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_key("receipt", consultation_id)).decrypt(raw[:NONCE], raw[NONCE:], b"receipt").decode()
    except (InvalidTag, ValueError, TypeError, AttributeError):
        return None


def capacity(item_ids: Sequence[int]) -> int:
    """Return the padded length of a ballot over these items: that of the longest ballot they allow."""
    return _capacity(tuple(item_ids))


@functools.lru_cache(maxsize=256)
def _capacity(item_ids: tuple[int, ...]) -> int:
    longest = Content("x" * LONGEST_CLUB, "other", [[i] for i in item_ids], list(item_ids), "0" * 64, False)
    return _LENGTH.size + len(orjson.dumps(longest.to_dict()))


def seal(consultation_id: int, content: Content, item_ids: Sequence[int]) -> bytes:
    """Return the sealed form of a ballot's content: a random nonce, then the ciphertext of the padded JSON."""
    data = orjson.dumps(content.to_dict())
    size = max(capacity(item_ids), _LENGTH.size + len(data))
    padded = _LENGTH.pack(len(data)) + data + bytes(size - _LENGTH.size - len(data))
    nonce = os.urandom(NONCE)
    aad = str(consultation_id).encode()
    return nonce + AESGCM(_key("seal", consultation_id)).encrypt(nonce, padded, aad)


def open_sealed(consultation_id: int, sealed: bytes) -> Content:
    """Open a sealed ballot of this consultation; raise :class:`SealBroken` if the key or the record is wrong."""
    try:
        padded = AESGCM(_key("seal", consultation_id)).decrypt(
            sealed[:NONCE], sealed[NONCE:], str(consultation_id).encode())
        (length,) = _LENGTH.unpack_from(padded)
        return Content.from_dict(orjson.loads(padded[_LENGTH.size:_LENGTH.size + length]))
    except (InvalidTag, ValueError, KeyError, TypeError, struct.error):
        raise SealBroken(consultation_id) from None


# --- paper ballots typed at a club assembly ------------------------------------------------------------------------

def sheet_tag(consultation_id: int, sheet_code: str) -> str:
    """Return the keyed tag that finds the typed entries of one paper sheet (unlinkable to its code without the key)."""
    return hmac.new(_key("sheet", consultation_id), sheet_code.encode(), hashlib.sha256).hexdigest()


def seal_entry(consultation_id: int, sheet_code: str, ranking: list[list[int]], approved: list[int],
               item_ids: Sequence[int]) -> bytes:
    """Seal one officer's typing of a sheet (its code, ranking and approvals), padded like a sealed ballot."""
    data = orjson.dumps({"sheet": sheet_code, "ranking": ranking, "approved": approved})
    longest = orjson.dumps({"sheet": "X" * 11, "ranking": [[i] for i in item_ids], "approved": list(item_ids)})
    size = _LENGTH.size + max(len(longest), len(data))
    padded = _LENGTH.pack(len(data)) + data + bytes(size - _LENGTH.size - len(data))
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(_key("entry", consultation_id)).encrypt(nonce, padded, str(consultation_id).encode())


def open_entry(consultation_id: int, sealed: bytes) -> tuple[str, list[list[int]], list[int]]:
    """Open a typed entry: return (sheet code, ranking, approved); raise :class:`SealBroken` if it does not open."""
    try:
        padded = AESGCM(_key("entry", consultation_id)).decrypt(
            sealed[:NONCE], sealed[NONCE:], str(consultation_id).encode())
        (length,) = _LENGTH.unpack_from(padded)
        data = orjson.loads(padded[_LENGTH.size:_LENGTH.size + length])
        return data["sheet"], data["ranking"], data["approved"]
    except (InvalidTag, ValueError, KeyError, TypeError, struct.error):
        raise SealBroken(consultation_id) from None
