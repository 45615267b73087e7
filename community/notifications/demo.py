"""Demo: everyone who voted for or wrote a proposal follows it, and pending events reach them."""
from sqlalchemy import func, insert, select, update

from community.extensions import db
from community.notifications import service
from community.notifications.models import Event, Follow, Notification
from community.proposals.models import Proposal, Vote
from community.timeline.models import Milestone


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
    date_notifications()


def date_notifications() -> None:
    """Fanned out at load time, but each notice belongs to the moment its news was posted: the milestone's
    posting time where there is one, else the event's own."""
    posted = (select(func.coalesce(Milestone.recorded_at, Event.created_at))
              .select_from(Event).outerjoin(Milestone, Milestone.id == Event.milestone_id)
              .where(Event.id == Notification.event_id).scalar_subquery())
    db.session.execute(update(Notification).values(created_at=posted))
    db.session.commit()
