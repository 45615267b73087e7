"""Photo uploads: checked by content (not by name), at most 5 MB, re-encoded without metadata.

Checking and re-encoding are ``community.images.clean`` (shared with vehicle evidence). Photos live in object storage
(``community.storage``: ``instance/`` by default, an S3 bucket in production) under
``<SHOPPER_PHOTO_DIR>/<random name>``, never under static/: the view checks who is asking, then streams
the object through the app, so a photo uploaded through one host is served by any other.
"""
from __future__ import annotations

import logging
import os
import secrets

from flask import current_app

from community import storage
from community.images import MAX_BYTES, MAX_PIXELS, CleanImage
from community.images import clean as _clean

log = logging.getLogger(__name__)
__all__ = ["MAX_BYTES", "MAX_PIXELS", "CleanImage", "clean", "key_of", "remove", "serve", "store"]


def key_of(stored_name: str) -> str:
    """The storage key of a photo: config SHOPPER_PHOTO_DIR (a key prefix, default ``shopper_photos``)
    and the stored name (only its last path part is trusted)."""
    prefix = (current_app.config.get("SHOPPER_PHOTO_DIR") or "shopper_photos").strip("/")
    return f"{prefix}/{os.path.basename(stored_name)}"


def clean(filename: str, stream) -> CleanImage:
    """``community.images.clean`` with errors on the ``photos`` field (the report form's), sizes kept."""
    return _clean(filename, stream, field="photos")


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
