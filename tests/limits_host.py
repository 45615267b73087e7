"""A second app instance in its own process, for tests that show limits are shared through Redis.

Run as ``python -m tests.limits_host`` with ``HOST_CONFIG`` (JSON config overrides) and ``HOST_REQUESTS``
(JSON list of ``[method, path, form data]``) in the environment; prints the JSON list of status codes.
"""
from __future__ import annotations

import json
import os

from community import create_app


def main() -> None:
    app = create_app(json.loads(os.environ["HOST_CONFIG"]))
    client = app.test_client()
    codes = [client.open(path, method=method, data=data).status_code
             for method, path, data in json.loads(os.environ["HOST_REQUESTS"])]
    print(json.dumps(codes))


if __name__ == "__main__":
    main()
