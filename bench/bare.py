"""The bare baseline of ``make bench``: Flask with one route and nothing else, served by the same gunicorn
settings as the app in the same run, so a page's share of it says what Cocreate adds."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "<!doctype html><title>bare</title><p>ok</p>"
