"""The "crowdfunding closes within 48 hours" notice, told once per campaign to the followers of its proposal.

The notice is claimed by a conditional UPDATE of ``closing_noted_at`` in the same transaction as the
notification event, so two sweeps racing each other (or a sweep run twice) send it once. A campaign on a
hidden proposal is skipped without being claimed: restored in time, it is still announced.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from community.campaigns.models import Campaign
from community.campaigns.windows import beijing_time, open_clause
from community.extensions import db
from community.notifications import service as notifications
from community.proposals.models import Proposal

CLOSING_NOTICE = timedelta(hours=48)


def _open_and_closing(now: datetime):
    """SQL conditions: not announced as closing yet, open at ``now`` and ending within CLOSING_NOTICE."""
    return (Campaign.closing_noted_at.is_(None), *open_clause(now), Campaign.closes_at < now + CLOSING_NOTICE)


def remind_closing(now: datetime) -> list[int]:
    """Emit ``campaign_closing`` for every open campaign that ends within 48 hours and has not been
    announced as closing; returns the ids of the campaigns announced. Commits per campaign.

    A campaign whose whole window is 48 hours or shorter gets no reminder: its opening notice already
    named the closing time, and two notices at once would be noise.
    """
    due = db.session.execute(
        select(Campaign.id, Campaign.opens_at, Campaign.closes_at)
        .join(Proposal, Proposal.id == Campaign.proposal_id)
        .where(*_open_and_closing(now), Proposal.hidden_at.is_(None))
        .order_by(Campaign.id)).all()
    sent = []
    for campaign_id, opens_at, closes_at in due:
        if closes_at - opens_at <= CLOSING_NOTICE:
            continue
        try:
            claimed = db.session.execute(update(Campaign).where(Campaign.id == campaign_id, *_open_and_closing(now))
                                         .values(closing_noted_at=now)).rowcount == 1
            if claimed:
                campaign = db.session.get(Campaign, campaign_id)
                ends, ends_en = beijing_time(closes_at, "zh"), beijing_time(closes_at, "en")
                notifications.notify_proposal_followers(
                    "campaign_closing", campaign.proposal_id,
                    text_zh=f"众筹「{campaign.title_zh or campaign.title_en}」将于 {ends}（北京时间）截止，"
                            f"目前 {campaign.pledge_count} 台认筹，目标 {campaign.target} 台。",
                    text_en=f"Crowdfunding \"{campaign.title_en or campaign.title_zh}\" closes at {ends_en} "
                            f"(Asia/Shanghai): {campaign.pledge_count} pledges so far, target {campaign.target}.")
                sent.append(campaign_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return sent
