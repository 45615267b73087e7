"""Prometheus metrics: what is counted, and the one place that renders them for ``/metrics``.

With several gunicorn workers each process counts on its own; prometheus_client's multiprocess mode
(the environment variable ``PROMETHEUS_MULTIPROC_DIR`` set before this module is first imported, as
``deploy/gunicorn.conf.py`` does) writes every process's values to files in that folder and ``render()``
adds them up, so a scrape sees the whole host (web workers, the RQ worker and the scheduler alike) and not
whichever worker answered. Without the variable (``make run``, tests) the values live in this process.

Features call the small ``record_*`` functions below after their change is committed; this module
imports no feature (it sits beside ``extensions``, below everything).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter("cocreate_http_requests", "HTTP requests answered, by Flask endpoint, method and status",
                        ["endpoint", "method", "status"])
HTTP_LATENCY = Histogram("cocreate_http_request_duration_seconds",
                         "Time from the request reaching the app to its response, seconds",
                         ["endpoint", "method", "status"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
JOB_RUNS = Counter("cocreate_job_runs", "Background job runs started, by job", ["job"])
JOB_FAILURES = Counter("cocreate_job_failures", "Background job runs that raised, by job", ["job"])
JOB_LAG = Histogram("cocreate_job_lag_seconds", "Delay between when a job was due (enqueued or scheduled) and "
                    "when it started, seconds", ["job"],
                    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 3600))
FEEDBACK = Counter("cocreate_feedback_submitted", "Feedback items submitted, by outcome: routed by the model "
                   "to a team, or sent to the triage queue", ["outcome"])
SLA_BREACHES = Counter("cocreate_sla_breaches", "Service promises marked breached by the SLA sweep")
PLEDGES = Counter("cocreate_pledges", "Crowdfunding pledges, by action (made, cancelled)", ["action"])


def record_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request; ``endpoint`` None (no route matched) is counted as ``unmatched`` so
    that scanners probing random paths cannot grow the label set."""
    labels = (endpoint or "unmatched", method, status)
    children = _request_children.get(labels)
    if children is None:  # ``labels()`` validates and locks on every call; the children never change
        named = (labels[0], method, str(status))
        children = _request_children[labels] = (HTTP_REQUESTS.labels(*named), HTTP_LATENCY.labels(*named))
    children[0].inc()
    children[1].observe(seconds)


_request_children: dict[tuple, tuple] = {}


def record_feedback(routed: bool) -> None:
    FEEDBACK.labels("routed" if routed else "triaged").inc()


def record_sla_breaches(count: int) -> None:
    if count > 0:
        SLA_BREACHES.inc(count)


def record_pledge(action: str) -> None:
    """``action``: ``made`` or ``cancelled``."""
    PLEDGES.labels(action).inc()


@contextmanager
def job_run(job: str, due_at: datetime | None = None) -> Iterator[None]:
    """Count a run of ``job``, its lag behind ``due_at`` (aware UTC; None = not known) and its failure.

    Use around a job body: ``with job_run("sla_sweep", enqueued_at): sweep()``. Exceptions propagate.
    """
    if due_at is not None:
        if due_at.tzinfo is None:
            due_at = due_at.replace(tzinfo=UTC)  # RQ's timestamps are naive UTC
        JOB_LAG.labels(job).observe(max(0.0, (datetime.now(UTC) - due_at).total_seconds()))
    JOB_RUNS.labels(job).inc()
    try:
        yield
    except BaseException:
        JOB_FAILURES.labels(job).inc()
        raise


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render() -> tuple[bytes, str]:
    """(body, content type) in Prometheus' text format: the whole host's values in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
