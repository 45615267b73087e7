"""The menu: public pages for everyone, staff pages in the workbench menu, a user's own pages under their name."""
from tests import factories as f


def test_anonymous_sees_public_pages_and_log_in_only(client):
    page = client.get("/").get_data(as_text=True)
    assert 'id="nav-public"' in page and "Log in" in page
    assert 'id="nav-staff"' not in page and 'id="nav-user"' not in page


def test_owner_has_own_menu_but_no_workbench(client, auth):
    auth.login(f.owner())
    page = client.get("/").get_data(as_text=True)
    assert 'id="nav-user"' in page and "My vehicles" in page and "Log out" in page
    assert 'id="nav-staff"' not in page and "Verify vehicles" not in page


def test_moderator_workbench_lists_staff_pages(client, auth):
    auth.login(f.moderator())
    page = client.get("/").get_data(as_text=True)
    assert 'id="nav-staff"' in page and "Verify vehicles" in page and "Moderation" in page
    assert "Audit log" not in page  # admin only
