from flask import Blueprint

from community.accounts.models import register_derived_role

bp = Blueprint("council", __name__, url_prefix="/council")


@bp.record_once
def _council_member_role(state) -> None:
    """``User.has_role("council_member")`` asks the council's terms (accounts never imports council)."""
    from community.council.service import has_active_term

    register_derived_role("council_member", has_active_term)


from community.council import views  # noqa: E402,F401
