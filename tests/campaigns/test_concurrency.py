"""Cap and uniqueness under real concurrency: 100 sessions at once (PostgreSQL; SQLite has a single writer)."""
import threading

import pytest

from community.accounts.models import User
from community.campaigns import pledges
from community.campaigns.models import Campaign, Pledge
from community.errors import Conflict
from community.extensions import db
from tests import factories as f


@pytest.fixture
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises all writers, so it cannot show a race; run with COCREATE_TEST_DB=postgresql://...")


def _race(app, campaign_id: int, jobs: list[tuple[int, int]]) -> tuple[int, list[str], list[Exception]]:
    """Run pledge(user, vehicle) for every job in its own thread and session, released together."""
    barrier = threading.Barrier(len(jobs))
    ok, refused, crashed = [], [], []

    def run(user_id: int, vehicle_id: int):
        with app.app_context():
            user, campaign = db.session.get(User, user_id), db.session.get(Campaign, campaign_id)
            db.session.commit()  # hand the connection back: the pool is smaller than the crowd
            barrier.wait(timeout=60)
            try:
                pledges.pledge(user, campaign, vehicle_id)
                ok.append(1)
            except Conflict as err:
                refused.append(err.message)
            except Exception as exc:  # noqa: BLE001 - any other failure fails the test
                crashed.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(ok), refused, crashed


def test_100_pledges_at_once_against_a_cap_of_50(make_app, postgres_only):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 0, "pool_timeout": 60})
    with app.app_context():
        c = f.open_campaign(target=40, cap=50)
        owners = [f.eligible_owner() for _ in range(100)]
        jobs = [(o.id, o.vehicles[0].id) for o in owners]
        cid = c.id
    ok, refused, crashed = _race(app, cid, jobs)
    assert crashed == []
    assert ok == 50 and len(refused) == 50
    assert set(refused) == {"This campaign is full: all 50 places are taken."}
    with app.app_context():
        assert db.session.get(Campaign, cid).pledge_count == 50 == Pledge.query.filter_by(status="active").count()


def test_double_submits_of_one_vehicle_make_one_pledge(make_app, postgres_only):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 10, "pool_timeout": 60})
    with app.app_context():
        c = f.open_campaign()
        owner = f.eligible_owner()
        job, cid = (owner.id, owner.vehicles[0].id), c.id
    ok, refused, crashed = _race(app, cid, [job] * 20)
    assert crashed == [] and ok == 1 and len(refused) == 19
    assert set(refused) == {"This vehicle already has a pledge in this campaign."}
    with app.app_context():
        assert db.session.get(Campaign, cid).pledge_count == 1 == Pledge.query.count()
