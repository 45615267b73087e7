"""Votes under real concurrency (PostgreSQL only): the unique constraint and the conditional UPDATE decide.

Each thread has its own app context, hence its own session and connection; a Barrier releases
them together so the INSERTs really overlap.
"""
import threading

import pytest

from community.accounts.models import User
from community.errors import Conflict
from community.extensions import db
from community.proposals import service
from community.proposals.models import Proposal, Vote
from tests import factories as f


@pytest.fixture
def postgres_only(app, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers on one file lock; races are only meaningful on PostgreSQL")


def _race(app, pairs: list[tuple[int, int]]) -> tuple[list[int], list[BaseException]]:
    """Each (user_id, proposal_id) votes from its own thread, all at once. Returns (counts, unexpected errors)."""
    barrier = threading.Barrier(len(pairs), timeout=30)
    counts, errors, lock = [], [], threading.Lock()

    def run(user_id: int, proposal_id: int) -> None:
        try:
            with app.app_context():
                user, proposal = db.session.get(User, user_id), db.session.get(Proposal, proposal_id)
                _ = user.vehicles, proposal.status  # load now: keep the race to the vote itself
                db.session.close()  # give the connection back, so 50 threads need not hold 50 at the barrier
                barrier.wait()
                db.session.add_all([user, proposal])
                try:
                    n = service.vote(user, proposal)
                except Conflict:
                    return
                with lock:
                    counts.append(n)
        except BaseException as exc:  # noqa: BLE001 - anything but Conflict is a failure to report
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a voting thread hung"
    return counts, errors


def test_twenty_concurrent_votes_by_one_owner_make_one_row(app, postgres_only):
    voter, proposal = f.owner(), f.proposal()
    counts, errors = _race(app, [(voter.id, proposal.id)] * 20)
    assert errors == []
    assert counts == [1]
    db.session.expire_all()
    assert Vote.query.filter_by(proposal_id=proposal.id).count() == proposal.vote_count == 1


def test_fifty_owners_voting_at_once_count_fifty(app, postgres_only):
    proposal = f.proposal()
    voters = f.owners(50)
    counts, errors = _race(app, [(v.id, proposal.id) for v in voters])
    assert errors == []
    assert len(counts) == 50 and max(counts) == 50  # each saw the count after its commit, others included
    db.session.expire_all()
    assert Vote.query.filter_by(proposal_id=proposal.id).count() == proposal.vote_count == 50
