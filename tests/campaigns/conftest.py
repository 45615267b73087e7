import time

import pytest


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def server_tz(request, monkeypatch):
    """Run the test with the server process's own zone set to UTC and to other zones."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()
