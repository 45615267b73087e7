"""Users, their stored roles, and their vehicles."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import lru_cache

from flask import g, has_request_context
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ColumnElement, Index, UniqueConstraint, bindparam, event, select, text
from sqlalchemy.orm import Session, joinedload, lazyload, validates
from werkzeug.security import check_password_hash, generate_password_hash

from community.accounts.identity import MAX_KEY, display_form, identity_key
from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

# "transferred": sold or handed on, verified by a moderator (community.entitlements.transfers); kept for history.
VEHICLE_STATUSES = ("pending", "verified", "rejected", "transferred")


# Roles a higher feature decides (user id -> held now?), e.g. "council_member" by community.council: this
# module sits below every feature and never imports one, so the feature registers its answer at start-up.
_derived_roles: dict[str, Callable[[int], bool]] = {"council_member": lambda user_id: False}


def register_derived_role(role: str, holds: Callable[[int], bool]) -> None:
    """Let ``holds(user_id)`` decide ``User.has_role(role)`` (admins and blocked users aside) from now on."""
    _derived_roles[role] = holds


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # A blocked impersonator does not keep a name from the person it imitated.
        Index("uq_users_active_name_skeleton", "name_skeleton", unique=True,
              sqlite_where=text("NOT is_blocked"), postgresql_where=text("NOT is_blocked")),
    )

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    display_name = db.Column(db.String(60), nullable=False)
    # identity_key() of the two (community.accounts.identity), kept by the validators below: look-alikes
    # (Cyrillic о for o, full-width letters, another case) share a key, and the unique indexes refuse them.
    email_skeleton = db.Column(db.String(MAX_KEY), nullable=False, unique=True)
    name_skeleton = db.Column(db.String(MAX_KEY), nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    locale = db.Column(db.String(8))
    timezone = db.Column(db.String(64))
    is_blocked = db.Column(db.Boolean, nullable=False, default=False, server_default=text("false"))
    # Bumped on password change/logout-everywhere; part of the session id so old cookies die.
    session_token = db.Column(db.String(32), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    roles = db.relationship("UserRole", cascade="all, delete-orphan", lazy="selectin")
    vehicles = db.relationship("Vehicle", back_populates="owner", lazy="selectin",
                               foreign_keys="Vehicle.owner_id", order_by="Vehicle.id")

    @validates("email")
    def _keep_email_skeleton(self, _key, email: str) -> str:
        self.email_skeleton = identity_key(email)
        return email

    @validates("display_name")
    def _normalise_display_name(self, _key, name: str) -> str:
        name = display_form(name)
        self.name_skeleton = identity_key(name)
        return name

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def is_owner(self) -> bool:
        return any(v.status == "verified" for v in self.vehicles)

    def has_role(self, role: str) -> bool:
        """Blocked users hold no role; admin implies every role; owner and council_member are derived.

        ``council_member`` is true only during an active council term (community.council), never from a
        stored role row, so a member whose term has ended loses council rights at that instant. The council
        feature answers that through ``register_derived_role`` at start-up; a derived role nobody registered
        is held by no one (never read from the stored rows).
        """
        return bool(self.held_roles((role,)))

    def held_roles(self, roles: Iterable[str]) -> frozenset[str]:
        """Which of ``roles`` the user holds, by ``has_role``'s rules, reading the stored roles once."""
        if self.is_blocked:
            return frozenset()
        names = self.role_names
        held = set()
        for role in roles:
            if role == "owner":
                yes = self.is_owner
            elif "admin" in names:
                yes = True
            elif role in _derived_roles:  # read with the user when a fact of that name is registered (council)
                yes = self.id is not None and bool(user_fact(self, role, lambda r=role: _derived_roles[r](self.id)))
            else:
                yes = role in names
            if yes:
                held.add(role)
        return frozenset(held)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


# Facts about the logged-in user that higher layers answer (an active council term, the unread count): each
# registers an SQL expression correlated to ``users.id`` at start-up, and ``load_session_user`` reads them with
# the user, its roles and its vehicles in one query. They hold for the current request only (kept in ``g``).
USER_FACTS: dict[str, Callable[[], ColumnElement]] = {}
_session_user_stmt: list = []  # built once: constructing it cost more than running it


def register_user_fact(name: str, expression: Callable[[], ColumnElement]) -> None:
    """``expression()`` is built once; it may compare with ``bindparam("now")``, the instant of each load."""
    USER_FACTS[name] = expression
    _session_user_stmt.clear()


