"""Jobs: inline without Redis, RQ with it (the real Redis, this run's own queue), once per tick however often
the schedule fires, and the worker command as production runs it."""
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job

from community import jobs
from community.audit.models import AuditEntry
from community.extensions import db
from community.jobs import JobRun

ROOT = Path(__file__).resolve().parent.parent


def _recorded(tag: str | None = None) -> int:
    rows = AuditEntry.query.filter_by(action="test.job").all()
    return len([r for r in rows if tag is None or r.after == {"tag": tag}])


@pytest.fixture
def test_entry(monkeypatch):
    """A scheduled job whose every call leaves a row: doubled work would show."""
    entry = jobs.Periodic("test-record", "tests.job_targets:record", "* * * * *", 60, "test")
    monkeypatch.setattr(jobs, "SCHEDULE", (entry,))
    monkeypatch.setitem(jobs.BY_NAME, entry.name, entry)
    return entry


def _work(app) -> None:
    """Run what is queued, in this process (the subprocess test covers `flask jobs worker`)."""
    SimpleWorker([jobs.queue()], connection=jobs.redis_connection()).work(burst=True)


# ---- without Redis: inline ----

def test_without_redis_a_job_runs_at_once_outside_a_request(app):
    assert jobs.enqueue("tests.job_targets:record", "now") is None
    assert _recorded("now") == 1


def test_inside_a_request_an_inline_job_runs_after_the_response_is_made(make_app):
    app = make_app()
    seen = []

    @app.post("/enqueue-test")
    def enqueue_test():
        jobs.enqueue("tests.job_targets:record", "later")
        seen.append(_recorded("later"))  # still inside the view: not yet
        return "ok"

    with app.app_context():
        assert app.test_client().post("/enqueue-test").status_code == 200
        assert seen == [0] and _recorded("later") == 1


def test_an_inline_job_that_fails_does_not_fail_the_caller(app, caplog, monkeypatch):
    monkeypatch.setattr(jobs.log, "disabled", False)  # Alembic's logging set-up disables existing loggers
    jobs.enqueue("tests.job_targets:fail")
    assert "this job always fails" in caplog.text


def test_a_target_that_does_not_import_is_refused_at_once(app):
    with pytest.raises(ValueError):
        jobs.enqueue("community.nothing_here:nope")
    with pytest.raises(ValueError):
        jobs.enqueue("no-colon")


# ---- with Redis: RQ ----

def test_with_redis_enqueue_queues_and_a_worker_runs_it(make_app, redis_config):
    app = make_app(**redis_config)
    with app.app_context():
        job_id = jobs.enqueue("tests.job_targets:record", "queued")
        assert job_id and _recorded("queued") == 0
        assert Job.fetch(job_id, connection=jobs.redis_connection()).get_status() == "queued"
        _work(app)
        assert _recorded("queued") == 1
        assert Job.fetch(job_id, connection=jobs.redis_connection()).return_value() == "queued"


def test_enqueue_once_queues_one_job_until_it_ran(make_app, redis_config):
    app = make_app(**redis_config)
    with app.app_context():
        first = jobs.enqueue_once("refit", "tests.job_targets:record", "once")
        assert first and jobs.enqueue_once("refit", "tests.job_targets:record", "once") is None
        _work(app)
        assert _recorded("once") == 1
        assert jobs.enqueue_once("refit", "tests.job_targets:record", "once")  # released when it ended
        _work(app)
        assert _recorded("once") == 2


def test_two_schedulers_firing_the_same_tick_do_the_work_once(make_app, redis_config, test_entry):
    app = make_app(**redis_config)
    # Each run's slot is the tick nearest its enqueue time: two enqueues on either side of a half minute (a slow,
    # loaded machine) would name two ticks. Real schedulers enqueue right at the tick, far from the half.
    second = datetime.now(UTC).second
    if 25 <= second <= 35:
        time.sleep(36 - second)
    with app.app_context():
        connection = jobs.redis_connection()
        for n in range(2):
            scheduler = CronScheduler(connection=connection, name=f"{jobs.queue_name()}-scheduler-{n}")
            [cron_job] = jobs.register_schedule(scheduler, jobs.queue_name())
            cron_job.next_enqueue_time = datetime.now(UTC) - timedelta(seconds=1)  # the tick has come
            assert scheduler.enqueue_jobs() == [cron_job]
        assert jobs.queue().count == 2
        _work(app)
        assert _recorded() == 1
        [run] = JobRun.query.filter_by(name="test-record").all()
        assert run.status == "done" and run.finished_at is not None
        results = sorted(r for r in (Job.fetch(i, connection=connection).return_value()
                                     for i in jobs.queue().finished_job_registry.get_job_ids())
                         if r.startswith("test-record"))
        assert len(results) == 2 and "already claimed" in results[0] and "done" in results[1]


