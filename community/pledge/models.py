"""Pledge teams, the agents who work for them, and the pledge items (promises) they own."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, text

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db


class Team(db.Model):
    """A responsible team (责任团队). ``slug`` is the label the router predicts; it never changes."""

    __tablename__ = "teams"
    __table_args__ = (CheckConstraint("slug <> ''", name="slug"),)

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(32), nullable=False, unique=True)
    name_zh = db.Column(db.String(60), nullable=False)
    name_en = db.Column(db.String(60), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0, server_default=text("0"))
    is_active = db.Column(db.Boolean, nullable=False, default=True, server_default=text("true"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    pledge_items = db.relationship("PledgeItem", back_populates="team", order_by="PledgeItem.position",
                                   lazy="selectin")
    agents = db.relationship("User", secondary="team_agents", lazy="selectin", order_by="User.id")

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh" else self.name_en

    def __repr__(self) -> str:
        return f"<Team {self.slug}>"


class TeamAgent(db.Model):
    """Links a user holding the ``team_agent`` role to a team whose queue they work."""

    __tablename__ = "team_agents"

    team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class PledgeItem(db.Model):
    """One published promise (用户服务公约 item): its text, owning team and SLAs in whole hours."""

    __tablename__ = "pledge_items"
    __table_args__ = (
        CheckConstraint("first_response_hours > 0", name="first_response_hours"),
        CheckConstraint("resolution_hours >= first_response_hours", name="resolution_hours"),
    )

    id = db.Column(db.Integer, primary_key=True)
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id"), nullable=False, index=True)
    text_zh = db.Column(db.String(500), nullable=False)
    text_en = db.Column(db.String(500), nullable=False)
    first_response_hours = db.Column(db.Integer, nullable=False)
    resolution_hours = db.Column(db.Integer, nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0, server_default=text("0"))
    is_active = db.Column(db.Boolean, nullable=False, default=True, server_default=text("true"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    team = db.relationship("Team", back_populates="pledge_items")

    def text(self, locale: str) -> str:
        return self.text_zh if locale == "zh" else self.text_en
