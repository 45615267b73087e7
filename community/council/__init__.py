from flask import Blueprint

from community.accounts.models import register_derived_role

bp = Blueprint("council", __name__, url_prefix="/council")


@bp.record_once
def _council_member_role(state) -> None:
    """``User.has_role("council_member")`` asks the council's terms (accounts never imports council)."""
    from community.council.service import has_active_term

    register_derived_role("council_member", has_active_term)


from community.council import views  # noqa: E402,F401


def _active_term():
    """True while the user (``users.id`` of the enclosing query) holds a council term: read with the user."""
    from sqlalchemy import bindparam, exists

    from community.accounts.models import User
    from community.council.models import CouncilTerm

    at = bindparam("now", type_=CouncilTerm.starts_at.type)
    return exists().where(CouncilTerm.user_id == User.id, CouncilTerm.starts_at <= at, CouncilTerm.ends_at > at)


def _register() -> None:
    from community.accounts.models import register_user_fact

    register_user_fact("council_member", _active_term)


_register()
