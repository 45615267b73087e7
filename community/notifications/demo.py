"""Demo: everyone who voted for or wrote a proposal follows it, and pending events reach them."""
from sqlalchemy import insert, select

from community.extensions import db
from community.notifications import service
from community.notifications.models import Follow
from community.proposals.models import Proposal, Vote


def load(ctx) -> None:
    # The crowd's votes were bulk-inserted (bypassing vote()), so add the follows vote() would have made.
    have = set(db.session.execute(select(Follow.user_id, Follow.proposal_id)).all())
    want = set(db.session.execute(select(Vote.user_id, Vote.proposal_id)).all())
    want |= set(db.session.execute(select(Proposal.author_id, Proposal.id)).all())
    rows = [{"user_id": u, "proposal_id": p} for u, p in sorted(want - have)]
    if rows:
        db.session.execute(insert(Follow), rows)
    db.session.commit()
    service.save_settings(ctx.owner, {"milestone": "digest"})  # one demo owner reads progress notes by e-mail
    service.fan_out_pending()
