"""gunicorn settings for one Cocreate web host: ``gunicorn -c deploy/gunicorn.conf.py``.

Every value can be changed from the environment (the systemd unit reads /etc/cocreate/cocreate.env):
  GUNICORN_BIND             address to listen on; default 127.0.0.1:8000 (nginx in front)
  WEB_CONCURRENCY           worker processes; default 2 x cores + 1
  GUNICORN_TIMEOUT          seconds a request may take before its worker is replaced; default 30
  PROMETHEUS_MULTIPROC_DIR  folder the workers share metrics through; default instance/prometheus. Give
                            the RQ worker and the scheduler of the same host the same folder, and each host
                            its own (a scrape of one host must not count another's requests).
Migrations are not run here: deploy/release.sh does that once per release (see the README).
"""
import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# No request-line limit here: gunicorn's own (at most 8,190 bytes) answers 414 in HTML before the app, where an
# API client wants the error shape. nginx bounds the line (large_client_header_buffers, 64k) and the app answers
# anything over MAX_URL_BYTES (8 KiB) with a 414, in JSON under /api/. Reached without nginx, gunicorn still
# cuts lines at 1 MiB.
limit_request_line = 0
# The app writes one JSON line per request (request id, user, endpoint, status, duration): gunicorn's
# own access log would only repeat it without the ids.
accesslog = None
errorlog = "-"
# Let nginx's X-Forwarded-* through to the app, where ProxyFix trusts TRUSTED_PROXY_HOPS of them.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Set before any worker imports prometheus_client (workers are forked after this file is read).
metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.abspath("instance/prometheus"))


def on_starting(server):
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    """A dead worker's live gauges must not be summed in; its counters stay (totals keep rising)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