def user_fact(user, name: str, compute: Callable[[], object]):
    """The fact ``name`` about ``user`` for this request: as loaded with the user, else ``compute()`` once."""
    if not has_request_context():  # a CLI command or job may run for long in one app context
        return compute()
    facts = g.setdefault("user_facts", {}).setdefault(user.id, {})
    if name not in facts:
        facts[name] = compute()
    return facts[name]


def remember_user_facts(user, facts: dict) -> None:
    """Facts about ``user`` read along with something else this request (``user_fact`` answers from them)."""
    if has_request_context():
        g.setdefault("user_facts", {}).setdefault(user.id, {}).update(facts)


def _forget_facts(_session) -> None:
    # A request that commits (marks notifications read, appoints a term) answers from the database again.
    if has_request_context():
        g.pop("user_facts", None)


event.listen(Session, "after_commit", _forget_facts)


def load_session_user(user_id: int) -> User | None:
    """The user with roles, vehicles and every registered fact: one statement (a join of the two small
    collections; a user has a handful of each). The vehicles' proof photos load only where a page shows them.

    While the page cache answers a member's GET from a stored page (``g.session_user_snapshot`` holds the
    versions of ``community.cache.session_user_scopes``), the user comes from this process's snapshot."""
    kept = g.get("session_user_snapshot") if has_request_context() else None
    if kept is not None:
        return _snapshot_user(user_id, kept)
    row = _session_user_row(db.session, user_id)
    if row is None:
        return None
    keep_session_user_facts(row[0], row[1:])
    return row[0]


def _session_user_row(session, user_id: int):
    """``(user, *facts)`` as ``session_user_select`` reads them, or None."""
    return session.execute(session_user_select(), {"user_id": user_id, "now": utcnow()}).unique().first()


# Per process: users as loaded for the page cache's hits on members' pages, by id: (versions of the user's
# scopes, monotonic deadline, the user detached from any session, its facts); FIFO-bounded. A snapshot is
# used while the versions it was loaded under are current, so any write to the user, its roles, cars, council
# terms, notifications, votes or follows (or a hide, which changes what is unread) shows on the next page; the
# facts those pages learn (voted on a proposal, following it) are kept with it for as long. Facts that change
# with time alone (a council term starting or ending) show within SNAPSHOT_SECONDS: those pages only display
# them (the bar's links, which copy of a page is served); every page that acts on a role loads the user anew.
_snapshots: dict[int, tuple[tuple[str, ...], float, User, dict]] = {}
SNAPSHOT_SECONDS = 30
_SNAPSHOT_MAX = 4096


def _snapshot_user(user_id: int, versions: tuple[str, ...]) -> User | None:
    """The user for a page served from the store: read-only, detached (its roles, cars and columns loaded;
    anything lazy raises), shared by this process's requests until a version moves or the deadline passes."""
    now = time.monotonic()
    kept = _snapshots.get(user_id)
    if kept is None or kept[0] != versions or kept[1] < now:
        with Session(db.engine) as own:  # its own session: the snapshot outlives this request's
            row = _session_user_row(own, user_id)
        if row is None:
            _snapshots.pop(user_id, None)
            return None
        if len(_snapshots) >= _SNAPSHOT_MAX:
            _snapshots.pop(next(iter(_snapshots)), None)
        kept = _snapshots[user_id] = (versions, now + SNAPSHOT_SECONDS, row[0], _named_facts(row[1:]))
    g.setdefault("user_facts", {})[user_id] = kept[3]  # not a copy: what this page learns, the next one knows
    return kept[2]


def session_user_select(*also, where=None):
    """``select(User, *also, *facts)`` with the roles and vehicles joined, as ``load_session_user`` runs it
    (``where`` default: ``users.id = :user_id``); built once per ``also`` (constructing it cost more than
    running it). ``keep_session_user_facts(user, row[1 + len(also):])`` then keeps the facts for the request."""
    key = (also, "user_id" if where is None else where)
    if not _session_user_stmt or _session_user_stmt[0][0] != tuple(USER_FACTS):
        _session_user_stmt[:] = [(tuple(USER_FACTS), {})]
    built = _session_user_stmt[0][1]
    if key not in built:
        condition = User.id == bindparam("user_id") if where is None else where()
        built[key] = (select(User, *also, *[USER_FACTS[n]().label(f"fact_{n}") for n in USER_FACTS])
                      .options(joinedload(User.roles), joinedload(User.vehicles).lazyload(Vehicle.evidence))
                      .where(condition))
    return built[key]


def keep_session_user_facts(user: User, facts) -> None:
    if has_request_context():
        g.setdefault("user_facts", {})[user.id] = _named_facts(facts)


