"""Job functions for tests/test_jobs.py: each call leaves one audit row, so doubled work shows as two."""
import time

from community.audit import service as audit
from community.extensions import db


def record(tag: str = "") -> str:
    audit.record(None, "test.job", "job", 0, None, {"tag": tag})
    db.session.commit()
    return tag


def fail() -> None:
    raise RuntimeError("this job always fails")


def sleep(seconds: float) -> None:
    """A job that outlives a short timeout."""
    time.sleep(seconds)
