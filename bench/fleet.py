"""`make fleet`: Cocreate as a fleet on one machine, driven through nginx, with failures, and the figures.

Starts on loopback, each on its own port (182xx) and in one temporary folder:
  - PostgreSQL: its own cluster (initdb + postgres, port 18240), so it can be stopped for the outage
    figure; the shared server on 5432 is never touched;
  - Redis: its own redis-server (port 18241, append-only file so queued jobs survive a kill -9);
  - two app hosts: gunicorn (deploy/gunicorn.conf.py) on 18243 and 18244, separate instance folders,
    production settings, shared storage (object storage when moto's server is installed, else a folder);
  - one RQ worker and two schedulers (``flask jobs worker`` / ``flask jobs scheduler``);
  - nginx (Debian's package, installed with apt-get when absent) on 18242 in front of both hosts;
  - moto's S3 server on 18245 (object storage).
(--port-base moves all six.)
The release step (deploy/release.sh: migrations once, a first router model) runs before the hosts start.

Then it drives a bounded load through nginx from many loopback source addresses (votes, pledges, feedback,
logins, photo uploads), kills one host with SIGKILL mid-load, kills Redis and starts it again, makes
PostgreSQL unreachable for 5 s, and prints every figure; everything it started is stopped by PID at the
end (and on Ctrl-C), within 10 minutes in all. A figure whose part is not in this checkout prints
"not available".

    nice -n 10 .venv/bin/python bench/fleet.py [--short] [--owners N] [--port-base N] [--keep-logs]
"""
from __future__ import annotations

import argparse
import glob
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PORT_BASE = 18240  # --port-base: six consecutive loopback ports from here


def use_ports(base: int) -> None:
    """PostgreSQL on base, Redis +1, nginx +2, the two hosts +3 and +4, the S3 server +5."""
    global PG_PORT, REDIS_PORT, NGINX_PORT, HOST_PORTS, S3_PORT
    PG_PORT, REDIS_PORT, NGINX_PORT, HOST_PORTS, S3_PORT = base, base + 1, base + 2, (base + 3, base + 4), base + 5


use_ports(PORT_BASE)
DEADLINE = time.monotonic() + 9 * 60  # everything is stopped by 10 minutes even when a step hangs
PASSWORD = "correct-horse-battery"  # tests/factories.py's password for every seeded account


def say(text: str = "") -> None:
    print(text, flush=True)


def figure(name: str, value) -> None:
    say(f"  {name:<58} {value}")


# ---- processes ----

class Fleet:
    """Every process this script starts, by name; stopped by PID (its process group) at the end."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.procs: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str, argv: list[str], env: dict | None = None, user: str | None = None,
              cwd: Path = ROOT) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, user=user)
        self.procs[name] = proc
        return proc

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (gunicorn's master and workers die together, as a host would)."""
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.kill(name, signal.SIGTERM)


def wait_for(check, what: str, timeout: float = 60.0, every: float = 0.2):
    """Poll ``check()`` until it returns a true value; RuntimeError naming ``what`` after ``timeout`` s."""
    end = min(time.monotonic() + timeout, DEADLINE)
    while time.monotonic() < end:
        try:
            value = check()
            if value:
                return value
        except Exception:  # not up yet
            pass
        time.sleep(every)
    raise RuntimeError(f"{what} did not come up in {timeout:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


# ---- HTTP from many clients ----

class Client:
    """One browser or app: its own loopback source address (so per-address limits see many people), its
    cookies, and no redirects followed. ``request`` returns (status, headers, body); status 0 = no answer."""

    def __init__(self, port: int, source: str = "127.0.0.1", token: str | None = None):
        self.port, self.source, self.token = port, source, token
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 15.0):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.headers, data
        except OSError:
            return 0, {}, b""
        finally:
            conn.close()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post_json(self, path: str, payload: dict):
        return self.request("POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def csrf(self, path: str) -> str:
        status, _, body = self.get(path)
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        return found.group(1).decode() if found else ""

    def post_form(self, path: str, fields: dict, files: dict | None = None):
        if not files:
            return self.request("POST", path, urlencode(fields).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = secrets.token_hex(12)
        out = io.BytesIO()
        for name, value in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data, ctype) in files.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, email: str, password: str = PASSWORD) -> int:
        return self.login_answer(email, password)[0]

    def login_answer(self, email: str, password: str = PASSWORD):
        token = self.csrf("/login")
        return self.post_form("/login", {"csrf_token": token, "email": email, "password": password})