def _named_facts(values) -> dict:
    """The facts read with a user (``session_user_select``'s trailing columns), by name."""
    return dict(zip(list(USER_FACTS), values, strict=True))


@lru_cache(maxsize=64)
def shown_user(relationship):
    """Loader option for a relationship to a User shown by name only (author, actor).

    Joins the user in and leaves its roles and vehicles unloaded: their ``selectin`` default would
    otherwise cost two extra queries for every page that merely lists authors. They still load
    lazily if touched. Usage: ``query.options(shown_user(Proposal.author))``.
    """
    # Cached per relationship: options are immutable, and building them cost more than a list page's query.
    return joinedload(relationship).options(lazyload(User.roles), lazyload(User.vehicles))


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role = db.Column(db.String(32), primary_key=True)
    granted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class Vehicle(db.Model):
    """A car claimed by a user. The VIN is kept only as a keyed hash plus its last 4 characters."""

    __tablename__ = "vehicles"
    __table_args__ = (
        CheckConstraint("status in ('pending','verified','rejected','transferred')", name="status"),
        CheckConstraint("model_year between 2000 and 2100", name="model_year"),
        # One live claim per VIN; a rejected claim does not block a correct one, nor does a sold car
        # block its next owner's row.
        Index("uq_vehicles_live_vin", "vin_hash", unique=True,
              sqlite_where=text("status in ('pending','verified')"),
              postgresql_where=text("status in ('pending','verified')")),
        UniqueConstraint("id", "owner_id", name="uq_vehicles_id_owner"),
    )

    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    model = db.Column(db.String(16), nullable=False)
    model_year = db.Column(db.Integer, nullable=False)
    hardware = db.Column(db.JSON, nullable=False, default=list)
    vin_hash = db.Column(db.String(64), nullable=False)
    vin_prefix = db.Column(db.String(2), nullable=False)
    vin_last4 = db.Column(db.String(4), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    reject_reason = db.Column(db.String(500))
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    reviewed_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    owner = db.relationship("User", back_populates="vehicles", foreign_keys=[owner_id])
    evidence = db.relationship("VehicleEvidence", back_populates="vehicle", order_by="VehicleEvidence.id",
                               lazy="selectin", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def latest_evidence(self) -> VehicleEvidence | None:
        """The proof uploaded last (the one a moderator reviews), or None."""
        return self.evidence[-1] if self.evidence else None

    @property
    def masked_vin(self) -> str:
        """``LZ***********1234``: the 2-character maker prefix, 11 stars, the last 4."""
        return f"{self.vin_prefix}{'*' * 11}{self.vin_last4}"

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"

    def __repr__(self) -> str:
        return f"<Vehicle {self.id} {self.model}/{self.model_year} {self.status}>"


EVIDENCE_KINDS = ("licence", "invoice")


class VehicleEvidence(db.Model):
    """A photo proving a claim: the vehicle licence (行驶证) or the purchase invoice, with the VIN as typed.

    The photo (re-encoded, in ``community.storage`` under ``stored_name``) and the full VIN are kept only
    until ``VEHICLE_EVIDENCE_DAYS`` after the decision: then the photo is deleted and ``vin`` and
    ``stored_name`` are cleared (``purged_at``). The decision itself stays in the audit log. A new upload
    after a rejection is a new row; the vehicle's last row is the one under review.
    """

    __tablename__ = "vehicle_evidence"
    __table_args__ = (
        CheckConstraint("kind in ('licence','invoice')", name="kind"),
        CheckConstraint("decision in ('verified','rejected','superseded')", name="decision"),
        # The purge job's question: decided long enough ago and not yet deleted.
        Index("ix_vehicle_evidence_due", "decided_at", sqlite_where=text("purged_at is null"),
              postgresql_where=text("purged_at is null")),
    )

    id = db.Column(db.Integer, primary_key=True)
    vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)
    vin = db.Column(db.String(17))
    stored_name = db.Column(db.String(64))
    content_type = db.Column(db.String(16))
    width = db.Column(db.Integer)
    height = db.Column(db.Integer)
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    decision = db.Column(db.String(16))
    decided_at = db.Column(UTCDateTime)
    purged_at = db.Column(UTCDateTime)

    vehicle = db.relationship("Vehicle", back_populates="evidence")

    @property
    def has_photo(self) -> bool:
        return self.stored_name is not None and self.purged_at is None

    def __repr__(self) -> str:
        return f"<VehicleEvidence {self.id} {self.kind} vehicle={self.vehicle_id} {self.decision or 'open'}>"
