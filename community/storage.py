"""Object storage: one small interface over a folder (the embedded default) or an S3 bucket (production).

Features keep files here, never under ``instance/`` themselves, so every web host and job worker sees the
same objects. Keys are relative, ``/``-separated paths that each feature prefixes with its own folder::

    shopper_photos/3fa2c1d9....jpg               community/shopper/photos.py
    models/20261130T111502Z-3fa2c1d9/model.joblib community/feedback/router_versions.py
    duplicates/index.joblib                      community/moderation/duplicates.py

The API (module functions on the current app's backend; call them inside an app context)::

    from community import storage

    storage.put("licences/ab12.jpg", data, content_type="image/jpeg")  # bytes; replaces atomically
    storage.get("licences/ab12.jpg")         # -> bytes; raises storage.MissingObject
    storage.exists("licences/ab12.jpg")      # -> bool
    storage.delete("licences/ab12.jpg")      # idempotent: deleting a missing key is fine
    storage.list_keys("licences/")           # -> sorted keys under that folder (recursive)
    storage.serve("licences/ab12.jpg", "image/jpeg")  # -> a Flask response streaming the object
    storage.check()                          # raises StorageError when the backend cannot be reached
    storage.describe()                       # "filesystem /path" or "s3://bucket/prefix" for messages

Serving goes through the app (``serve``), never by a public or presigned URL: a view checks who may see
the object first (shopper photos are for the author, moderators and team agents), the answer carries
``Cache-Control: private, no-store``, and no link that outlives the check can leak. Photos are at most
5 MB, so streaming them through a worker costs little; nginx needs no access to the bucket.

Configuration (``community/config.py``): ``STORAGE_BACKEND`` ``filesystem`` (default: ``STORAGE_DIR``,
else the instance folder, so keys land at ``instance/shopper_photos/...`` and ``instance/models/...`` as
before) or ``s3`` (``STORAGE_S3_BUCKET``, ``STORAGE_S3_ENDPOINT_URL`` for an S3-compatible server,
``STORAGE_S3_REGION``, ``STORAGE_S3_PREFIX``; credentials from the environment as boto3 reads them:
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` or an instance role). The bucket must exist.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

from flask import Response, current_app, send_file

#: A key: folders and a name of letters, digits, ``.``, ``_``, ``-``; no segment starts with a dot (so no
#: ``..`` and no hidden temporary files), no leading slash, at most 512 characters.
KEY_PATTERN = re.compile(r"^(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}/){0,8}[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")


class StorageError(RuntimeError):
    """The backend failed (unreachable, refused, misconfigured)."""


class MissingObject(StorageError, KeyError):
    """No object under that key."""


def check_key(key: str) -> str:
    """``key`` itself when it is a valid key; ValueError otherwise (a programming error, never user input)."""
    if not isinstance(key, str) or len(key) > 512 or not KEY_PATTERN.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _check_prefix(prefix: str) -> str:
    if prefix and not prefix.endswith("/"):
        raise ValueError(f"a prefix names a folder and ends with '/': {prefix!r}")
    if prefix:
        check_key(prefix[:-1])
    return prefix


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class FilesystemStorage:
    """Objects as files under ``root``; a put writes a temporary file and renames it into place."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise MissingObject(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str = "") -> list[str]:
        folder = self.root / _check_prefix(prefix)
        if not folder.is_dir():
            return []
        keys = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            keys.extend(f"{rel}/{name}" if rel != "." else name for name in filenames if not name.startswith("."))
        return sorted(keys)

    def serve(self, key: str, mimetype: str) -> Response:
        path = self._path(key)
        if not path.is_file():
            raise MissingObject(key)
        return _private(send_file(path, mimetype=mimetype, max_age=0))

    def check(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not a writable folder")

    def describe(self) -> str:
        return f"filesystem {self.root}"


class S3Storage:
    """Objects in an S3 bucket (AWS or any S3-compatible server) through boto3.

    One boto3 client per process: clients are thread-safe, but a client must not cross a fork (gunicorn's
    workers, a forking RQ worker), so it is made again when the process id changes.
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url or None
        self.region = region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self._client = None
        self._pid = None
        self._lock = threading.Lock()

    @property
    def client(self):
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    import boto3
                    from botocore.config import Config

                    self._client = boto3.session.Session().client(
                        "s3", endpoint_url=self.endpoint_url, region_name=self.region,
                        config=Config(signature_version="s3v4", connect_timeout=5, read_timeout=60,
                                      retries={"max_attempts": 3, "mode": "standard"}))
                    self._pid = os.getpid()
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _fail(self, what: str, key: str, exc: Exception) -> StorageError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404", "NotFound"):
            return MissingObject(key)
        return StorageError(f"{what} s3://{self.bucket}/{self.prefix}{key}: {exc}")

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"ContentType": content_type} if content_type else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("cannot write", key, exc) from exc

    def _open(self, key: str) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("cannot read", key, exc) from exc

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError

        obj = self._open(key)
        try:
            return obj["Body"].read()
        except (BotoCoreError, OSError) as exc:
            raise StorageError(f"cannot read s3://{self.bucket}/{self.prefix}{key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            error = self._fail("cannot look up", key, exc)
            if isinstance(error, MissingObject):
                return False
            raise error from exc
        return True

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            error = self._fail("cannot delete", key, exc)
            if not isinstance(error, MissingObject):
                raise error from exc

    def list_keys(self, prefix: str = "") -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        full = self.prefix + _check_prefix(prefix)
        keys = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
                keys.extend(obj["Key"][len(self.prefix):] for obj in page.get("Contents", ()))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot list s3://{self.bucket}/{full}: {exc}") from exc
        return sorted(keys)

    def serve(self, key: str, mimetype: str) -> Response:
        obj = self._open(key)
        body = obj["Body"]

        def chunks():
            try:
                yield from body.iter_chunks(64 * 1024)
            finally:
                body.close()

        response = Response(chunks(), mimetype=mimetype, direct_passthrough=True)
        response.content_length = obj.get("ContentLength")
        return _private(response)

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"bucket {self.bucket} at {self.endpoint_url or 'AWS'}: {exc}") from exc

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (tests, the fleet script); production's already does."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")


def validate_config(config) -> str:
    """The backend's kind (``filesystem`` or ``s3``). Raises RuntimeError naming the variable that is wrong."""
    kind = (config.get("STORAGE_BACKEND") or "filesystem").lower()
    if kind not in ("filesystem", "s3"):
        raise RuntimeError(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {kind!r}")
    if kind == "s3" and not config.get("STORAGE_S3_BUCKET"):
        raise RuntimeError("STORAGE_S3_BUCKET must be set when STORAGE_BACKEND=s3")
    return kind


def make_backend(config, instance_path: str) -> FilesystemStorage | S3Storage:
    """The backend the configuration names (see ``validate_config`` for the errors)."""
    if validate_config(config) == "filesystem":
        return FilesystemStorage(config.get("STORAGE_DIR") or instance_path)
    return S3Storage(config["STORAGE_S3_BUCKET"], config.get("STORAGE_S3_PREFIX") or "",
                     config.get("STORAGE_S3_ENDPOINT_URL"), config.get("STORAGE_S3_REGION"))


def backend() -> FilesystemStorage | S3Storage:
    """The current app's backend, made once per app (tests that change the config call ``reset``)."""
    app = current_app._get_current_object()
    found = app.extensions.get("storage")
    if found is None:
        found = app.extensions["storage"] = make_backend(app.config, app.instance_path)
    return found


def reset() -> None:
    """Forget the current app's backend (after changing its storage configuration)."""
    current_app.extensions.pop("storage", None)


def put(key: str, data: bytes, content_type: str | None = None) -> None:
    """Store ``data`` under ``key``, replacing what was there (readers see the old or the new object)."""
    backend().put(key, data, content_type)


def get(key: str) -> bytes:
    """The object's bytes. Raises MissingObject (also a KeyError) or StorageError."""
    return backend().get(key)


def exists(key: str) -> bool:
    return backend().exists(key)


def delete(key: str) -> None:
    """Remove the object; a missing one is not an error."""
    backend().delete(key)


def list_keys(prefix: str = "") -> list[str]:
    """Every key under the folder ``prefix`` (``""`` or ending with ``/``), sorted, at any depth."""
    return backend().list_keys(prefix)


def serve(key: str, mimetype: str) -> Response:
    """A response streaming the object, marked private and not to be stored. Raises MissingObject.

    Check who may see the object before calling this.
    """
    return backend().serve(key, mimetype)


def check() -> None:
    """Raises StorageError when the backend cannot be reached or written (for a readiness check)."""
    backend().check()


def describe() -> str:
    return backend().describe()
