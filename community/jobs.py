"""Background jobs: the RQ queue on Redis, the schedule that ships with the code, and the inline runner.

The API other features call (a job is a plain function named by its import path, ``module:function``)::

    from community import jobs

    jobs.enqueue("community.webhooks.service:deliver", delivery_id)      # -> RQ job id, or None inline
    jobs.enqueue_once("duplicates-refit", "community.moderation.duplicates:refit")  # skipped while one waits

- With ``REDIS_URL`` set the call puts an RQ job on the ``JOBS_QUEUE`` queue and returns at once; a worker
  (``flask jobs worker``) runs it in an app context of its own. Without it (the embedded default: ``make
  run``, tests) the job runs inline in a fresh app context (its own database session): inside a request,
  after the response is made (``teardown_request``), elsewhere at once.
- Arguments must pickle small: ids and strings, never ORM objects. Enqueue after your commit: the job
  reads what is committed, in its own transaction.
- A job never trusts that it runs once (RQ retries after a crash, two schedulers fire, an operator runs
  it by hand): it claims its work in the database with a row lock, a conditional UPDATE or a unique key,
  and a second run finds nothing left to do. Failures raise: RQ keeps them in its failed registry.
- ``enqueue_once(key, ...)`` adds a Redis ``SET NX`` on ``key`` (released when the job ends, or after
  ``ONCE_TTL`` seconds) so a thousand requests asking for the same refit queue one job.
- ``with jobs.exclusive(name) as mine:`` inside a job: True for one holder at a time on every host (a Redis
  lock), so a long job fired twice does its work once; the other run skips.

The schedule (``SCHEDULE``: the periodic jobs and the router's retraining) runs on RQ's own cron
scheduler (``rq.cron.CronScheduler``, ``flask jobs scheduler``): it ships with RQ, reads cron strings, and
needs no second package (rq-scheduler has not followed RQ 2). It does not coordinate several schedulers,
so every periodic run goes through ``run_periodic``, which claims ``(name, slot)`` in ``job_runs`` (a
unique key; the slot is the cron tick nearest the moment the job was enqueued): whatever fires twice,
the work happens once per tick. Without Redis, ``flask run`` runs the same schedule in a thread
(``JOBS_EMBEDDED_SCHEDULER``) through the same claim.

Commands: ``flask jobs worker [--burst]``, ``flask jobs scheduler``, ``flask jobs schedule`` (list),
``flask jobs run NAME`` (one periodic job now, through the claim). Each feature's own command (``flask
sla sweep``...) stays for manual runs.
"""
from __future__ import annotations

import contextvars
import importlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import Flask, current_app, g, has_app_context, has_request_context
from flask.cli import AppGroup
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from community import metrics
from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

log = logging.getLogger(__name__)

ONCE_TTL = 3600  # seconds an ``enqueue_once`` key holds when its job never ends (a crashed worker)
JOB_RUNS_KEPT = timedelta(days=7)  # ``job_runs`` rows older than this are pruned by the next run of that name


@dataclass(frozen=True)
class Periodic:
    """One scheduled job: ``target`` is ``module:function`` called without arguments; ``cron`` in UTC;
    ``timeout`` in seconds (RQ kills the job after it)."""

    name: str
    target: str
    cron: str
    timeout: int
    about: str


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("sla-sweep", "community.feedback.sla:sweep", "*/5 * * * *", 600,
             "mark breached service promises (feedback SLA)"),
    Periodic("notifications-fan-out", "community.notifications.service:fan_out_pending", "* * * * *", 900,
             "turn pending events into notifications"),
    Periodic("notifications-digests", "community.notifications.service:send_digests", "0 0 * * *", 3600,
             "daily e-mail digests (08:00 Asia/Shanghai) and the outbox"),
    Periodic("campaigns-close-due", "community.campaigns.service:close_due", "* * * * *", 300,
             "crowdfunding opened/closed milestones and the 48-hour notice"),
    Periodic("duplicates-refit", "community.moderation.duplicates:refit", "*/10 * * * *", 3600,
             "refit the duplicate-suggestion index when proposals changed"),
    Periodic("router-retrain", "community.feedback.retrain:train", "0 3 * * 0", 3600,
             "retrain the feedback router on the seed corpus and people's corrections (Sundays)"),
    Periodic("webhooks-deliver", "community.webhooks.delivery:run_due", "* * * * *", 600,
             "send due webhook deliveries: first tries the requests did not send, and retries"),
    Periodic("vehicle-evidence-purge", "community.accounts.evidence:purge_due", "17 * * * *", 600,
             "delete vehicle proof photos VEHICLE_EVIDENCE_DAYS after the decision (the audit log keeps it)"),
    Periodic("idempotency-purge", "community.api.idempotency:purge_expired", "41 * * * *", 600,
             "delete API Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS (24 h)"),
    Periodic("form-state-purge", "community.submissions:purge", "43 * * * *", 600,
             "forget web forms' one-time submission tokens after SUBMISSION_TOKEN_DAYS"),
    Periodic("form-drafts-purge", "community.drafts:purge", "*/15 * * * *", 300,
             "delete the text kept from expired forms after FORM_DRAFT_MINUTES"),
)
BY_NAME = {p.name: p for p in SCHEDULE}


