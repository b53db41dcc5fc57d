"""Photos people publish (a programme's update): decoded, checked and written again, so nothing of the original file
is published but its picture.

A phone photo carries where and when it was taken and with which device (EXIF, XMP, GPS). Copying its bytes would
publish them; dropping segments would keep whatever the camera hid elsewhere. :func:`reencode` decodes the picture
with Pillow and writes a new JPEG from its pixels alone: no metadata, no colour profile, no thumbnail, turned the
way the camera said it was held, and no larger than :data:`MAX_SIDE` pixels a side. A file that is not a JPEG, PNG
or WebP picture, or whose picture is larger than :data:`MAX_PIXELS` (a "decompression bomb": a small file that
decodes to gigabytes), is refused before it is decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from deliberate.domain.errors import ValidationFailed

#: The largest file accepted (a phone's photo is 2-8 MB).
MAX_BYTES = 15_000_000
#: The most pixels a picture may have before it is decoded (a 50-megapixel camera's photo fits).
MAX_PIXELS = 60_000_000
#: The longest side of the published picture, in pixels (sharp on any screen, about 200-500 KB).
MAX_SIDE = 1600
#: What is accepted, by Pillow's name of the format.
FORMATS = ("JPEG", "PNG", "WEBP")
QUALITY = 82


@dataclass(frozen=True)
class Photo:
    """A picture ready to publish: a JPEG written from its pixels alone."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def reencode(data: bytes, *, field: str = "photo") -> Photo:
    """Return the picture in ``data`` written again as a plain JPEG.

    Raises ``ValidationFailed(field, code)``: "too_large" for a file over :data:`MAX_BYTES`, "type" for anything
    but a JPEG, PNG or WebP picture, "too_many_pixels" past :data:`MAX_PIXELS`, "broken" for a file that does not
    decode.
    """
    # Pillow takes a tenth of a second to import: only the pages that publish a photo pay it.
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise ValidationFailed(field, "too_large")
    if not data:
        raise ValidationFailed(field, "type")
    try:
        picture = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
    except UnidentifiedImageError:
        raise ValidationFailed(field, "type") from None
    except (OSError, ValueError, SyntaxError):
        raise ValidationFailed(field, "broken") from None
    with picture:
        width, height = picture.size
        if width < 1 or height < 1:
            raise ValidationFailed(field, "broken")
        if width * height > MAX_PIXELS:
            raise ValidationFailed(field, "too_many_pixels")
        try:
            picture.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG decodes straight at a smaller size: less memory
            picture.load()
            upright = ImageOps.exif_transpose(picture)
            flat = _flatten(upright, Image)
            flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            # A new image from the pixels alone: Pillow would otherwise carry the comment, the profile and other
            # entries of the original's info into the file it writes.
            clean = Image.frombytes("RGB", flat.size, flat.tobytes())
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise ValidationFailed(field, "broken") from None
    return Photo(out.getvalue(), clean.width, clean.height)


def _flatten(picture, image_module):
    """Return the picture in plain RGB; what was transparent becomes white."""
    if picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        white = image_module.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return picture.convert("RGB")
