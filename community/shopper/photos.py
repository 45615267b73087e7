"""Photo uploads: checked by content (not by name), at most 5 MB, re-encoded without metadata.

Only JPEG and PNG that Pillow can fully decode are accepted. Saving re-encodes the pixels into a new
file, so EXIF (including GPS), XMP, comments and text chunks are dropped; the EXIF orientation is applied
to the pixels first so the photo still stands the right way up. Files live in
``instance/<SHOPPER_PHOTO_DIR>/`` under random names, never under static/: they are served by a view
that checks who is asking.
"""
from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from community.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can still decompress to gigabytes; refuse beyond ~40 MP
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def photo_dir() -> str:
    path = current_app.config.get("SHOPPER_PHOTO_DIR") or "shopper_photos"
    return path if os.path.isabs(path) else os.path.join(current_app.instance_path, path)


def clean(filename: str, stream) -> CleanImage:
    """Read an upload from ``stream`` and return it re-encoded without metadata.

    Raises ValidationError (field ``photos``) naming the file: too large, not a JPEG/PNG by content,
    or not decodable. The file name and its extension are never trusted.
    """
    name = os.path.basename(filename or "") or _("the file")
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(_("%(name)s is larger than 5 MB.", name=name))
    if not data:
        raise _refuse(_("%(name)s is empty.", name=name))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in FORMATS:
                raise _refuse(_("%(name)s is not a JPEG or PNG image.", name=name))
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse(_("%(name)s has too many pixels.", name=name))
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("%(name)s is not a JPEG or PNG image.", name=name)) from None
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


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, {"photos": message})


def store(image: CleanImage) -> str:
    """Write ``image`` under a new random name in the photo directory; returns the name."""
    directory = photo_dir()
    os.makedirs(directory, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{image.extension}"
    with open(os.path.join(directory, name), "xb") as fh:
        fh.write(image.data)
    return name


def path_of(stored_name: str) -> str:
    return os.path.join(photo_dir(), os.path.basename(stored_name))


def remove(stored_name: str) -> None:
    try:
        os.remove(path_of(stored_name))
    except FileNotFoundError:
        pass
