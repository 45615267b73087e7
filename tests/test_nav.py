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


def test_the_bar_is_shared_but_nobody_gets_another_visitors_name_badge_token_or_menus(app, client, auth):
    """The bar is rendered once per language and role set (community.layout): each visitor still gets
    their own name, unread badge, return path and a CSRF token that logs them out."""
    import re

    from community.notifications.models import Event, Notification

    mod, owner = f.moderator(display_name="Mod <Mia>"), f.owner(display_name="Owner Olaf")
    p = f.proposal()
    from community.extensions import db

    event = Event(kind="status_change", proposal_id=p.id, text_zh="状态", text_en="Status")
    db.session.add(event)
    db.session.flush()
    db.session.add(Notification(user_id=owner.id, event_id=event.id, kind="status_change", channel="in_app"))
    db.session.commit()
    pages = {}
    for user in (mod, owner, None):
        c = app.test_client()
        if user:
            with c.session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = user.get_id(), True
        pages[user and user.display_name] = (c, c.get("/timeline?kind=status").get_data(as_text=True))
    mod_page, owner_page, anon_page = (pages[k][1] for k in ("Mod <Mia>", "Owner Olaf", None))
    assert "Mod &lt;Mia&gt;" in mod_page and "Owner Olaf" not in mod_page and 'id="nav-staff"' in mod_page
    assert "Owner Olaf" in owner_page and "Mia" not in owner_page and 'id="nav-staff"' not in owner_page
    assert 'text-bg-danger">1<' in owner_page and "text-bg-danger" not in mod_page
    assert "Log in" in anon_page and "Olaf" not in anon_page and "Mia" not in anon_page
    for page in (mod_page, owner_page, anon_page):
        assert 'name="next" value="/timeline?kind=status"' in page and "\x00" not in page
    tokens = [re.findall(r'name="csrf_token" value="([^"]+)"', pages[k][1]) for k in ("Mod <Mia>", "Owner Olaf")]
    assert tokens[0] and tokens[1] and set(tokens[0]).isdisjoint(tokens[1])
    c = pages["Owner Olaf"][0]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert c.post("/logout", data={"csrf_token": tokens[1][-1]}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert "Owner Olaf" not in c.get("/timeline?kind=status").get_data(as_text=True)
