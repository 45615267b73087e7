"""factory_boy factories. Passwords are all ``correct-horse-battery``; VINs get a valid check digit."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

import factory

from community.accounts.models import User, UserRole, Vehicle
from community.accounts.vehicles import vin_hash, with_check_digit
from community.extensions import db
from community.proposals import service as proposals

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
