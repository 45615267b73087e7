"""Personal access tokens for the JSON API (the owners' app)."""
from __future__ import annotations

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

SCOPES = ("read", "write")


class ApiToken(db.Model):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once, at creation."""

    __tablename__ = "api_tokens"
    __table_args__ = (db.CheckConstraint("scope in ('read','write')", name="scope"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(60), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    prefix = db.Column(db.String(12), nullable=False)  # shown in the settings list to tell tokens apart
    scope = db.Column(db.String(8), nullable=False)  # "write" implies "read"
    expires_at = db.Column(UTCDateTime)
    revoked_at = db.Column(UTCDateTime)
    last_used_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", lazy="joined")

    def is_active(self, now=None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, scope: str) -> bool:
        return scope == "read" or self.scope == "write"
