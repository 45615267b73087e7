"""Load generators: a small closed-loop HTTP client in separate processes, or ``wrk`` when installed.

Each client process keeps one ``http.client`` connection and asks for keep-alive; gunicorn's sync
workers answer ``Connection: close``, and http.client then reconnects for the next request, so every
request pays a TCP connect (as it would behind a proxy that does not pool to sync workers).
"""
from __future__ import annotations

import http.client
import multiprocessing as mp
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

USER_AGENT = "cocreate-bench"  # every bench client says so (the logged-in session is bound to it)


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    client: str
    cpu_ms: float | None = None  # server CPU per request (gunicorn workers, from /proc), steadier than req/s

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _client(host: str, port: int, path: str, warm_until: float, stop_at: float, out, extra: dict | None) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    headers = {"Connection": "keep-alive", "Accept": "text/html", "User-Agent": USER_AGENT, **(extra or {})}
    latencies, errors = [], 0
    while True:
        t0 = time.perf_counter()
        if t0 >= stop_at:
            break
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            ok = False
        t1 = time.perf_counter()
        if t0 >= warm_until:
            if ok:
                latencies.append(t1 - t0)
            else:
                errors += 1
    conn.close()
    out.put((latencies, errors))


def _cpu_per_request(c0: float | None, c1: float | None, requests: int) -> float | None:
    return (c1 - c0) / requests * 1000 if c0 is not None and c1 is not None and requests else None


def run_python(host: str, port: int, path: str, seconds: float, concurrency: int, warmup: float,
               cpu: Callable[[], float] | None = None, headers: dict | None = None) -> Result:
    """``concurrency`` processes in a closed loop for ``warmup + seconds``; only the last ``seconds`` count.

    ``cpu`` (seconds of server CPU so far) is read when the measured window opens and closes; ``headers``
    are added to every request (a session cookie for logged-in pages)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    begin = time.perf_counter() + 0.2  # let every process start before the clock runs
    warm_until, stop_at = begin + warmup, begin + warmup + seconds
    procs = [ctx.Process(target=_client, args=(host, port, path, warm_until, stop_at, out, headers))
             for _ in range(concurrency)]
    for p in procs:
        p.start()
    time.sleep(max(0.0, warm_until - time.perf_counter()))
    c0 = cpu() if cpu else None
    time.sleep(max(0.0, stop_at - time.perf_counter()))
    c1 = cpu() if cpu else None
    latencies, errors = [], 0
    for _ in procs:
        lat, err = out.get()
        latencies += lat
        errors += err
    for p in procs:
        p.join()
    latencies.sort()
    return Result(len(latencies), errors, seconds, _percentile(latencies, 0.50) * 1000,
                  _percentile(latencies, 0.99) * 1000, "python", _cpu_per_request(c0, c1, len(latencies)))


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str, label: str) -> float:
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(host: str, port: int, path: str, seconds: float, concurrency: int, warmup: float,
            cpu: Callable[[], float] | None = None, headers: dict | None = None) -> Result:
    """The same measurement with wrk (2 threads, ``concurrency`` connections); p50/p99 from --latency."""
    url = f"http://{host}:{port}{path}"
    extra = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
    if warmup:
        subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(warmup))}s", *extra, url],
                       capture_output=True, check=False)
    c0 = cpu() if cpu else None
    done = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", *extra,
                           url],
                          capture_output=True, text=True, check=False).stdout
    c1 = cpu() if cpu else None
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", done)
    requests = int(total.group(1)) if total else 0
    elapsed = float(total.group(2)) / (1000 if total and total.group(3) == "ms" else 1) if total else seconds
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done)
    errors = (int(bad.group(1)) if bad else 0) + (sum(int(g) for g in errs.groups()) if errs else 0)
    ok = requests - (int(bad.group(1)) if bad else 0)
    return Result(ok, errors, elapsed, _wrk_ms(done, "50"), _wrk_ms(done, "99"), "wrk", _cpu_per_request(c0, c1, ok))


def _jobs(host: str, port: int, jobs: list[tuple], out) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    latencies, errors = [], 0
    for method, path, headers, body in jobs:
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers={"Connection": "keep-alive", **headers})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status < 400
        except (OSError, http.client.HTTPException):
            conn.close()
            ok = False
        latencies.append(time.perf_counter() - t0)
        errors += not ok
    conn.close()
    out.put((latencies, errors))


def run_jobs(host: str, port: int, jobs: list[tuple], concurrency: int,
             cpu: Callable[[], float] | None = None) -> Result:
    """Each job ``(method, path, headers, body)`` once, spread over ``concurrency`` client processes that
    start together (e.g. 50 owners voting at once); latency of every job, server CPU per job."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_jobs, args=(host, port, jobs[i::concurrency], out)) for i in range(concurrency)]
    c0 = cpu() if cpu else None
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    latencies, errors = [], 0
    for _ in procs:
        lat, err = out.get()
        latencies += lat
        errors += err
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    c1 = cpu() if cpu else None
    latencies.sort()
    return Result(len(latencies) - errors, errors, elapsed, _percentile(latencies, 0.50) * 1000,
                  _percentile(latencies, 0.99) * 1000, "python", _cpu_per_request(c0, c1, len(latencies)))


def pick_client(name: str):
    """``auto`` uses wrk when it is on PATH, else the Python client."""
    if name == "wrk" or (name == "auto" and shutil.which("wrk")):
        if not shutil.which("wrk"):
            raise SystemExit("wrk is not installed (apt-get install wrk), or use --client python")
        return run_wrk
    return run_python
