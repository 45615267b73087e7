# Cocreate's web host as an image (the same container runs the worker, the scheduler and the release step with
# another command). NOT BUILT OR TESTED: these machines have no image registry and no container builder (see
# README, Deploying). It installs requirements.lock only, every file checked against its hash.
#
#   docker build -t cocreate .
#   docker run --env-file /etc/cocreate/cocreate.env -p 8000:8000 cocreate                  # web (gunicorn)
#   docker run --env-file /etc/cocreate/cocreate.env cocreate flask jobs worker              # RQ worker
#   docker run --env-file /etc/cocreate/cocreate.env cocreate flask jobs scheduler           # scheduler
#   docker run --env-file /etc/cocreate/cocreate.env cocreate sh deploy/release.sh           # once per release

# ---- build: the venv from the hashed lock, and the compiled zh catalogue ----
# Python 3.11: the version the locks were resolved on.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /srv/cocreate
COPY requirements.lock ./
RUN python -m venv /srv/cocreate/.venv \
 && /srv/cocreate/.venv/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY community/translations community/translations
RUN /srv/cocreate/.venv/bin/pybabel compile -d community/translations

# ---- run: the code, the venv, an unprivileged user ----
FROM python:3.11-slim-bookworm
ENV PATH=/srv/cocreate/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    FLASK_APP=wsgi.py \
    COCREATE_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/run/cocreate/metrics \
    COCREATE_INSTANCE_PATH=/srv/cocreate/instance
RUN groupadd --system cocreate && useradd --system --gid cocreate --home-dir /srv/cocreate --no-create-home cocreate
WORKDIR /srv/cocreate
COPY --from=build /srv/cocreate/.venv .venv
COPY wsgi.py babel.cfg ./
COPY community community
COPY templates templates
COPY migrations migrations
COPY deploy deploy
COPY data data
COPY --from=build /srv/cocreate/community/translations community/translations
# The code stays root's and read-only to the app; only the instance folder and the metrics folder are its own.
RUN mkdir -p instance /run/cocreate/metrics && chown cocreate:cocreate instance /run/cocreate/metrics
USER cocreate
EXPOSE 8000
# Behind nginx in another container, set FORWARDED_ALLOW_IPS to nginx's address and TRUSTED_PROXY_HOPS=1 (the env
# file); metrics are per container, so scrape each one.
# Migrations are not run here: the release step does that once per release (deploy/release.sh).
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