def test_the_same_periodic_job_twice_in_one_tick_runs_once(app, test_entry):
    tick = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    assert "done" in jobs.run_periodic("test-record", now=tick + timedelta(seconds=2))
    assert "already claimed" in jobs.run_periodic("test-record", now=tick + timedelta(seconds=9))
    assert _recorded() == 1
    assert "done" in jobs.run_periodic("test-record", now=tick + timedelta(minutes=1))  # the next tick
    assert _recorded() == 2


def test_the_slot_is_the_nearest_tick_so_skewed_clocks_agree(app):
    entry = jobs.BY_NAME["sla-sweep"]  # every 5 minutes
    tick = datetime(2026, 12, 5, 8, 5, tzinfo=UTC)
    assert jobs.slot_for(entry, tick - timedelta(seconds=20)) == tick
    assert jobs.slot_for(entry, tick + timedelta(seconds=40)) == tick


def test_a_failing_periodic_job_is_recorded_and_raises(app, monkeypatch):
    entry = jobs.Periodic("test-fail", "tests.job_targets:fail", "* * * * *", 60, "test")
    monkeypatch.setitem(jobs.BY_NAME, entry.name, entry)
    with pytest.raises(RuntimeError):
        jobs.run_periodic("test-fail")
    [run] = JobRun.query.filter_by(name="test-fail").all()
    assert run.status == "failed" and "always fails" in run.detail


def test_the_shipped_schedule_names_functions_that_exist(app):
    assert {e.name for e in jobs.SCHEDULE} >= {"sla-sweep", "notifications-fan-out", "notifications-digests",
                                               "campaigns-close-due", "duplicates-refit", "router-retrain"}
    for entry in jobs.SCHEDULE:
        assert callable(jobs.resolve(entry.target))


def test_flask_jobs_worker_runs_the_queue_as_production_does(make_app, redis_config, database_url, tmp_path):
    """The command a platform team runs, in its own process."""
    app = make_app(**redis_config)
    with app.app_context():
        jobs.enqueue("tests.job_targets:record", "from-worker")
        env = {**os.environ, "FLASK_APP": "wsgi.py", "COCREATE_ENV": "testing", "SECRET_KEY": "test",
               "DATABASE_URL": database_url, "REDIS_URL": redis_config["REDIS_URL"],
               "JOBS_QUEUE": redis_config["JOBS_QUEUE"], "STORAGE_DIR": str(tmp_path)}
        done = subprocess.run([sys.executable, "-m", "flask", "jobs", "worker", "--burst"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert _recorded("from-worker") == 1


def test_the_worker_keeps_one_set_of_metrics_files_however_many_jobs_it_runs(make_app, redis_config, database_url,
                                                                            tmp_path):
    """prometheus_client keeps a file per process id: a worker forking a process per job would add files with
    every job. The folder holds the same files after 8 jobs as after 1, and the counts still add up, the run
    killed by its timeout included (and the worker carries on after it)."""
    from prometheus_client import CollectorRegistry, multiprocess

    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    app = make_app(**redis_config)
    env = {**os.environ, "FLASK_APP": "wsgi.py", "COCREATE_ENV": "testing", "SECRET_KEY": "test",
           "DATABASE_URL": database_url, "REDIS_URL": redis_config["REDIS_URL"], "LOG_REQUESTS": "off",
           "JOBS_QUEUE": redis_config["JOBS_QUEUE"], "STORAGE_DIR": str(tmp_path),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_for(tag: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            db.session.rollback()  # a fresh snapshot: the worker commits in its own process
            if _recorded(tag) == 1:
                return
            assert worker.poll() is None and time.monotonic() < deadline, worker.stderr.read().decode()[-2000:]
            time.sleep(0.2)

    try:
        with app.app_context():
            jobs.enqueue("tests.job_targets:record", "first")
            wait_for("first")
            after_one = sorted(p.name for p in metrics_dir.iterdir())
            assert after_one, "the job's run was counted in the folder"
            for n in range(6):
                jobs.enqueue("tests.job_targets:record", f"more-{n}")
            slow = jobs.queue().enqueue(jobs.execute, "tests.job_targets:sleep", (30,), {}, None, job_timeout=1)
            jobs.enqueue("tests.job_targets:record", "after-the-timeout")
            wait_for("after-the-timeout")
            assert sorted(p.name for p in metrics_dir.iterdir()) == after_one
            assert slow.get_status(refresh=True) == "failed"
            assert "JobTimeoutException" in slow.latest_result().exc_string
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(metrics_dir))
        assert registry.get_sample_value("cocreate_job_runs_total", {"job": "tests.job_targets:record"}) == 8
        assert registry.get_sample_value("cocreate_job_runs_total", {"job": "tests.job_targets:sleep"}) == 1
        assert registry.get_sample_value("cocreate_job_failures_total", {"job": "tests.job_targets:sleep"}) == 1
        assert registry.get_sample_value("cocreate_job_lag_seconds_count", {"job": "tests.job_targets:record"}) == 8
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_worker_and_scheduler_refuse_to_start_without_redis(runner):
    for command in ("worker", "scheduler"):
        result = runner.invoke(args=["jobs", command])
        assert result.exit_code != 0 and "REDIS_URL" in result.output
