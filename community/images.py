"""Uploaded pictures: checked by content (not by name), size-bounded, re-encoded without metadata.

Shared by the features that take photos (shopper visit photos, vehicle verification evidence). Only JPEG
and PNG that Pillow can fully decode are accepted. Saving re-encodes the pixels into a new file, so EXIF
(including GPS), XMP, ICC profiles, comments and text chunks are dropped; the EXIF orientation is applied
to the pixels first so the picture still stands the right way up. A decompression bomb (a small file that
decodes to gigapixels) is refused before its pixels are decoded.
"""
from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from community.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can still decompress to gigabytes; refuse beyond ~40 MP
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded picture: its bytes, ``image/jpeg`` or ``image/png``, ``jpg``/``png``, size in pixels."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean(filename: str, stream, field: str = "photos", max_side: int | None = None) -> CleanImage:
    """Read an upload from ``stream`` (at most MAX_BYTES are read) and return it re-encoded without metadata.

    ``max_side``: when given, a picture whose longer side exceeds it is scaled down to that many pixels
    (aspect kept). Raises ValidationError whose ``fields`` name ``field``, with a message naming the file:
    empty, larger than 5 MB, not a JPEG/PNG by content, too many pixels, or not decodable. The file name
    and its extension are never trusted.
    """
    name = os.path.basename(filename or "") or _("the file")

    def refuse(message: str) -> ValidationError:
        return ValidationError(message, {field: message})

    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise refuse(_("%(name)s is larger than 5 MB.", name=name))
    if not data:
        raise refuse(_("%(name)s is empty.", name=name))
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 89 and 179 MP; here a warning refuses the file as the error does.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in FORMATS:
                    raise refuse(_("%(name)s is not a JPEG or PNG image.", name=name))
                if probe.width * probe.height > MAX_PIXELS:
                    raise refuse(_("%(name)s has too many pixels.", name=name))
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                upright = ImageOps.exif_transpose(img)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise refuse(_("%(name)s is not a JPEG or PNG image.", name=name)) from None
    if max_side and max(upright.size) > max_side:
        upright = upright.copy()
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    content_type, extension = FORMATS[kind]
    out = io.BytesIO()
    if kind == "JPEG":
        upright = upright.convert("RGB")
        upright.info = {}
        upright.save(out, "JPEG", quality=88, optimize=True)
    else:
        if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            upright = upright.convert("RGBA")
        upright.info = {}
        upright.save(out, "PNG", optimize=True)
    return CleanImage(out.getvalue(), content_type, extension, upright.width, upright.height)
