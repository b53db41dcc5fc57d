"""A published photo is written again from its pixels alone: no metadata survives, bombs and non-images are refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from deliberate.domain import photos
from deliberate.domain.errors import ValidationFailed

GPS = 0x8825
ORIENTATION = 0x0112


def _jpeg_with_metadata(size=(240, 120), orientation=1) -> bytes:
    picture = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0132] = "2026:11:30 18:22:05"  # when it was taken
    exif[GPS] = {1: "N", 2: (21.0, 39.0, 0.0), 3: "W", 4: (102.0, 59.0, 0.0)}  # where: Jerez, Zacatecas
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=b"Maria's phone")
    return out.getvalue()


def _decoded(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_the_published_jpeg_keeps_no_metadata_of_the_original():
    original = _jpeg_with_metadata()
    assert b"PhoneMaker" in original and b"Maria" in original
    photo = photos.reencode(original)
    assert photo.content_type == "image/jpeg" and photo.data.startswith(b"\xff\xd8")
    assert b"PhoneMaker" not in photo.data and b"Maria" not in photo.data and b"Exif" not in photo.data
    published = _decoded(photo.data)
    assert published.getexif() == {} and "comment" not in published.info and "icc_profile" not in published.info
    assert (published.width, published.height) == (photo.width, photo.height) == (240, 120)
    red, green, blue = published.getpixel((120, 60))
    assert red > 180 and green < 60 and blue < 60  # the picture itself is kept


def test_a_photo_taken_on_its_side_is_published_upright():
    photo = photos.reencode(_jpeg_with_metadata((240, 120), orientation=6))  # camera held turned 90 degrees
    assert (photo.width, photo.height) == (120, 240)


def test_a_large_photo_is_scaled_down_to_the_longest_side():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(out, "JPEG", quality=90)
    photo = photos.reencode(out.getvalue())
    assert (photo.width, photo.height) == (photos.MAX_SIDE, 1200)


def test_transparency_becomes_white_and_a_png_becomes_a_jpeg():
    picture = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    picture.putpixel((10, 10), (0, 0, 255, 255))
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=_png_text("Author", "Maria"))
    assert b"Maria" in out.getvalue()
    photo = photos.reencode(out.getvalue())
    published = _decoded(photo.data)
    assert published.format == "JPEG" and published.mode == "RGB"
    assert min(published.getpixel((40, 30))) > 240
    assert b"Maria" not in photo.data


def _png_text(key: str, value: str):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize("data", [b"", b"not a picture at all", b"%PDF-1.7\n...", b"GIF89a" + b"\0" * 40])
def test_anything_but_a_jpeg_png_or_webp_picture_is_refused_by_type(data):
    with pytest.raises(ValidationFailed) as refused:
        photos.reencode(data)
    assert (refused.value.field, refused.value.code) == ("photo", "type")


def test_a_cut_off_file_is_refused_as_broken():
    with pytest.raises(ValidationFailed) as refused:
        photos.reencode(_jpeg_with_metadata((800, 600))[:400])
    assert refused.value.code == "broken"


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationFailed) as refused:
        photos.reencode(out.getvalue())
    assert refused.value.code == "too_many_pixels"


def test_a_file_over_the_size_limit_is_refused_without_reading_it():
    with pytest.raises(ValidationFailed) as refused:
        photos.reencode(b"\xff\xd8" + b"\0" * photos.MAX_BYTES)
    assert refused.value.code == "too_large"


def test_the_field_named_is_the_callers():
    with pytest.raises(ValidationFailed) as refused:
        photos.reencode(b"nope", field="scan")
    assert refused.value.field == "scan"
