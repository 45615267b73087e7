"""factory_boy factories. Passwords are all ``correct-horse-battery``; VINs get a valid check digit."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

import factory

from community.accounts.models import User, UserRole, Vehicle
from community.accounts.vehicles import vin_hash, with_check_digit
from community.extensions import db
from community.proposals import service as proposals
from community.timeline.models import Milestone

PASSWORD = "correct-horse-battery"


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    session_token = factory.LazyFunction(lambda: secrets.token_hex(16))
    password_hash = factory.LazyFunction(lambda: _hash())

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """Stored roles; ``council_member`` is not stored but becomes an active council term."""
        if extracted:
            self.roles = [UserRole(role=r) for r in extracted if r != "council_member"]
            db.session.commit()
            if "council_member" in extracted:
                council_term(self)


_cached_hash = {}


def _hash() -> str:
    # scrypt is slow on purpose; hashing once keeps the suite quick without weakening the app.
    if "h" not in _cached_hash:
        u = User()
        u.set_password(PASSWORD)
        _cached_hash["h"] = u.password_hash
    return _cached_hash["h"]


def make_vin(n: int) -> str:
    return with_check_digit(f"LZ5A1B2C0RN{n:06d}")


def spare_vin(n: int) -> str:
    """A valid VIN that VehicleFactory's sequence (make_vin) never produces, for tests that type one in."""
    return with_check_digit(f"LZ9X8Y7W0RN{n:06d}")


class VehicleFactory(_Base):
    class Meta:
        model = Vehicle

    owner = factory.SubFactory(UserFactory)
    model = "001"
    model_year = 2024
    hardware = factory.LazyFunction(lambda: ["adas_gen1", "lidar"])
    status = "verified"
    vin_prefix = "LZ"
    vin_hash = factory.Sequence(lambda n: vin_hash(make_vin(n)))
    vin_last4 = factory.Sequence(lambda n: make_vin(n)[-4:])


def owner(**kwargs) -> User:
    """A user with one verified vehicle."""
    return VehicleFactory(owner=UserFactory(**kwargs)).owner


def moderator(**kwargs) -> User:
    return UserFactory(roles=["moderator"], **kwargs)


def admin(**kwargs) -> User:
    return UserFactory(roles=["admin"], **kwargs)


def council_term(user, region="华东 East China", seat="member", first_day=None, last_day=None):
    """Seat ``user`` on the council (default: from yesterday for a year), appointed by a fresh admin."""
    from community.council import service as council

    today = date.today()
    return council.appoint(admin(), user, region, seat, first_day or today - timedelta(days=1),
                           last_day or today + timedelta(days=365))


def council_member(**kwargs) -> User:
    """A verified owner holding an active council term."""
    user = owner(**kwargs)
    council_term(user)
    return user


def proposal(author=None, title="Heated rear seats", body="Please add **heated** rear seats.",
             category="comfort"):
    return proposals.create_proposal(author or owner(), title, body, category)


def comment(proposal, author=None, body="Agreed, this would help."):
    return proposals.add_comment(author or UserFactory(), proposal, body)


def milestone(proposal, kind="progress_update", actor=None, text_en="Work started.", **fields):
    """A typed milestone posted by a moderator (committed)."""
    proposals.post_milestone(proposal, actor or moderator(), kind, text_en=text_en, **fields)
    return Milestone.query.filter_by(proposal_id=proposal.id).order_by(Milestone.id.desc()).first()


def owners(n: int) -> list[User]:
    """``n`` verified owners in one commit (the per-object commits of the factories add up at 50)."""
    users = [UserFactory.build() for _ in range(n)]
    db.session.add_all(users + [VehicleFactory.build(owner=u) for u in users])
    db.session.commit()
    return users


# ---- pledge and feedback ----

def teams() -> dict:
    """The nine pledge teams by slug (created when missing: tables are emptied after each test)."""
    from community.pledge import service as pledge

    return {t.slug: t for t in pledge.ensure_teams()}


def agent(team_slug: str, **kwargs) -> User:
    """A team_agent linked to the team ``team_slug``."""
    from community.pledge.models import TeamAgent

    team = teams()[team_slug]
    user = UserFactory(roles=["team_agent"], **kwargs)
    db.session.add(TeamAgent(team_id=team.id, user_id=user.id))
    db.session.commit()
    return user


def pledge_item(team_slug: str, first_hours: int = 24, resolution_hours: int = 72, text: str = "We answer fast"):
    from community.pledge.models import PledgeItem

    item = PledgeItem(team_id=teams()[team_slug].id, text_zh=text, text_en=text,
                      first_response_hours=first_hours, resolution_hours=resolution_hours)
    db.session.add(item)
    db.session.commit()
    return item


def routed(team: str | None, confidence: float = 0.9, top3=None):
    """A router answer to pass to ``feedback.service.submit(routing=...)``."""
    from community.feedback.routing_service import Routing

    top3 = top3 or ([(team, confidence)] if team else [])
    return Routing(team, confidence, top3, "test-model", None if team else "unsure")


def feedback(author=None, text: str = "CarPlay 连接断开", team: str | None = "app_connectivity",
             channel: str = "app", created_at=None, contact: str | None = None):
    """A submitted feedback item, routed to ``team`` (None: in triage) as if by the model."""
    from community.feedback import service as feedback_service

    teams()
    if author is None and contact is None:
        author = owner()
    return feedback_service.submit(author, text, channel, contact=contact, now=created_at, routing=routed(team))


# ---- campaigns ----

def accepted_proposal(mod=None):
    """A proposal moved along the workflow to ``accepted`` (campaigns need one)."""
    mod = mod or moderator()
    p = proposal()
    proposals.change_status(p, "under_review", mod, note_en="Under review")
    proposals.change_status(p, "accepted", mod, note_en="Accepted")
    return p


def eligible_owner(user=None, **vehicle):
    """A user with one verified vehicle, by default eligible for ``campaign()``: 2024 001 with lidar, adas_gen1.

    ``user``: UserFactory fields, e.g. ``{"is_blocked": True}``."""
    return VehicleFactory(owner=UserFactory(**(user or {})), **vehicle).owner


def campaign(proposal=None, actor=None, publish=True, now=None, opens=None, closes_on=None, **fields):
    """A campaign whose window is 24 Nov 2025 00:00 - 24 Dec 2025 23:59:59 Asia/Shanghai (in the past, so
    milestones can be dated at its own instants) with the canonical rule; ``fields`` override CampaignInput."""
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from community.campaigns import service as campaigns

    actor = actor or moderator()
    opens_at, closes_at = campaigns.window_from_local(opens or datetime(2025, 11, 24), closes_on or date(2025, 12, 24))
    values = {"title_en": "Assisted-driving upgrade", "title_zh": "辅助驾驶升级", "price_cny": Decimal("12800.00"),
              "target": 10, "opens_at": opens_at, "closes_at": closes_at, "models": ["001", "009"],
              "model_years": [2024], "hardware_required": ["lidar"], "hardware_excluded": ["adas_latest"], **fields}
    return campaigns.create_campaign(actor, proposal or accepted_proposal(actor), campaigns.CampaignInput(**values),
                                     publish=publish, now=now or opens_at - timedelta(days=1))


def open_campaign(**fields):
    """A published campaign open by the real clock (opened yesterday, Shanghai; closes in 3 days)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return campaign(opens=(now - timedelta(days=1)).replace(tzinfo=None, microsecond=0),
                    closes_on=(now + timedelta(days=3)).date(), now=now - timedelta(days=2), **fields)