def report_fields(data: dict, csrf: str, narrative: str) -> dict:
    """A mystery-shopper draft: the store is the one field a draft needs."""
    return {"csrf_token": csrf, "store_id": str(data["store"]), "narrative": narrative, "save": "1"}


def png_bytes(seed: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), ((seed * 37) % 256, (seed * 91) % 256, 120)).save(out, "PNG")
    return out.getvalue()


# ---- the services ----

def find_postgres_bin() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "postgres").exists():
            return Path(candidate)
    found = shutil.which("postgres") or shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL's server binaries (initdb, postgres) are not installed")


def ensure_nginx() -> str:
    """nginx's binary; Debian's package installed with apt-get when absent (root only, as on CI).

    The package's install script would start Debian's own nginx on port 80, a daemon this script did not
    start and would not stop: a policy-rc.d answering 101 ("action forbidden", Debian's mechanism for
    exactly this) keeps it from starting, and is removed again afterwards."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    say("nginx is absent: installing Debian's package (apt-get install nginx)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nginx"]
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = not policy.exists()
    if made_policy:
        policy.write_text("#!/bin/sh\n# bench/fleet.py: no service starts while it installs nginx\nexit 101\n")
        policy.chmod(0o755)
    try:
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    finally:
        if made_policy:
            policy.unlink()
    return shutil.which("nginx") or "/usr/sbin/nginx"


class Postgres:
    """A throw-away cluster on PG_PORT, run as the ``postgres`` system user when this script is root."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        self.bin = find_postgres_bin()
        self.data = fleet.dir / "pg"
        self.user = "postgres" if os.geteuid() == 0 else None

    def init(self) -> None:
        self.data.mkdir()
        if self.user:
            shutil.chown(self.fleet.dir, self.user)
            shutil.chown(self.data, self.user)
        subprocess.run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], check=True, user=self.user,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.start()
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE cocreate")

    def start(self) -> None:
        self.fleet.spawn("postgres", [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(PG_PORT),
                                      "-h", "127.0.0.1", "-k", str(self.data), "-c", "max_connections=200"],
                         user=self.user)
        wait_for(lambda: port_open(PG_PORT), "PostgreSQL", 30)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected and the port refuses connections."""
        self.fleet.kill("postgres", signal.SIGINT)

    @staticmethod
    def url(db: str = "cocreate") -> str:
        return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{db}"


def start_redis(fleet: Fleet) -> None:
    folder = fleet.dir / "redis"
    folder.mkdir(exist_ok=True)
    fleet.spawn("redis", [shutil.which("redis-server") or "redis-server", "--port", str(REDIS_PORT), "--bind",
                          "127.0.0.1", "--dir", str(folder), "--appendonly", "yes", "--appendfsync", "always",
                          "--save", ""])
    wait_for(lambda: port_open(REDIS_PORT), "Redis", 20)


def start_nginx(fleet: Fleet, binary: str) -> None:
    folder = fleet.dir / "nginx"
    for sub in ("", "tmp", "logs"):
        (folder / sub).mkdir(exist_ok=True)
        os.chmod(folder / sub, 0o777)  # the worker processes run as nobody when we are root
    a, b = HOST_PORTS
    conf = f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/tmp/body; proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi; uwsgi_temp_path {folder}/tmp/uwsgi; scgi_temp_path {folder}/tmp/scgi;
    client_body_buffer_size 1m;
    upstream cocreate_app {{
        server 127.0.0.1:{a} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=5s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{NGINX_PORT};
        client_max_body_size 32m;
        location = /metrics {{ return 404; }}
        location / {{
            proxy_pass http://cocreate_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-ID $request_id;
            proxy_connect_timeout 2s;
            proxy_read_timeout 35s;
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"""
    (folder / "nginx.conf").write_text(conf)
    fleet.spawn("nginx", [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")])
    wait_for(lambda: port_open(NGINX_PORT), "nginx", 20)


def start_moto(fleet: Fleet) -> bool:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return False
    fleet.spawn("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(S3_PORT)])
    wait_for(lambda: port_open(S3_PORT), "moto S3 server", 30)
    import boto3

    boto3.client("s3", endpoint_url=f"http://127.0.0.1:{S3_PORT}", region_name="us-east-1",
                 aws_access_key_id="fleet", aws_secret_access_key="fleet").create_bucket(Bucket="cocreate-fleet")
    return True


def has_module(name: str) -> bool:
    return (ROOT / "community" / f"{name}.py").exists() or (ROOT / "community" / name).is_dir()


def router_on_storage() -> bool:
    """Whether the router's model versions go through community/storage.py (else a folder on disk)."""
    return "storage" in (ROOT / "community" / "feedback" / "router_versions.py").read_text(encoding="utf-8")


METRICS_TOKEN = secrets.token_hex(32)  # production refuses a weak one


def app_env(fleet: Fleet, s3: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "COCREATE_", "FLASK_"))}
    env.update(COCREATE_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=Postgres.url(),
               PUBLIC_BASE_URL=f"http://127.0.0.1:{NGINX_PORT}", TRUSTED_PROXY_HOPS="1",
               REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0", JOBS_QUEUE=f"fleet-{secrets.token_hex(4)}",
               METRICS_TOKEN=METRICS_TOKEN, MAIL_BACKEND="console", DB_RETRY_AFTER_SECONDS="2",
               FLASK_APP="wsgi.py", PATH=f"{VENV_BIN}:{env.get('PATH', '')}", LOG_REQUESTS="json")
    if s3:
        env.update(STORAGE_BACKEND="s3", STORAGE_S3_BUCKET="cocreate-fleet",
                   STORAGE_S3_ENDPOINT_URL=f"http://127.0.0.1:{S3_PORT}", AWS_ACCESS_KEY_ID="fleet",
                   AWS_SECRET_ACCESS_KEY="fleet", AWS_DEFAULT_REGION="us-east-1")
    else:
        shared = fleet.dir / "shared-storage"
        shared.mkdir(exist_ok=True)
        env.update(STORAGE_BACKEND="filesystem", STORAGE_DIR=str(shared))
    if not router_on_storage():  # router model files still on disk: a folder both hosts see
        (fleet.dir / "shared-models").mkdir(exist_ok=True)
        env.update(ROUTER_MODELS_DIR=str(fleet.dir / "shared-models"))
    return env


def host_env(base: dict, fleet: Fleet, name: str, port: int) -> dict:
    instance = fleet.dir / f"instance-{name}"
    (instance / "prometheus").mkdir(parents=True, exist_ok=True)
    return {**base, "COCREATE_INSTANCE_PATH": str(instance), "PROMETHEUS_MULTIPROC_DIR": str(instance / "prometheus"),
            "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}


def start_host(fleet: Fleet, env: dict, name: str, port: int) -> None:
    fleet.spawn(f"host-{name}", [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
                host_env(env, fleet, name, port))


_last_readyz: dict[int, bytes] = {}


def ready(port: int) -> bool:
    status, _, body = Client(port).get("/readyz", timeout=10)
    _last_readyz[port] = body
    return status == 200


def wait_ready(port: int, what: str, timeout: float = 120) -> None:
    try:
        wait_for(lambda: ready(port), what, timeout)
    except RuntimeError as err:
        raise RuntimeError(f"{err}; last /readyz: {_last_readyz.get(port, b'').decode()[:500]}") from None


# ---- seed data (as the release would leave it, plus the people who generate the load) ----

SEED = r'''
import json, sys
from community import create_app
from community.extensions import db
from tests import factories as f
from tests.shopper import factories as sf
from community.api import tokens

n = int(sys.argv[1])
app = create_app()
with app.app_context():
    f.teams()
    mod = f.moderator()
    campaign = f.open_campaign(target=n)
    proposals = [f.proposal(title=f"Fleet proposal {i}") for i in range(6)]
    owners = []
    for i in range(n):
        owner = f.eligible_owner({"email": f"fleet{i}@example.com"})
        _, secret = tokens.create_token(owner, "fleet", "write", 1)
        owners.append({"id": owner.id, "email": owner.email, "vehicle": owner.vehicles[0].id, "token": secret})
    shopper = f.UserFactory(email="fleet-shopper@example.com", roles=["mystery_shopper"])
    store = sf.store(name="Fleet store")
    target = f.UserFactory(email="fleet-throttled@example.com")
    db.session.commit()
    print(json.dumps({"campaign": campaign.id, "proposals": [p.id for p in proposals], "owners": owners,
                      "shopper": shopper.email, "store": store.id, "throttled": target.email}))
'''


ENQUEUE = r'''
import sys
from community import create_app, jobs
app = create_app()
with app.app_context():
    print(jobs.enqueue("tests.job_targets:record", sys.argv[1]))
'''


def enqueue_marker(env: dict, tag: str) -> str:
    """Queue a job that leaves one audit row tagged ``tag`` (tests/job_targets.py) through the app's own API."""
    out = subprocess.run([sys.executable, "-c", ENQUEUE, tag], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120)
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def marker_ran(tag: str) -> bool:
    return query("SELECT count(*) FROM audit_entries WHERE action = 'test.job' AND after::text LIKE %s",
                 f"%{tag}%")[0][0] > 0


def seed(env: dict, owners: int) -> dict:
    out = subprocess.run([sys.executable, "-c", SEED, str(owners)], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=240)
    if out.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- load ----

class Load:
    """Writes through nginx, each tried once (never retried, so a double can only come from the fleet), with
    every answer counted; ``acked`` holds what the client was told succeeded."""

    def __init__(self, data: dict):
        self.data = data
        self.lock = threading.Lock()
        self.acked = {"vote": set(), "pledge": set(), "feedback": set(), "photo": 0, "login": 0}
        self.statuses: Counter = Counter()
        self.by_kind: dict[str, Counter] = {}
        self.retry_after_503 = 0
        self.statuses_500 = 0
        self.ops: list = []
        for i, owner in enumerate(data["owners"]):
            source = f"127.0.{1 + i // 200}.{10 + i % 200}"
            self.ops += [("vote", owner, source, p) for p in data["proposals"][:4]]
            self.ops += [("pledge", owner, source, None)]
            self.ops += [("feedback", owner, source, f"fleet-{i}-{k}-{secrets.token_hex(3)}") for k in range(2)]
            self.ops += [("login", owner, source, None)]
        self.ops += [("photo", None, "127.0.9.9", k) for k in range(4)]
        import random

        random.Random(7).shuffle(self.ops)
        self.shopper = Client(NGINX_PORT, "127.0.9.9")

    def _note(self, status: int, headers, kind: str = "read") -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_kind.setdefault(kind, Counter())[status] += 1
            if status == 503 and headers.get("Retry-After"):
                self.retry_after_503 += 1
            if status == 500:
                self.statuses_500 += 1

    def run_op(self, op) -> None:
        kind, owner, source, arg = op
        client = Client(NGINX_PORT, source, owner["token"] if owner and kind != "login" else None)
        if kind == "vote":
            status, headers, _ = client.request("POST", f"/api/v1/proposals/{arg}/vote")
            key = (owner["id"], arg)
        elif kind == "pledge":
            status, headers, _ = client.post_json(f"/api/v1/campaigns/{self.data['campaign']}/pledges",
                                                  {"vehicle_id": owner["vehicle"]})
            key = owner["vehicle"]
        elif kind == "feedback":
            status, headers, _ = client.post_json("/api/v1/feedback", {"text": f"CarPlay disconnects {arg}"})
            key = arg
        elif kind == "login":
            status, headers, _ = client.login_answer(owner["email"])
            key = None
            if status == 302:
                with self.lock:
                    self.acked["login"] += 1
        else:  # a photo on the shopper's draft report
            with self.lock:
                if not self.shopper.cookies:
                    self.shopper.login(self.data["shopper"])
                token = self.shopper.csrf("/shopper/reports/new")
                status, headers, _ = self.shopper.post_form(
                    "/shopper/reports/new", report_fields(self.data, token, f"fleet photo {arg}"),
                    {"photos": (f"p{arg}.png", png_bytes(arg), "image/png")})
                if status == 302:
                    self.acked["photo"] += 1
            key = None
        self._note(status, headers, kind)
        if 200 <= status < 300 and kind in ("vote", "pledge", "feedback"):
            with self.lock:
                self.acked[kind].add(key)

    def reads(self, source: str) -> None:
        status, headers, _ = Client(NGINX_PORT, source).get("/?lang=en")
        self._note(status, headers)

    def phase(self, ops: list, seconds: float, event=None, at: float = 0.5) -> Counter:
        """Run ``ops`` spread over ``seconds`` with 6 threads plus page reads; ``event()`` fires at ``at`` of it."""
        before = Counter(self.statuses)
        start = time.monotonic()
        fired = threading.Event()

        def fire():
            time.sleep(seconds * at)
            event()
            fired.set()

        if event:
            threading.Thread(target=fire, daemon=True).start()
        gap = seconds / max(1, len(ops))

        def worker(index_op):
            index, op = index_op
            time.sleep(max(0.0, start + index * gap - time.monotonic()))
            self.run_op(op)
            self.reads(f"127.0.8.{index % 200 + 10}")

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(worker, enumerate(ops)))
        if event:
            fired.wait(timeout=60)
        return Counter({k: v - before.get(k, 0) for k, v in self.statuses.items() if v - before.get(k, 0)})


def summary(counts: Counter) -> str:
    return ", ".join(f"{k or 'no answer'}: {v}" for k, v in sorted(counts.items())) or "none"


# ---- checks that read the database ----

def query(sql: str, *args):
    import psycopg

    with psycopg.connect(Postgres.url(), connect_timeout=5) as conn:
        return conn.execute(sql, args).fetchall()


def check_writes(load: Load, data: dict) -> None:
    def unanswered(found: set, kind: str) -> str:
        """Writes committed whose client got no 2xx: the host was killed, or the proxy gave up, after the commit.
        Not lost and not doubled (each was tried once); the client would see them on its next read."""
        extra = len(found - load.acked[kind])
        answers = {k: v for k, v in load.by_kind.get(kind, Counter()).items() if not 200 <= k < 300}
        return f"; {extra} applied whose answer was lost ({summary(Counter(answers))} answered)" if extra else ""

    owner_ids = [o["id"] for o in data["owners"]]
    votes = query("SELECT user_id, proposal_id, count(*) FROM votes WHERE user_id = ANY(%s) AND proposal_id = ANY(%s)"
                  " GROUP BY 1, 2", owner_ids, data["proposals"][:4])
    found = {(u, p) for u, p, _ in votes}
    doubled = sum(c - 1 for *_, c in votes if c > 1)
    drift = query("SELECT count(*) FROM proposals p WHERE p.id = ANY(%s) AND p.vote_count <> "
                  "(SELECT count(*) FROM votes v WHERE v.proposal_id = p.id)", data["proposals"])[0][0]
    figure("votes: acknowledged / found / lost / doubled",
           f"{len(load.acked['vote'])} / {len(found)} / {len(load.acked['vote'] - found)} / {doubled}"
           f" (proposals whose stored count differs from their rows: {drift}){unanswered(found, 'vote')}")
    pledges = query("SELECT vehicle_id, count(*) FROM pledges WHERE campaign_id = %s AND status = 'active' "
                    "GROUP BY 1", data["campaign"])
    found = {v for v, _ in pledges}
    count = query("SELECT pledge_count FROM campaigns WHERE id = %s", data["campaign"])[0][0]
    figure("pledges: acknowledged / found / lost / doubled",
           f"{len(load.acked['pledge'])} / {len(found)} / {len(load.acked['pledge'] - found)} / "
           f"{sum(c - 1 for _, c in pledges if c > 1)} "
           f"(campaign's pledge_count {count} vs {sum(c for _, c in pledges)} rows){unanswered(found, 'pledge')}")
    rows = query("SELECT substring(text from 'fleet-[0-9]+-[0-9]+-[0-9a-f]+'), count(*) FROM feedback_items "
                 "WHERE text LIKE 'CarPlay disconnects fleet-%%' GROUP BY 1")
    found = {m for m, _ in rows}
    figure("feedback: acknowledged / found / lost / doubled",
           f"{len(load.acked['feedback'])} / {len(found)} / {len(load.acked['feedback'] - found)} / "
           f"{sum(c - 1 for _, c in rows if c > 1)}{unanswered(found, 'feedback')}")
    photos = query("SELECT count(*) FROM shopper_photos")[0][0]
    figure("photos: acknowledged uploads / stored", f"{load.acked['photo']} / {photos} "
           f"(answers: {summary(load.by_kind.get('photo', Counter()))})")
    figure("logins through nginx: succeeded", f"{load.acked['login']} of {sum(1 for o in load.ops if o[0] == 'login')} "
           f"(answers: {summary(load.by_kind.get('login', Counter()))}; 502/503 during the outages)")


def check_login_throttle(data: dict) -> None:
    a, b = (Client(port, "127.0.7.7") for port in HOST_PORTS)
    on_a = [a.login(data["throttled"], "wrong-password") for _ in range(5)]
    on_b = b.login(data["throttled"], "wrong-password")
    held = on_b == 429
    figure("login throttle: 5 failures on host A, then host B answers",
           f"{on_b} ({'held across hosts' if held else 'NOT held'}; A answered {summary(Counter(on_a))})")


def check_photo_across_hosts(data: dict) -> None:
    if "storage" not in (ROOT / "community" / "shopper" / "photos.py").read_text(encoding="utf-8"):
        figure("photo uploaded via host A, served by host B", "not available (shopper photos are on each "
               "host's disk in this checkout, not on shared storage)")
        return
    a = Client(HOST_PORTS[0], "127.0.6.6")
    if a.login(data["shopper"]) != 302:
        figure("photo uploaded via host A, served by host B", "not available (shopper login failed)")
        return
    token = a.csrf("/shopper/reports/new")
    status, headers, _ = a.post_form("/shopper/reports/new", report_fields(data, token, "A to B"),
                                     {"photos": ("ab.png", png_bytes(99), "image/png")})
    location = headers.get("Location", "") if status == 302 else ""
    b = Client(HOST_PORTS[1], "127.0.6.6")
    b.cookies = dict(a.cookies)  # the same browser, now answered by the other host
    _, _, page = b.get(location.replace(f"http://127.0.0.1:{NGINX_PORT}", "")) if location else (0, {}, b"")
    ids = re.findall(rb"/shopper/photos/(\d+)", page)
    if not ids:
        figure("photo uploaded via host A, served by host B", f"NO (upload answered {status})")
        return
    status_b, headers_b, body = b.get(f"/shopper/photos/{int(ids[-1])}")
    ok = status_b == 200 and body.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))
    figure("photo uploaded via host A, served by host B",
           f"{'yes' if ok else 'NO'} ({status_b}, {headers_b.get('Content-Type')}, {len(body)} bytes)")


