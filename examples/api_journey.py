"""An owner's whole journey through the JSON API only, as the owners' app would make it.

    .venv/bin/python examples/api_journey.py            # on a fresh temporary SQLite database
    .venv/bin/python examples/api_journey.py --keep     # ...and print where that database is

Accounts and their first tokens come from the CLI (`flask users create`, `flask tokens create`), as a
back office would issue them; every step after that is an HTTP call to /api/v1 with a bearer token:
add a car, a moderator verifies it, post and vote, the moderator accepts the proposal and opens a
crowdfunding for it, the owner checks which of their cars may pledge and pledges, submit feedback that
the router sends to a team, read the timeline and the notifications. Each step prints the status and
what the owner would see. Exits 1 on the first unexpected answer. tests/api/test_journey.py runs it as part
of the suite.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Journey:
    def __init__(self, app, out=print):
        self.app, self.client, self.out = app, app.test_client(), out

    def cli(self, *args: str) -> str:
        result = self.app.test_cli_runner().invoke(args=list(args))
        if result.exit_code:
            raise SystemExit(f"CLI {' '.join(args)} failed: {result.output}")
        return result.output.strip()

    def call(self, method: str, path: str, token: str | None, expect: int, json=None):
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"} if token else {}
        resp = self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers)
        self.out(f"{method:6} {path:45} -> {resp.status_code}")
        if resp.status_code != expect:
            raise SystemExit(f"expected {expect}, got {resp.status_code}: {resp.get_data(as_text=True)[:500]}")
        return resp.get_json()

    def run(self) -> dict:
        from community.accounts.vehicles import with_check_digit

        password = "journey-password-1"
        self.cli("users", "create", "li.na@example.com", "--name", "李娜", "--password", password)
        self.cli("users", "create", "ops@example.com", "--role", "moderator", "--password", password)
        owner = self.cli("tokens", "create", "li.na@example.com", "--scope", "write").splitlines()[-1]
        mod = self.cli("tokens", "create", "ops@example.com", "--scope", "write").splitlines()[-1]

        vin = with_check_digit("LZ5A1B2C0RN424242")
        car = self.call("POST", "/me/vehicles", owner, 201, {"model": "001", "model_year": 2024,
                                                             "hardware": ["lidar", "adas_gen1"], "vin": vin})
        self.out(f"       my car: {car['model']} {car['model_year']} {car['masked_vin']} ({car['status']})")
        pending = self.call("GET", "/moderation/vehicles", mod, 200)
        assert any(v["id"] == car["id"] for v in pending)
        self.call("POST", f"/moderation/vehicles/{car['id']}", mod, 200, {"approve": True})
        assert self.call("GET", "/me", owner, 200)["is_owner"] is True

        idea = self.call("POST", "/proposals", owner, 201, {
            "title": "后排增加 USB-C 快充口", "category": "vehicle",
            "body": "后排乘客只有 USB-A，希望增加 **USB-C 快充**。"})
        top = self.call("GET", "/proposals?sort=top&limit=5", None, 200)["items"]
        if top:
            self.call("POST", f"/proposals/{top[0]['id']}/vote", owner, 200)
            self.call("POST", f"/proposals/{top[0]['id']}/vote", owner, 409)  # a double tap is harmless
        self.call("POST", f"/proposals/{idea['id']}/status", mod, 200,
                  {"status": "under_review", "text_zh": "理事会评审中", "text_en": "Council is reviewing it"})
        self.call("POST", f"/proposals/{idea['id']}/milestones", mod, 201,
                  {"kind": "commitment", "text_en": "We will add USB-C in the next facelift"})

        self.call("POST", f"/proposals/{idea['id']}/status", mod, 200,
                  {"status": "accepted", "text_zh": "立项", "text_en": "Approved: it goes ahead"})
        self._open_crowdfunding(mod, idea["id"])
        campaign = self._pledge(owner, car["id"])

        sent = self.call("POST", "/feedback", owner, 201, {"text": "家充桩安装师傅迟迟没有上门，App 里也看不到进度",
                                                           "channel": "app", "vehicle_id": car["id"]})
        self.out(f"       feedback routed to: {sent['team'] or 'triage (a person will route it)'}")

        timeline = self.call("GET", f"/proposals/{idea['id']}/timeline", None, 200)
        self.out("       my proposal's timeline: " + " <- ".join(m["kind"] for m in timeline))
        self.cli("notifications", "fan-out")
        inbox = self.call("GET", "/notifications", owner, 200)
        self.out(f"       notifications: {inbox['unread']} unread")
        return {"proposal": idea["id"], "feedback": sent["id"], "campaign": campaign, "unread": inbox["unread"],
                "timeline": [m["kind"] for m in timeline]}

    def _open_crowdfunding(self, mod: str, proposal_id: int) -> int:
        """The moderator opens a crowdfunding on the accepted proposal: from now to 30 days on (Beijing time)."""
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        made = self.call("POST", f"/proposals/{proposal_id}/campaigns", mod, 201, {
            "title_zh": "后排 USB-C 加装", "title_en": "Rear USB-C retrofit", "price_cny": "399.00", "target": 50,
            "opens_at": now.isoformat(), "closes_on": (now + timedelta(days=30)).date().isoformat(),
            "models": ["001"], "model_years": [2024], "publish": True})
        self.out(f"       crowdfunding open: {made['title']} CNY {made['price_cny']}, target {made['target']}")
        return made["id"]

    def _pledge(self, owner: str, car_id: int) -> int:
        """The owner finds the open crowdfunding, sees which car may pledge (and why not), pledges once."""
        open_now = self.call("GET", "/campaigns?status=open", None, 200)["items"]
        campaign = open_now[0]["id"]
        standing = self.call("GET", f"/campaigns/{campaign}/eligibility", owner, 200)
        for v in standing["vehicles"]:
            self.out(f"       {v['masked_vin']}: {'eligible' if v['eligible'] else '; '.join(v['reasons'])}")
        assert any(v["vehicle_id"] == car_id and v["eligible"] for v in standing["vehicles"])
        made = self.call("POST", f"/campaigns/{campaign}/pledges", owner, 201, {"vehicle_id": car_id})
        self.call("POST", f"/campaigns/{campaign}/pledges", owner, 409, {"vehicle_id": car_id})  # one per car
        self.out(f"       pledged: {made['campaign_pledge_count']} pledge(s) so far")
        assert [p["id"] for p in self.call("GET", "/me/pledges", owner, 200)] == [made["id"]]
        return campaign


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and print its path")
    args = parser.parse_args(argv)
    from flask_migrate import upgrade

    from community import create_app

    folder = tempfile.mkdtemp(prefix="cocreate-journey-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/journey.db", "SECRET_KEY": "journey",
                      "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "locmem"})
    with app.app_context():
        upgrade()
        from community.pledge import service as pledge

        pledge.ensure_teams()
    summary = Journey(app).run()
    print("journey complete:", summary)
    if args.keep:
        print("database:", folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
