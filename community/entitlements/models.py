"""Entitlements that follow the owner (权益随行): kinds, holdings and their append-only ledger, vehicle transfers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db
from community.util import in_viewer_language as _pick

UNITS = {"kwh": _l("kWh"), "months": _l("months"), "cny": _l("CNY"), "flag": _l("yes/no")}
FOLLOWS = {"owner": _l("Follows the owner"), "vehicle": _l("Stays with the vehicle")}
SOURCES = {"purchase": _l("Purchase"), "campaign": _l("Campaign"), "goodwill": _l("Goodwill")}
ENTRY_KINDS = {"grant": _l("Grant"), "use": _l("Use"), "correction": _l("Correction"), "move": _l("Move")}
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class EntitlementKind(db.Model):
    """Defined by admins: e.g. free charging credit (kWh, follows the owner), extended warranty (months,
    stays with the vehicle)."""

    __tablename__ = "entitlement_kinds"
    __table_args__ = (
        CheckConstraint(f"unit in ({_in(UNITS)})", name="unit"),
        CheckConstraint(f"follows in ({_in(FOLLOWS)})", name="follows"),
    )

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(40), nullable=False, unique=True)
    name_zh = db.Column(db.String(80), nullable=False)
    name_en = db.Column(db.String(80), nullable=False)
    unit = db.Column(db.String(8), nullable=False)
    follows = db.Column(db.String(8), nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def name(self) -> str:
        return _pick(self.name_zh, self.name_en)

    @property
    def unit_label(self) -> str:
        return str(UNITS.get(self.unit, self.unit))

    @property
    def follows_label(self) -> str:
        return str(FOLLOWS.get(self.follows, self.follows))


class Entitlement(db.Model):
    """One holding: a kind held by an owner (``follows = 'owner'``: one per kind and user; ``vehicle_id``
    is the car it currently applies to, null between cars) or attached to a car (``follows = 'vehicle'``:
    one per kind and vehicle; ``user_id`` is the car's current owner, null once sold off the platform).

    ``balance`` is moved only by conditional UPDATEs in the service, in the same transaction as the
    ledger entry that explains it; the CHECK makes an overdraft impossible even for a buggy writer.
    """

    __tablename__ = "entitlements"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance"),
        CheckConstraint(f"follows in ({_in(FOLLOWS)})", name="follows"),
        CheckConstraint("follows = 'owner' and user_id is not null or follows = 'vehicle' and vehicle_id is not null",
                        name="bound"),
        Index("uq_entitlements_owner", "kind_id", "user_id", unique=True,
              sqlite_where=text("follows = 'owner'"), postgresql_where=text("follows = 'owner'")),
        Index("uq_entitlements_vehicle", "kind_id", "vehicle_id", unique=True,
              sqlite_where=text("follows = 'vehicle'"), postgresql_where=text("follows = 'vehicle'")),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind_id = db.Column(db.Integer, db.ForeignKey("entitlement_kinds.id"), nullable=False)
    follows = db.Column(db.String(8), nullable=False)  # copied from the kind when the holding is opened
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id"), index=True)
    balance = db.Column(db.Numeric(14, 2), nullable=False, default=0, server_default=text("0"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    kind = db.relationship("EntitlementKind", lazy="joined")
    user = db.relationship("User", lazy="joined", foreign_keys=[user_id])
    vehicle = db.relationship("Vehicle", lazy="joined", foreign_keys=[vehicle_id])
    entries = db.relationship("LedgerEntry", lazy="select", order_by="LedgerEntry.id",
                              back_populates="entitlement")


class LedgerEntry(db.Model):
    """One line of the append-only ledger. Grants add, uses subtract, corrections add or subtract and
    name the entry they correct, moves (amount 0) record a change of holder or vehicle. Never updated
    or deleted: the service has no such path, and ``balance_after`` chains each line to the one before."""

    __tablename__ = "entitlement_ledger"
    __table_args__ = (
        CheckConstraint(f"kind in ({_in(ENTRY_KINDS)})", name="kind"),
        CheckConstraint("kind != 'grant' or (amount > 0 and source is not null)", name="grant"),
        CheckConstraint("kind != 'use' or amount < 0", name="use"),
        CheckConstraint("kind != 'move' or amount = 0", name="move"),
        CheckConstraint("kind != 'correction' or (amount != 0 and corrects_id is not null)", name="correction"),
        CheckConstraint(f"source is null or source in ({_in(SOURCES)})", name="source"),
        CheckConstraint("balance_after >= 0", name="balance_after"),
        UniqueConstraint("entitlement_id", "seq", name="uq_entitlement_ledger_seq"),
        Index("ix_entitlement_ledger_created", "created_at", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    entitlement_id = db.Column(db.Integer, db.ForeignKey("entitlements.id"), nullable=False)
    seq = db.Column(db.Integer, nullable=False)  # 1, 2, 3 ... per holding
    kind = db.Column(db.String(16), nullable=False)
    source = db.Column(db.String(16))
    amount = db.Column(db.Numeric(14, 2), nullable=False)
    balance_after = db.Column(db.Numeric(14, 2), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"))  # holder after this entry
    vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id"))  # vehicle after this entry
    from_user_id = db.Column(db.Integer, db.ForeignKey("users.id"))  # moves: holder before
    from_vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id"))  # moves: vehicle before
    corrects_id = db.Column(db.Integer, db.ForeignKey("entitlement_ledger.id"))
    transfer_id = db.Column(db.Integer, db.ForeignKey("vehicle_transfers.id"))
    note = db.Column(db.String(500))
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    entitlement = db.relationship("Entitlement", back_populates="entries")
    vehicle = db.relationship("Vehicle", lazy="joined", foreign_keys=[vehicle_id])
    from_vehicle = db.relationship("Vehicle", lazy="joined", foreign_keys=[from_vehicle_id])
    user = db.relationship("User", lazy="joined", foreign_keys=[user_id])
    from_user = db.relationship("User", lazy="joined", foreign_keys=[from_user_id])
    corrects = db.relationship("LedgerEntry", remote_side=[id], lazy="select")

    @property
    def kind_label(self) -> str:
        return str(ENTRY_KINDS.get(self.kind, self.kind))

    @property
    def source_label(self) -> str:
        return str(SOURCES.get(self.source, self.source or ""))


class VehicleTransfer(db.Model):
    """A moderator-verified sale or transfer: ``vehicle_id`` (the seller's row, now ``transferred``) went to
    ``to_user_id`` (null: a buyer not on the platform), whose new verified row is ``new_vehicle_id``."""

    __tablename__ = "vehicle_transfers"

    id = db.Column(db.Integer, primary_key=True)
    vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id"), nullable=False, unique=True)
    from_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    to_user_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    new_vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id"))
    note = db.Column(db.String(500))
    verified_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    occurred_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    vehicle = db.relationship("Vehicle", lazy="joined", foreign_keys=[vehicle_id])
    from_user = db.relationship("User", lazy="joined", foreign_keys=[from_user_id])
    to_user = db.relationship("User", lazy="joined", foreign_keys=[to_user_id])