def check_cache_freshness(data: dict) -> None:
    """A page read on B (warming any cache), changed through A, read again on B until it shows the change."""
    proposal = data["proposals"][-1]
    owner = data["owners"][-1]
    path = f"/proposals/{proposal}?lang=en"

    def count_on_b() -> int | None:
        _, _, page = Client(HOST_PORTS[1], "127.0.5.5").get(path)
        found = re.search(rb'id="vote-count">\s*(\d+)', page)
        return int(found.group(1)) if found else None

    before = count_on_b()
    count_on_b()
    scan = subprocess.run([shutil.which("redis-cli") or "redis-cli", "-p", str(REDIS_PORT), "--scan", "--pattern",
                           "*page:proposals.detail:*"], capture_output=True, text=True)
    cached_pages = len(scan.stdout.split())
    voter = Client(HOST_PORTS[0], "127.0.5.6", owner["token"])
    status, _, _ = voter.request("POST", f"/api/v1/proposals/{proposal}/vote")
    changed_at = time.monotonic()
    seen = None
    while time.monotonic() - changed_at < 5:
        if count_on_b() == (before or 0) + 1:
            seen = time.monotonic() - changed_at
            break
        time.sleep(0.05)
    fresh = f"{seen:.2f} s" if seen is not None else "NOT within 5 s"
    if has_module("cache"):
        figure("cached page changed on A, fresh on B after", f"{fresh} (vote {status}; B had served it from the "
               f"page cache: {cached_pages} proposal page(s) in Redis)")
    else:
        figure("cached page changed on A, fresh on B after", f"not available (no page cache in this checkout; "
               f"uncached, B showed the change after {fresh})")


