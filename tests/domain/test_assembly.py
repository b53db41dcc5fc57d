"""Club assemblies, pure: sheet codes and their check character, each sheet's order, double entry's comparison,
when the online/paper split may be shown, and metadata removed from scans."""

from __future__ import annotations

import struct
import zlib

import pytest

from deliberate.domain import assembly
from deliberate.domain.errors import ValidationFailed


def test_a_sheet_code_reads_back_however_it_is_typed():
    code = assembly.new_sheet_code()
    assert assembly.normal_sheet_code(code) == code
    assert assembly.normal_sheet_code(code.lower().replace("-", " ")) == code
    assert len({assembly.new_sheet_code() for _ in range(500)}) == 500


@pytest.mark.parametrize("seed", range(20))
def test_every_single_typing_error_and_every_swap_of_neighbours_in_a_code_is_caught(seed):
    code = assembly.new_sheet_code().replace("-", "")
    for position in range(len(code)):
        for char in assembly.SHEET_ALPHABET:
            if char != code[position]:
                typed = code[:position] + char + code[position + 1:]
                with pytest.raises(ValidationFailed):
                    assembly.normal_sheet_code(typed)
    for position in range(len(code) - 1):  # the last swap moves the check character
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
            with pytest.raises(ValidationFailed):
                assembly.normal_sheet_code(swapped)


@pytest.mark.parametrize("typed", ["", "ABC", "ABCD-EFGH-KK", "ÁBCD-EFGH-K", None])
def test_a_malformed_code_is_refused(typed):
    with pytest.raises(ValidationFailed):
        assembly.normal_sheet_code(typed)


def test_each_sheet_has_its_own_order_of_the_items_and_always_the_same_one():
    items = list(range(10, 22))
    codes = [assembly.new_sheet_code() for _ in range(30)]
    orders = [assembly.sheet_order(code, items) for code in codes]
    assert all(sorted(order) == items for order in orders)
    assert orders == [assembly.sheet_order(code, list(reversed(items))) for code in codes]
    assert len({tuple(order) for order in orders}) == 30
    firsts = {order[0] for order in orders}
    assert len(firsts) > 3  # no item always comes first


def test_two_entries_differ_on_the_items_whose_rank_or_approval_differs():
    first = assembly.PaperBallot.of([[3], [1, 2]], [3])
    assert first == assembly.PaperBallot.of([[3], [2, 1]], [3, 3])
    second = assembly.PaperBallot.of([[3], [1], [2]], [3, 4])
    assert first.differences(second, [1, 2, 3, 4]) == [2, 4]
    assert first.differences(first, [1, 2, 3, 4]) == []


@pytest.mark.parametrize(("online", "paper", "shown"), [
    (6, 12, True), (0, 12, True), (12, 0, True), (5, 5, True), (4, 12, False), (12, 1, False), (3, 3, False)])
def test_the_split_is_shown_only_when_neither_channel_is_about_fewer_than_five_people(online, paper, shown):
    assert assembly.split_is_shown(online, paper) is shown


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_png_keeps_its_image_and_loses_its_text_time_and_exif():
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    image = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    png = (b"\x89PNG\r\n\x1a\n" + header + _chunk(b"tEXt", b"Author\x00Maria") + _chunk(b"eXIf", b"GPS")
           + _chunk(b"tIME", b"\x07\xea\x0b\x1c\x00\x00\x00") + image + _chunk(b"IEND", b""))
    kind, clean = assembly.strip_metadata(png)
    assert kind == "image/png"
    assert clean == b"\x89PNG\r\n\x1a\n" + header + image + _chunk(b"IEND", b"")


def test_a_jpeg_loses_exif_xmp_and_comments_and_keeps_its_image():
    segment = lambda marker, data: b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data  # noqa: E731
    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    tables = segment(0xDB, b"\x00" * 65)
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"PIXELS\xff\xd9"
    jpeg = (b"\xff\xd8" + jfif + segment(0xE1, b"Exif\x00\x00where-it-was") + segment(0xFE, b"camera owner")
            + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<xmp/>") + tables + scan)
    kind, clean = assembly.strip_metadata(jpeg)
    assert kind == "image/jpeg" and clean == b"\xff\xd8" + jfif + tables + scan


@pytest.mark.parametrize(("data", "code"), [
    (b"%PDF-1.7", "type"), (b"GIF89a", "type"), (b"\xff\xd8\xff\xe1\xff\xff", "broken"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "broken"), (b"\xff\xd8" + b"\x00" * (assembly.MAX_SCAN_BYTES), "too_large")])
def test_anything_but_a_readable_jpeg_or_png_of_the_allowed_size_is_refused(data, code):
    with pytest.raises(ValidationFailed) as refused:
        assembly.strip_metadata(data)
    assert refused.value.code == code


def test_the_acta_hash_changes_with_the_text_and_with_the_scan():
    base = assembly.acta_sha256("Acta", None)
    assert base == assembly.acta_sha256("Acta", None)
    assert base != assembly.acta_sha256("Acta.", None) and base != assembly.acta_sha256("Acta", "0" * 64)
