#!/bin/sh
# The release step: run ONCE per release, from one host (or a CI/CD job), before the new code serves.
# Web hosts never migrate on start, so two hosts starting together cannot race on the schema.
# Needs the same environment as the web hosts (DATABASE_URL, COCREATE_ENV, SECRET_KEY, PUBLIC_BASE_URL ...).
set -eu
cd "$(dirname "$0")/.."
export FLASK_APP=wsgi.py
flask db upgrade
# A fresh installation gets a feedback-router model version (idempotent: nothing if one exists).
flask routing train --if-missing
