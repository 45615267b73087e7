"""Hidden content disappears from every public read path, and comes back on restore."""
import pytest

from community.audit.models import AuditEntry
from community.council import service as council
from community.errors import Conflict, ValidationError
from community.moderation import service
from community.proposals import service as proposals
from community.timeline.models import Milestone
from tests import factories as f

TITLE = "Zebra crossing detection upgrade"


@pytest.fixture
def hidden(app):
    mod = f.moderator()
    p = f.proposal(title=TITLE, body="Detect zebra crossings earlier.")
    proposals.vote(f.owner(), p)
    proposals.post_milestone(p, mod, "progress_update", text_en="Zebra work started")
    service.set_hidden(mod, "proposal", p.id, True, "spam")
    return mod, p


def test_hidden_proposal_leaves_lists_search_detail_timeline_and_feed(hidden, client):
    _mod, p = hidden
    for path in ("/", "/?sort=newest", "/?q=zebra", "/?category=comfort", "/timeline", "/timeline.atom"):
        assert TITLE not in client.get(path).get_data(as_text=True), path
    assert "Zebra work started" not in client.get("/timeline").get_data(as_text=True)
    assert client.get(f"/proposals/{p.id}").status_code == 404
    assert client.get(f"/proposals/{p.id}", headers={"Accept": "application/json"}).status_code == 404
    assert proposals.list_proposals(q="zebra").items == []


def test_hidden_proposal_refuses_votes_and_comments_as_json(hidden, client, auth):
    _mod, p = hidden
    auth.login(f.owner())
    resp = client.post(f"/proposals/{p.id}/vote", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and TITLE not in resp.get_data(as_text=True)
    assert client.post(f"/proposals/{p.id}/comments", data={"body": "hi"}).status_code == 404
    assert client.get(f"/report/proposal/{p.id}").status_code == 404


def test_hidden_proposal_leaves_the_council_queue(hidden):
    rows, _more = council.queue(f.council_member())
    assert p_ids(rows) == []


def p_ids(rows):
    return [r.id for r in rows]


def test_restore_brings_it_back_and_both_are_audited(hidden, client):
    mod, p = hidden
    with pytest.raises(Conflict):
        service.set_hidden(mod, "proposal", p.id, True, "again")
    service.set_hidden(mod, "proposal", p.id, False, "was not spam")
    assert TITLE in client.get("/").get_data(as_text=True)
    assert client.get(f"/proposals/{p.id}").status_code == 200
    actions = [(e.action, e.note) for e in AuditEntry.query.filter(AuditEntry.action.like("moderation.%"))]
    assert actions == [("moderation.hide", "spam"), ("moderation.restore", "was not spam")]
    with pytest.raises(ValidationError):
        service.set_hidden(mod, "proposal", p.id, True, "")


def test_hidden_comment_leaves_the_page_and_the_count(app, client):
    mod, p = f.moderator(), f.proposal()
    keep = proposals.add_comment(f.owner(), p, "Helpful comment")
    bad = proposals.add_comment(f.owner(), p, "Rude comment xyz")
    assert p.comment_count == 2
    service.set_hidden(mod, "comment", bad.id, True, "rude")
    assert p.comment_count == 1 == len(proposals.comments_for(p))
    html = client.get(f"/proposals/{p.id}?lang=en").get_data(as_text=True)
    assert "Rude comment xyz" not in html and "Helpful comment" in html and "Comments (1)" in html
    assert "1 comment</div>" in client.get("/?lang=en").get_data(as_text=True)
    service.set_hidden(mod, "comment", bad.id, False, "on second thought fine")
    assert p.comment_count == 2
    assert keep.hidden_at is None


def test_hidden_milestone_leaves_timeline_and_feed(app, client):
    mod, p = f.moderator(), f.proposal()
    proposals.post_milestone(p, mod, "progress_update", text_en="Typo milestone qqq")
    m = Milestone.query.filter_by(proposal_id=p.id).one()
    service.set_hidden(mod, "milestone", m.id, True, "posted by mistake")
    for path in ("/timeline", "/timeline.atom", f"/proposals/{p.id}"):
        assert "Typo milestone qqq" not in client.get(path).get_data(as_text=True), path
