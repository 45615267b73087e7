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


class IdempotencyKey(db.Model):
    """One ``Idempotency-Key`` an API token sent with a write, and the first answer to it.

    The unique (token_id, key) row is the claim: it is committed before the view runs, so a second request
    with the key while the first is still running finds the row (``status_code`` NULL: in flight) and is
    refused, on every worker and host. ``request_hash`` is SHA-256 of the method, path, query and body (JSON
    canonicalised); ``response_headers`` a JSON object of the replayed headers. Kept until ``expires_at``.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (db.UniqueConstraint("token_id", "key"),)

    id = db.Column(db.Integer, primary_key=True)
    token_id = db.Column(db.Integer, db.ForeignKey("api_tokens.id", ondelete="CASCADE"), nullable=False)
    key = db.Column(db.String(255), nullable=False)
    request_hash = db.Column(db.String(64), nullable=False)
    status_code = db.Column(db.Integer)
    response_body = db.Column(db.Text)
    response_headers = db.Column(db.Text)
    locked_at = db.Column(UTCDateTime, nullable=False, default=utcnow)  # when the running request claimed it
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