def check_scheduler_once() -> None:
    try:
        rows = query("SELECT name, slot, count(*) FROM job_runs GROUP BY 1, 2")
    except Exception as err:
        figure("scheduled jobs done exactly once with two schedulers", f"not available ({type(err).__name__})")
        return
    doubled = sum(c - 1 for *_, c in rows if c > 1)
    names = Counter(name for name, _, _ in rows)
    figure("scheduled jobs done exactly once with two schedulers",
           f"{len(rows)} runs claimed, {doubled} doubled ({', '.join(f'{n} x{c}' for n, c in sorted(names.items()))})")


def metrics_total(port: int) -> str:
    status, _, body = Client(port).get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    if status != 200:
        return f"/metrics answered {status}"
    total = sum(float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
                if line.startswith("cocreate_http_requests_total{"))
    return f"{total:.0f} requests counted"


# ---- the run ----

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owners", type=int, default=None, help="owners generating load (default 30; 10 --short)")
    parser.add_argument("--short", action="store_true",
                        help="every figure, on less load: 10 owners, phases of 4, 4 and 8 s (about 2 minutes)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary folder with every log")
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("FLEET_PORT_BASE") or PORT_BASE),
                        help=f"first of six consecutive ports (default $FLEET_PORT_BASE, else {PORT_BASE})")
    args = parser.parse_args()
    use_ports(args.port_base)
    workdir = Path(tempfile.mkdtemp(prefix="cocreate-fleet-"))
    os.chmod(workdir, 0o755)
    fleet = Fleet(workdir)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    started = time.monotonic()
    try:
        return run(fleet, args)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        fleet.stop_all()
        left = [name for name, proc in fleet.procs.items() if proc.poll() is None]
        say(f"\nstopped {len(fleet.procs)} processes by PID ({', '.join(fleet.procs)}); still running: "
            f"{left or 'none'}; total {time.monotonic() - started:.0f} s")
        if args.keep_logs:
            say(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(fleet: Fleet, args) -> int:
    t0 = time.monotonic()
    say(f"Cocreate fleet in {fleet.dir}")
    nginx = ensure_nginx()
    pg = Postgres(fleet)
    pg.init()
    start_redis(fleet)
    s3 = has_module("storage") and start_moto(fleet)
    env = app_env(fleet, s3)
    release_env = host_env(env, fleet, "release", 0)
    out = subprocess.run(["sh", "deploy/release.sh"], cwd=ROOT, env=release_env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"release step failed:\n{out.stderr[-3000:]}")
    data = seed(release_env, args.owners or (10 if args.short else 30))
    seconds = (4, 4, 8) if args.short else (10, 10, 14)  # the last phase holds the 5 s PostgreSQL outage
    for name, port in zip("AB", HOST_PORTS, strict=True):
        start_host(fleet, env, name, port)
    jobs = has_module("jobs")
    if jobs:
        fleet.spawn("worker", [str(VENV_BIN / "flask"), "jobs", "worker"], host_env(env, fleet, "A", 0))
        for n in (1, 2):
            fleet.spawn(f"scheduler-{n}", [str(VENV_BIN / "flask"), "jobs", "scheduler"],
                        host_env(env, fleet, "B" if n == 2 else "A", 0))
    start_nginx(fleet, nginx)
    for port in HOST_PORTS:
        wait_ready(port, f"app host on {port}")
    say(f"up in {time.monotonic() - t0:.0f} s: PostgreSQL :{PG_PORT}, Redis :{REDIS_PORT}, "
        f"{f'moto S3 :{S3_PORT}' if s3 else 'shared folder storage'}"
        f"{'' if router_on_storage() else ' (router models in a shared folder: not on storage yet)'}, "
        f"hosts :{HOST_PORTS[0]} :{HOST_PORTS[1]}, "
        f"nginx :{NGINX_PORT}, {'worker + 2 schedulers' if jobs else 'no jobs module: worker/scheduler not available'}")

    load = Load(data)
    third = len(load.ops) // 3
    batches = [load.ops[:third], load.ops[third:2 * third], load.ops[2 * third:]]

    say("\n== load through nginx; host B killed with SIGKILL halfway")
    counts = load.phase(batches[0], seconds[0], lambda: fleet.kill("host-B"))
    figure("answers during the phase", summary(counts))
    start_host(fleet, env, "B", HOST_PORTS[1])
    wait_ready(HOST_PORTS[1], "host B after restart")

    say("\n== load; Redis killed with SIGKILL halfway, started again 3 s later")
    redis_down = {}

    def kill_redis():
        fleet.kill("redis")
        redis_down["at"] = time.monotonic()
        time.sleep(3)
        start_redis(fleet)

    tag = f"fleet-redis-{secrets.token_hex(4)}"
    if jobs:  # a job waiting in the queue when Redis dies: the worker is paused so it cannot take it first
        fleet.procs["worker"].send_signal(signal.SIGSTOP)
        enqueue_marker(host_env(env, fleet, "A", 0), tag)
    counts = load.phase(batches[1], seconds[1], kill_redis, at=0.3)
    figure("answers during the phase", summary(counts))
    figure("rate limits while Redis is down", "fail open to per-worker memory counting (see README)")
    if jobs:
        fleet.procs["worker"].send_signal(signal.SIGCONT)
        time.sleep(2)
    dead = [n for n in ("worker", "scheduler-1", "scheduler-2") if n in fleet.procs and not fleet.alive(n)]
    figure("job processes that exited when Redis died", ", ".join(dead) + " (restarted, as systemd would)"
           if dead else "none")
    for name in dead:  # as systemd's Restart=on-failure would
        fleet.spawn(name, [str(VENV_BIN / "flask"), "jobs", name.split("-")[0]], host_env(env, fleet, "A", 0))
    if jobs:
        back = time.monotonic()
        try:
            wait_for(lambda: marker_ran(tag), "the queued job", 60, every=0.5)
            figure("job queued before Redis died, run after it returned",
                   f"yes, {time.monotonic() - back + 2:.1f} s after the worker resumed")
        except RuntimeError:
            figure("job queued before Redis died, run after it returned", "NO (not within 60 s)")
    else:
        figure("job queued before Redis died, run after it returned", "not available (no community/jobs.py)")

    say("\n== load; PostgreSQL stopped for 5 s")
    outage = {}

    def stop_pg():
        # Two probes: the home page, which anonymous visitors get from the page cache in Redis, and a page the
        # cache cannot hold (a query string never asked before), which needs the database.
        pg.stop()
        outage["stopped"] = time.monotonic()
        cached, uncached = Counter(), Counter()
        while time.monotonic() - outage["stopped"] < 5:
            for path, seen in (("/?lang=en", cached), (f"/?lang=en&fleet={secrets.token_hex(4)}", uncached)):
                status, headers, _ = Client(NGINX_PORT, "127.0.4.4").get(path)
                seen[(status, bool(headers.get("Retry-After")) if headers else False)] += 1
            time.sleep(0.1)
        outage["cached"], outage["uncached"] = cached, uncached
        pg.start()
        outage["started"] = time.monotonic()
        while time.monotonic() - outage["started"] < 30:
            if Client(NGINX_PORT, "127.0.4.4").get(f"/?lang=en&fleet={secrets.token_hex(4)}")[0] == 200:
                outage["recovered"] = time.monotonic() - outage["started"]
                break
            time.sleep(0.05)

    counts = load.phase(batches[2], seconds[2], stop_pg, at=0.2)
    figure("answers during the phase", summary(counts))
    for key, name in (("uncached", "a page not in the cache, PostgreSQL down"),
                      ("cached", "the cached home page, PostgreSQL down")):
        during = outage.get(key, Counter())
        figure(name, ", ".join(f"{s} {'with' if r else 'without'} Retry-After: {c}"
                               for (s, r), c in sorted(during.items())))
    figure("first 200 of an uncached page after PostgreSQL was back", f"{outage['recovered']:.2f} s, no restart"
           if "recovered" in outage else "NOT within 30 s")
    figure("500 answers in the whole run", load.statuses_500)
    figure("503 answers carrying Retry-After", load.retry_after_503)

    say("\n== what the database holds (each write tried once, never retried by the client)")
    check_writes(load, data)
    say("\n== across hosts")
    check_login_throttle(data)
    check_photo_across_hosts(data)
    check_cache_freshness(data)
    if jobs:
        check_scheduler_once()
    else:
        figure("scheduled jobs done exactly once with two schedulers", "not available (no community/jobs.py)")
    for name, port in zip("AB", HOST_PORTS, strict=True):
        figure(f"metrics of host {name} (/metrics with the token)", metrics_total(port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
