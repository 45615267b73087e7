from datetime import UTC, date, datetime, timedelta

import pytest

from community.accounts.models import UserRole
from community.audit.models import AuditEntry
from community.council import service
from community.errors import Conflict, PermissionDenied, ValidationError
from community.extensions import db
from tests import factories as f


def test_term_boundaries_are_whole_shanghai_days(app):
    user = f.owner()
    term = service.appoint(f.admin(), user, "云南 Yunnan", "member", date(2030, 1, 1), date(2030, 12, 31))
    # 1 Jan 2030 00:00 Shanghai is 31 Dec 2029 16:00 UTC; the last day runs to 31 Dec 23:59:59 Shanghai.
    first = datetime(2029, 12, 31, 16, 0, tzinfo=UTC)
    last = datetime(2030, 12, 31, 16, 0, tzinfo=UTC)
    assert term.starts_at == first and term.ends_at == last
    assert not service.has_active_term(user.id, first - timedelta(seconds=1))
    assert service.has_active_term(user.id, first)
    assert service.has_active_term(user.id, last - timedelta(seconds=1))
    assert not service.has_active_term(user.id, last)
    assert not user.has_role("council_member")  # the term is in the future


def test_council_rights_follow_the_term_not_a_stored_role(app):
    user = f.owner()
    user.roles = [UserRole(role="council_member")]
    db.session.commit()
    assert not user.has_role("council_member")
    term = f.council_term(user)
    assert user.has_role("council_member") and service.is_council(user)
    service.end_term(f.admin(), term, "moved abroad")
    assert not user.has_role("council_member")
    assert term.ended_early and term.end_reason == "moved abroad"
    assert [e.action for e in AuditEntry.query.order_by(AuditEntry.id)] == ["council.appoint", "council.end_term"]


def test_blocked_member_loses_council_rights(app):
    member = f.council_member()
    member.is_blocked = True
    db.session.commit()
    assert not service.is_council(member)


def test_only_admins_appoint_and_end(app):
    user, mod = f.owner(), f.moderator()
    with pytest.raises(PermissionDenied):
        service.appoint(mod, user, "East", "member", date(2030, 1, 1), date(2030, 2, 1))
    term = f.council_term(user)
    with pytest.raises(PermissionDenied):
        service.end_term(mod, term, "no")
    assert user.has_role("council_member")


def test_overlapping_terms_and_bad_fields_are_refused(app):
    user, admin = f.owner(), f.admin()
    service.appoint(admin, user, "East", "member", date(2030, 1, 1), date(2030, 6, 30))
    with pytest.raises(Conflict):
        service.appoint(admin, user, "East", "chair", date(2030, 6, 30), date(2030, 12, 31))
    service.appoint(admin, user, "East", "chair", date(2030, 7, 1), date(2030, 12, 31))  # touching is fine
    with pytest.raises(ValidationError) as err:
        service.appoint(admin, user, "", "king", date(2031, 2, 1), date(2031, 1, 1))
    assert set(err.value.fields) == {"region", "seat", "last_day"}


def test_ending_a_term_twice_or_a_future_term_conflicts(app):
    admin, user = f.admin(), f.owner()
    term = f.council_term(user)
    service.end_term(admin, term, "resigned")
    with pytest.raises(Conflict):
        service.end_term(admin, term, "again")
    future = service.appoint(admin, f.owner(), "East", "member", date(2031, 1, 1), date(2031, 2, 1))
    with pytest.raises(Conflict):
        service.end_term(admin, future, "changed mind")
    with pytest.raises(ValidationError):
        service.end_term(admin, f.council_term(f.owner()), " ")


def test_public_council_page_lists_current_and_past_terms(client, app):
    current = f.council_member(display_name="Current Member")
    past_user = f.owner(display_name="Former Member")
    f.council_term(past_user, first_day=date(2020, 1, 1), last_day=date(2021, 12, 31))
    html = client.get("/council").get_data(as_text=True)
    assert "Current Member" in html and "Former Member" in html
    assert html.index("Current Member") < html.index("Former Member")  # current section comes first
    assert current.has_role("council_member") and not past_user.has_role("council_member")


def test_admin_appoints_and_ends_through_the_web(client, auth, app):
    admin, user = f.admin(), f.owner(email="rep@example.com")
    auth.login(admin)
    resp = client.post("/council/terms/new", data={"email": "rep@example.com", "region": "华南", "seat": "chair",
                                                  "first_day": (date.today() - timedelta(days=1)).isoformat(),
                                                  "last_day": (date.today() + timedelta(days=30)).isoformat()})
    assert resp.status_code == 302
    assert user.has_role("council_member")
    resp = client.post("/council/terms/new", data={"email": "nobody@example.com", "region": "华南", "seat": "chair",
                                                  "first_day": "2030-01-01", "last_day": "2030-02-01"})
    assert resp.status_code == 422 and "No user with this e-mail." in resp.get_data(as_text=True)
    term = service.current_terms()[0]
    assert client.post(f"/council/terms/{term.id}/end", data={"reason": "stepped down"}).status_code == 302
    assert not user.has_role("council_member")
