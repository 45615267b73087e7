"""Photo uploads: checked by content (not by name), at most 5 MB, re-encoded without metadata.

Only JPEG and PNG that Pillow can fully decode are accepted. Saving re-encodes the pixels into a new
file, so EXIF (including GPS), XMP, comments and text chunks are dropped; the EXIF orientation is applied
to the pixels first so the photo still stands the right way up. Photos live in object storage
(``community.storage``: ``instance/`` by default, an S3 bucket in production) under
``<SHOPPER_PHOTO_DIR>/<random name>``, never under static/: the view checks who is asking, then streams
the object through the app, so a photo uploaded through one host is served by any other.
"""
from __future__ import annotations

import io
import logging
import os
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from community import storage
from community.errors import ValidationError

log = logging.getLogger(__name__)
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


def key_of(stored_name: str) -> str:
    """The storage key of a photo: config SHOPPER_PHOTO_DIR (a key prefix, default ``shopper_photos``)
    and the stored name (only its last path part is trusted)."""
    prefix = (current_app.config.get("SHOPPER_PHOTO_DIR") or "shopper_photos").strip("/")
    return f"{prefix}/{os.path.basename(stored_name)}"


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
    """Put ``image`` in storage under a new random name; returns the name. Raises storage.StorageError."""
    name = f"{secrets.token_hex(16)}.{image.extension}"
    storage.put(key_of(name), image.data, image.content_type)
    return name


def serve(stored_name: str, content_type: str):
    """A private, not-to-be-stored response streaming the photo. Raises storage.MissingObject."""
    return storage.serve(key_of(stored_name), content_type)


def remove(stored_name: str) -> None:
    """Delete the photo's object (a missing one is fine). Called after its row is gone, so a storage failure
    only leaves an orphan object behind: logged, not raised."""
    try:
        storage.delete(key_of(stored_name))
    except storage.StorageError:
        log.warning("photo %s could not be deleted from storage", stored_name, exc_info=True)