class JobRun(db.Model):
    """One periodic job's claim on one cron tick: the unique (name, slot) makes the work happen once.

    ``status``: running, done, failed. ``slot`` is the tick (UTC); ``started_at - slot`` is the lag.
    """

    __tablename__ = "job_runs"
    __table_args__ = (db.UniqueConstraint("name", "slot"),
                      db.CheckConstraint("status in ('running','done','failed')", name="status"))

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), nullable=False)
    slot = db.Column(UTCDateTime(), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="running")
    started_at = db.Column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at = db.Column(UTCDateTime())
    host = db.Column(db.String(128))
    detail = db.Column(db.String(500))


# ---- running a job ----

def resolve(target: str):
    """The function ``module:function`` names. Raises ValueError for a malformed or unknown target."""
    module, _, name = (target or "").partition(":")
    if not module or not name:
        raise ValueError(f"a job target is 'package.module:function', not {target!r}")
    try:
        func = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"no job function {target!r}: {exc}") from exc
    if not callable(func):
        raise ValueError(f"{target!r} is not callable")
    return func


_worker_app: Flask | None = None
_engine_pid = os.getpid()
_inline = contextvars.ContextVar("cocreate_inline_job", default=False)


def _app() -> Flask:
    """The app a job runs in: the current one (``flask jobs worker`` pushed it), else one made here."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from community import create_app

        _worker_app = create_app()
    return _worker_app


def execute(target: str, args: tuple = (), kwargs: dict | None = None, once_key: str | None = None):
    """What an RQ job runs: ``target(*args, **kwargs)`` in a fresh app context; returns its result.

    ``flask jobs worker`` runs jobs in its own process; a forking RQ worker (someone's own ``rq worker``) runs
    each in a work horse, where a pooled database connection must not cross the fork, so a forked process
    drops the inherited pool (without closing the parent's sockets) before its first query.
    """
    global _engine_pid
    app = _app()
    try:
        with app.app_context():
            if os.getpid() != _engine_pid:
                for engine in db.engines.values():
                    engine.dispose(close=False)
                _engine_pid = os.getpid()
            try:
                if target == "community.jobs:run_periodic":  # counted under the periodic job's own name
                    return resolve(target)(*args, **(kwargs or {}))
                with metrics.job_run(target.removeprefix("community."), due_at=_enqueued_at()):
                    return resolve(target)(*args, **(kwargs or {}))
            finally:
                db.session.remove()
    finally:
        if once_key:
            with app.app_context():
                _release(once_key)


def _run_inline(target: str, args: tuple, kwargs: dict) -> None:
    token = _inline.set(True)
    try:
        execute(target, args, kwargs)
    except Exception:  # inline stands in for a worker: the caller's request must not fail with the job
        log.exception("inline job %s failed", target)
    finally:
        _inline.reset(token)


def _run_deferred(_exc=None) -> None:
    """teardown_request: the inline jobs this request enqueued, after its response was made."""
    pending = g.pop("cocreate_inline_jobs", None) if has_app_context() else None
    for target, args, kwargs in pending or ():
        _run_inline(target, args, kwargs)


# ---- the queue ----

def redis_connection():
    """A Redis client for ``REDIS_URL`` (one per app and process). RuntimeError when it is not set."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL is not set: jobs run inline")
    cache = current_app.extensions.setdefault("cocreate_redis", {})
    key = (url, os.getpid())
    if key not in cache:
        from redis import Redis

        cache.clear()
        cache[key] = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
    return cache[key]


def queue_name() -> str:
    return current_app.config.get("JOBS_QUEUE") or "cocreate"


def queue():
    """The RQ queue (``JOBS_QUEUE`` on ``REDIS_URL``)."""
    from rq import Queue

    return Queue(queue_name(), connection=redis_connection())


def uses_redis() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def _once_redis_key(key: str) -> str:
    return f"cocreate:jobs:once:{queue_name()}:{key}"


def _release(key: str) -> None:
    if uses_redis():
        try:
            redis_connection().delete(_once_redis_key(key))
        except Exception:  # the key expires by itself after ONCE_TTL
            log.warning("could not release job key %s", key, exc_info=True)


def _submit(target: str, args: tuple, kwargs: dict, once_key: str | None, timeout: int | None) -> str | None:
    resolve(target)  # a typo fails in the caller, not later in a worker
    if uses_redis():
        if once_key and not redis_connection().set(_once_redis_key(once_key), "1", nx=True, ex=ONCE_TTL):
            return None
        job = queue().enqueue(execute, target, tuple(args), dict(kwargs), once_key,
                              job_timeout=timeout or 600, result_ttl=3600, failure_ttl=7 * 86400,
                              description=target)
        return job.id
    if has_request_context() and not _inline.get():
        pending = g.setdefault("cocreate_inline_jobs", [])
        if once_key is None or all(p[0] != target or p[1] != tuple(args) for p in pending):
            pending.append((target, tuple(args), dict(kwargs)))
        return None
    _run_inline(target, tuple(args), dict(kwargs))
    return None


def enqueue(target: str, *args, **kwargs) -> str | None:
    """Run ``target`` (``"package.module:function"``) with these arguments as a job. Returns the RQ job
    id, or None when it ran (or will run, at the end of this request) inline. ValueError for a target
    that does not import."""
    return _submit(target, args, kwargs, None, None)


def enqueue_once(key: str, target: str, *args, **kwargs) -> str | None:
    """``enqueue``, unless a job enqueued with the same ``key`` is still waiting or running (then None)."""
    return _submit(target, args, kwargs, key, None)


@contextmanager
def exclusive(name: str, timeout: int = 3600) -> Iterator[bool]:
    """``with jobs.exclusive("duplicates-refit") as mine:`` -- ``mine`` is True for one holder at a time across
    every host (a Redis lock that expires after ``timeout`` seconds if its holder dies), or across this
    process's threads without Redis. Never waits: a job that is not ``mine`` skips work another is doing."""
    if uses_redis():
        lock = redis_connection().lock(f"cocreate:jobs:lock:{queue_name()}:{name}", timeout=timeout)
        mine = lock.acquire(blocking=False)
        try:
            yield mine
        finally:
            if mine:
                try:
                    lock.release()
                except Exception:  # expired meanwhile: it is free already
                    log.warning("lock %s had expired", name)
        return
    with _local_locks_guard:
        local = _local_locks.setdefault(name, threading.Lock())
    mine = local.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            local.release()


_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


# ---- the schedule ----

def slot_for(entry: Periodic, moment: datetime) -> datetime:
    """The cron tick of ``entry`` nearest ``moment`` (aware UTC): the same for every scheduler that fired
    for that tick, even with clocks half a period apart."""
    from croniter import croniter

    # A moment exactly on a tick is that tick: croniter's get_prev is strict, so look back from a second on.
    before = croniter(entry.cron, moment + timedelta(seconds=1)).get_prev(datetime)
    after = croniter(entry.cron, moment).get_next(datetime)
    return min((before, after), key=lambda tick: abs((tick - moment).total_seconds()))


def _enqueued_at() -> datetime | None:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return None
    return job.enqueued_at if job is not None and job.enqueued_at else None


def run_periodic(name: str, now: datetime | None = None) -> str:
    """Run the scheduled job ``name`` once for its current tick; returns what happened, in words.

    Claims (name, slot) in ``job_runs`` first; a second run for the same tick (another scheduler, a
    retry, a manual ``flask jobs run``) returns "already claimed" without doing the work. Raises what the
    job raised, after recording the failure.
    """
    entry = BY_NAME[name]
    moment = now or _enqueued_at() or utcnow()
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    slot = slot_for(entry, moment)
    run = JobRun(name=name, slot=slot, status="running", started_at=utcnow(), host=_host())
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return f"{name} {slot.isoformat()}: already claimed"
    run_id = run.id
    try:
        with metrics.job_run(name, due_at=slot):  # lag: how long after its tick the work started
            result = resolve(entry.target)()
    except Exception as exc:
        db.session.rollback()
        _finish(run_id, "failed", repr(exc))
        raise
    _finish(run_id, "done", _summary(result))
    db.session.execute(delete(JobRun).where(JobRun.name == name, JobRun.slot < slot - JOB_RUNS_KEPT))
    db.session.commit()
    return f"{name} {slot.isoformat()}: done ({_summary(result)})"


def _finish(run_id: int, status: str, detail: str) -> None:
    db.session.execute(update(JobRun).where(JobRun.id == run_id)
                       .values(status=status, finished_at=utcnow(), detail=detail[:500]))
    db.session.commit()


def _summary(result) -> str:
    if result is None:
        return "ok"
    if isinstance(result, (list, tuple, set, dict)):
        return f"{len(result)} item(s)"
    return str(result)[:200]


def _host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def register_schedule(scheduler, queue: str) -> list:
    """Register every ``SCHEDULE`` entry on an ``rq.cron.CronScheduler`` for ``queue``; returns the CronJobs."""
    return [scheduler.register(execute, queue, args=("community.jobs:run_periodic", (entry.name,), {}),
                               cron=entry.cron, job_timeout=entry.timeout, result_ttl=3600,
                               failure_ttl=7 * 86400, name=f"{queue}:{entry.name}")
            for entry in SCHEDULE]


# ---- the embedded default: the schedule in a thread of the dev server ----

_embedded_started = False
_embedded_lock = threading.Lock()


def _embedded_loop(app: Flask) -> None:
    from croniter import croniter

    due = {e.name: croniter(e.cron, utcnow()).get_next(datetime) for e in SCHEDULE}
    while True:
        now = utcnow()
        for entry in SCHEDULE:
            if due[entry.name] <= now:
                with app.app_context():
                    try:
                        log.info("%s", run_periodic(entry.name, now=due[entry.name]))
                    except Exception:
                        log.exception("scheduled job %s failed", entry.name)
                    finally:
                        db.session.remove()
                due[entry.name] = croniter(entry.cron, utcnow()).get_next(datetime)
        time.sleep(min(60.0, max(1.0, (min(due.values()) - utcnow()).total_seconds())))


def _start_embedded_scheduler() -> None:
    global _embedded_started
    if _embedded_started:
        return
    with _embedded_lock:
        if _embedded_started:
            return
        _embedded_started = True
    app = current_app._get_current_object()
    threading.Thread(target=_embedded_loop, args=(app,), name="cocreate-schedule", daemon=True).start()
    log.info("no REDIS_URL: the job schedule runs in this process")


def init_app(app: Flask) -> None:
    """Run deferred inline jobs after each request; without Redis, start the schedule thread on the first
    request when ``JOBS_EMBEDDED_SCHEDULER`` (development's default)."""
    app.teardown_request(_run_deferred)
    if not app.config.get("REDIS_URL") and app.config.get("JOBS_EMBEDDED_SCHEDULER") and not app.testing:
        app.before_request(_start_embedded_scheduler)
    app.cli.add_command(jobs_cli)


# ---- commands ----

jobs_cli = AppGroup("jobs", help="Background jobs: the RQ worker, the scheduler, the schedule.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's, host and pid).")
def worker_command(burst, name):
    """Run jobs from JOBS_QUEUE on REDIS_URL, one after another in this process."""
    from rq import SimpleWorker

    if not uses_redis():
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inline")
    # Not RQ's default forking Worker: its work horse is a new process per job, and prometheus_client's
    # multiprocess mode keeps a counter and a histogram file per process id for good (a dead process's counts
    # stay in the totals), so the metrics folder would grow by two files per job, forever. Deleting a horse's
    # files would lose its counts; merging them into another file races with a scrape. Running jobs in this
    # process writes one set of files per worker. What the fork gave and how it is kept: a job's timeout is
    # still enforced (RQ's SIGALRM death penalty, the same one the horse uses), each job gets its own app
    # context and database session (``execute``), and a job that crashes the process is cleaned up by RQ as
    # abandoned while systemd (Restart=on-failure) starts the worker again.
    worker = SimpleWorker([queue_name()], connection=redis_connection(), name=name)
    ok = worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
    if burst and not ok:
        click.echo("the queue was empty")


@jobs_cli.command("scheduler")
def scheduler_command():
    """Enqueue the shipped schedule's jobs at their cron ticks (UTC) until stopped. Running two is safe."""
    from rq.cron import CronScheduler

    if not uses_redis():
        raise click.ClickException("REDIS_URL is not set: without Redis, `flask run` runs the schedule itself")
    scheduler = CronScheduler(connection=redis_connection(), logging_level="INFO")
    register_schedule(scheduler, queue_name())
    scheduler.start()


@jobs_cli.command("schedule")
def schedule_command():
    """List the shipped schedule."""
    for entry in SCHEDULE:
        click.echo(f"{entry.name:24} {entry.cron:14} {entry.target}  ({entry.about})")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(sorted(BY_NAME)))
def run_command(name):
    """Run one scheduled job now, in this process, through its once-per-tick claim."""
    click.echo(run_periodic(name))
