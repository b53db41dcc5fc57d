"""Club assemblies: paper sheets, their codes and item order, double entry, the online/paper split, acta scans.

A printed ballot sheet carries a **sheet code**: eight random characters and a check character, from an alphabet
without look-alikes. The code links the two typed entries of one sheet (double entry); it names no person, and is
printed on every sheet before anyone takes one. A typo in a code is caught by its check character, so two entries
of one sheet cannot silently miss each other. The sheet's items are in an order of their own, drawn from the code:
every sheet is shuffled, and the entry form shows the items in the order of the sheet being typed.

How many ballots of a counting group were cast online and how many on paper is shown only when neither figure is
about one to four people (:func:`split_is_shown`): otherwise "3 online" would be those three people's ballots.

Scans and photos of the minutes are JPEG or PNG; their metadata (EXIF with the place and the camera, XMP, comments,
text chunks, times) is removed by dropping those segments, without re-encoding the image (:func:`strip_metadata`).
"""

from __future__ import annotations

import hashlib
import random
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from deliberate.domain import privacy
from deliberate.domain.errors import ValidationFailed

SHEET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SHEET_RANDOM = 8
#: The most sheets printed at once: a club assembly, not a city.
MAX_SHEETS = 300
#: The largest scan or photo of the minutes kept (after its metadata is removed).
MAX_SCAN_BYTES = 1_800_000  # under the request limit (MAX_CONTENT_LENGTH, 2 MB)


# --- sheet codes --------------------------------------------------------------------------------------------------

def _times(a: int, b: int) -> int:
    """Multiply two elements of GF(32) (polynomials over GF(2) modulo x^5 + x^2 + 1)."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= 0b100101
    return product


def _power(exponent: int) -> int:
    value = 1
    for _ in range(exponent % 31):
        value = _times(value, 2)  # x is a generator of GF(32)'s multiplicative group
    return value


def _check(body: str) -> str:
    """Return the check character: the one that makes the sum of x^i times each character zero in GF(32).

    Every single wrong character changes the sum by x^i times a non-zero difference, and every swap of two
    neighbours by x^i (1 + x) times one: neither is zero in a field, so both kinds of typing error are caught.
    """
    total = 0
    for index, char in enumerate(body):
        total ^= _times(_power(index), SHEET_ALPHABET.index(char))
    # the check is at position len(body): x^len * check == total (subtraction is addition in GF(2^n))
    inverse = _power(31 - len(body))
    return SHEET_ALPHABET[_times(inverse, total)]


def new_sheet_code() -> str:
    """Return a new random sheet code, shown as ``ABCD-EFGH-K`` (the last character checks the others)."""
    body = "".join(secrets.choice(SHEET_ALPHABET) for _ in range(SHEET_RANDOM))
    return f"{body[:4]}-{body[4:]}-{_check(body)}"


def normal_sheet_code(text: str | None) -> str:
    """Return a typed sheet code in its printed form; raise ValidationFailed("sheet", "invalid") for a code that is
    malformed or whose check character does not match (a typing error)."""
    raw = "".join(char for char in (text or "").upper() if char.isalnum())
    if len(raw) != SHEET_RANDOM + 1 or any(char not in SHEET_ALPHABET for char in raw):
        raise ValidationFailed("sheet", "invalid")
    body, check = raw[:SHEET_RANDOM], raw[SHEET_RANDOM]
    if _check(body) != check:
        raise ValidationFailed("sheet", "invalid")
    return f"{body[:4]}-{body[4:]}-{check}"


def sheet_order(code: str, item_ids: Sequence[int]) -> list[int]:
    """Return the items in the order printed on this sheet: a shuffle seeded by the code, the same every time."""
    seed = int.from_bytes(hashlib.sha256(f"sheet:{code}".encode()).digest()[:8], "big")
    order = sorted(item_ids)
    random.Random(seed).shuffle(order)
    return order


# --- double entry ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaperBallot:
    """What one typed entry of a sheet says: the ranking in tiers of item ids and the approved items."""

    ranking: tuple[tuple[int, ...], ...]
    approved: tuple[int, ...]

    @classmethod
    def of(cls, ranking: Sequence[Sequence[int]], approved: Sequence[int]) -> PaperBallot:
        return cls(tuple(tuple(sorted(tier)) for tier in ranking if tier), tuple(sorted(set(approved))))

    def differences(self, other: PaperBallot, item_ids: Sequence[int]) -> list[int]:
        """Return the items on which the two entries disagree (their rank or their approval), sorted."""
        mine, theirs = self.positions(), other.positions()
        return sorted(item for item in item_ids if mine.get(item) != theirs.get(item)
                      or (item in self.approved) != (item in other.approved))

    def positions(self) -> dict[int, int]:
        """Return each ranked item's position as written on the sheet (1 + the tiers before it)."""
        return {item: number for number, tier in enumerate(self.ranking, start=1) for item in tier}


# --- what may be shown of the channels --------------------------------------------------------------------------

def split_is_shown(online: int, paper: int) -> bool:
    """Say whether a group's online and paper counts may be shown apart: neither is about one to four people."""
    return not privacy.is_small(online) and not privacy.is_small(paper)


# --- the minutes -------------------------------------------------------------------------------------------------

def acta_sha256(minutes: str, scan_sha256: str | None) -> str:
    """Return the SHA-256 published for an assembly's minutes: of its text (UTF-8) and its scan's SHA-256."""
    return hashlib.sha256(f"{minutes}\n--\n{scan_sha256 or ''}".encode()).hexdigest()


_PNG = b"\x89PNG\r\n\x1a\n"
#: PNG chunks kept: the image and what draws it right; text, times, EXIF and the rest are dropped.
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"pHYs"}


def strip_metadata(data: bytes) -> tuple[str, bytes]:
    """Return the image's type ("image/jpeg" or "image/png") and its bytes without metadata.

    Raises ValidationFailed("scan", "too_large") past :data:`MAX_SCAN_BYTES`, ("scan", "type") for anything but a
    JPEG or a PNG, ("scan", "broken") for a file that does not parse as one.
    """
    if len(data) > MAX_SCAN_BYTES:
        raise ValidationFailed("scan", "too_large")
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg", _strip_jpeg(data)
    if data.startswith(_PNG):
        return "image/png", _strip_png(data)
    raise ValidationFailed("scan", "type")


def _strip_jpeg(data: bytes) -> bytes:
    """Keep a JPEG's image segments; drop APP1-APP15 (EXIF, XMP, IPTC, …) and comments."""
    out = bytearray(b"\xff\xd8")
    position = 2
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise ValidationFailed("scan", "broken")
        marker = data[position + 1]
        if marker == 0xD9:  # end of image without a scan
            raise ValidationFailed("scan", "broken")
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise ValidationFailed("scan", "broken")
        if marker == 0xDA:  # start of scan: the compressed image and the end follow
            out += data[position:]
            return bytes(out)
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += data[position:end]
        position = end


def _strip_png(data: bytes) -> bytes:
    """Keep a PNG's image chunks; drop text, times, EXIF and every other ancillary chunk."""
    out = bytearray(_PNG)
    position = len(_PNG)
    seen_end = False
    while position < len(data):
        if position + 12 > len(data):
            raise ValidationFailed("scan", "broken")
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            raise ValidationFailed("scan", "broken")
        if kind in _PNG_KEPT:
            out += data[position:end]
        position = end
        if kind == b"IEND":
            seen_end = True
            break
    if not seen_end:
        raise ValidationFailed("scan", "broken")
    return bytes(out)
