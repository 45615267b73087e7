"""gunicorn settings file for ``make bench`` (``-c bench/gunicorn_hooks.py``), used for the app and the bare
baseline alike. Hooks act only when the bench asks, through the environment:

  BENCH_API_LIMIT   the API's rate limit for this run (one client address sends thousands of requests)
  BENCH_ROUTER      load the active feedback router in each worker at start, as a worker does on its first
                    feedback, so the measured RSS is that of a worker that has routed
"""
import os


def post_worker_init(worker):
    app = getattr(worker, "wsgi", None)
    if app is None or not hasattr(app, "app_context"):
        return
    if os.environ.get("BENCH_API_LIMIT"):
        app.config["API_RATE_LIMIT"] = os.environ["BENCH_API_LIMIT"]
    if os.environ.get("BENCH_ROUTER"):
        with app.app_context():
            from community.feedback import routing_service

            routing_service.route("充电桩一直显示故障，app 里也找不到附近可用的桩")
