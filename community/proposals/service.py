"""Proposal rules: create, list/search, vote, comment, status workflow, recount.

Shared by the web pages, the JSON API and the CLI. Functions commit their own unit of work and
roll it back whole on failure.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import has_request_context
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, bindparam, delete, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from community import cache as page_cache
from community import events
from community.accounts.models import remember_user_facts, shown_user, user_fact
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.notifications import service as notifications
from community.notifications.models import Follow
from community.proposals.models import (
    CATEGORIES,
    NEXT_STATUS,
    OPEN_STATUSES,
    STATUS_LABELS,
    Comment,
    Proposal,
    ProposalTerm,
    Vote,
)
from community.search import query_terms, reindex, terms
from community.text import render_markdown
from community.timeline.service import add_milestone
from community.util import cursor_values

SORTS = {
    "top": (Proposal.vote_count, Proposal.id),
    "newest": (Proposal.created_at, Proposal.id),
    "updated": (Proposal.updated_at, Proposal.id),
}
MAX_TITLE, MAX_BODY, MAX_COMMENT = 120, 20_000, 5_000


# ---- permissions (one predicate for views, services and templates) ----

def can_propose(user) -> bool:
    return bool(user and user.is_authenticated and (user.has_role("owner") or user.has_role("moderator")
                                                    or user.has_role("council_member")))


def can_vote(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role("owner"))


def can_comment(user) -> bool:
    return bool(user and user.is_authenticated and not user.is_blocked)


def can_moderate(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role("moderator"))


# ---- reading ----

def visible_query():
    """Proposals any visitor may see: not hidden by moderation."""
    return Proposal.query.filter(Proposal.hidden_at.is_(None))


def get_visible(proposal_id: int, viewer=None) -> Proposal:
    """The proposal, or NotFound when missing or hidden.

    With a logged-in ``viewer`` (the detail page), whether they voted for it and follow it are read in the
    same statement and kept for the request (``has_voted`` and ``notifications.is_following`` answer from
    them; a commit forgets them)."""
    if viewer is not None and viewer.is_authenticated and has_request_context():
        row = db.session.execute(_viewer_statement(), {"proposal_id": proposal_id, "viewer_id": viewer.id}).first()
        proposal = row[0] if row is not None else None
        if proposal is not None:
            remember_user_facts(viewer, {f"voted:{proposal.id}": bool(row.voted),
                                         f"following:{proposal.id}": bool(row.following)})
    else:
        proposal = db.session.get(Proposal, proposal_id, options=[shown_user(Proposal.author)])
    if proposal is None or proposal.hidden_at is not None:
        raise NotFound(_("No such proposal."))
    return proposal


@cache
def _viewer_statement():
    """Built once (building it cost as much as running it): the proposal, and two EXISTS for the viewer."""
    viewer = bindparam("viewer_id")
    voted = exists().where(Vote.proposal_id == Proposal.id, Vote.user_id == viewer)
    following = exists().where(Follow.proposal_id == Proposal.id, Follow.user_id == viewer)
    return (select(Proposal, voted.label("voted"), following.label("following"))
            .options(shown_user(Proposal.author)).where(Proposal.id == bindparam("proposal_id")))


@dataclass
class Page:
    items: list[Proposal]
    next_cursor: list | None


def _cursor_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def list_proposals(sort: str = "top", status: str | None = None, category: str | None = None,
                   q: str | None = None, after: list | None = None, limit: int = 20, bodies: bool = False) -> Page:
    """One page of visible proposals, keyset-paged so page 500 costs what page 1 costs.

    ``sort``: top | newest | updated (descending, ties by id). ``after``: the ``next_cursor`` of the
    previous page ([sort value, id]; InvalidCursor when it is not one for this sort). ``q``: every search term
    must match (see community.search).
    ``bodies``: load ``body`` and ``body_html`` in the same statement (the API list shows them).
    """
    key, tie = SORTS.get(sort, SORTS["top"])
    query = visible_query().options(shown_user(Proposal.author))
    if not bodies:  # the web list shows neither: leave them in the database (they may be 20k characters each)
        query = query.options(defer(Proposal.body), defer(Proposal.body_html))
    if status:
        query = query.filter(Proposal.status == status)
    if category:
        query = query.filter(Proposal.category == category)
    if q and q.strip():
        exact, singles = query_terms(q)
        if not exact and not singles:
            return Page([], None)
        for term in exact:
            query = query.filter(Proposal.id.in_(select(ProposalTerm.proposal_id).where(ProposalTerm.term == term)))
        for ch in singles:
            query = query.filter(Proposal.id.in_(select(ProposalTerm.proposal_id).where(
                or_(ProposalTerm.term.like(f"{ch}%"), ProposalTerm.term.like(f"%{ch}")))))
    if after is not None:
        value, last_id = cursor_values(after, "int" if key is Proposal.vote_count else "instant", "int")
        # A row-value comparison is one index range on (key, id); the equivalent OR form made
        # PostgreSQL walk the index from the top, so page 2,500 cost 2,500 pages.
        query = query.filter(tuple_(key, tie) < tuple_(value, last_id))
    rows = query.order_by(key.desc(), tie.desc()).limit(limit + 1).all()
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = [_cursor_value(getattr(last, key.key)), last.id]
    return Page(items, next_cursor)


def comments_for(proposal: Proposal) -> list[Comment]:
    return (Comment.query.options(shown_user(Comment.author)).filter_by(proposal_id=proposal.id)
            .filter(Comment.hidden_at.is_(None)).order_by(Comment.id).all())


def comments_page(proposal: Proposal, after_id=None, limit: int = 50) -> tuple[list[Comment], int | None]:
    """One page of a proposal's visible comments, oldest first, keyset-paged by id: (comments, next after_id).

    ``after_id`` is the last id of the previous page (None: the first page; InvalidCursor when it is not an id
    in range: a tampered cursor). ``next`` is None on the last page.
    """
    query = (Comment.query.options(shown_user(Comment.author)).filter_by(proposal_id=proposal.id)
             .filter(Comment.hidden_at.is_(None)))
    if after_id is not None:
        after_id, = cursor_values([after_id], "int")
        query = query.filter(Comment.id > after_id)
    rows = query.order_by(Comment.id).limit(limit + 1).all()
    items = rows[:limit]
    return items, (items[-1].id if len(rows) > limit else None)


# Parts of a proposal's page that other features own (campaigns, roadmap items, announcements): each registers,
# at start-up, an EXISTS on its rows for one proposal. The page asks them all in one statement (cached with the
# page's shared parts), so a proposal with none of them runs none of their queries.
DETAIL_PARTS: dict[str, Callable[[int], ColumnElement]] = {}


def register_detail_part(name: str, exists_for: Callable[[int], ColumnElement]) -> None:
    DETAIL_PARTS[name] = exists_for


def detail_parts(proposal_id: int) -> dict[str, bool]:
    """{part name: whether the proposal has any} for every registered part."""
    if not DETAIL_PARTS:
        return {}
    row = db.session.execute(select(*[fn(proposal_id).label(n) for n, fn in DETAIL_PARTS.items()])).one()
    return {name: bool(value) for name, value in row._mapping.items()}


def viewer_state(user, proposal_id: int) -> tuple[bool, bool]:
    """(voted, following) of ``user`` for the proposal: as read with it this request (``get_visible``), else
    one statement; (False, False) for an anonymous visitor."""
    if not (user and user.is_authenticated):
        return False, False
    voted_key, following_key = f"voted:{proposal_id}", f"following:{proposal_id}"

    def read_both() -> bool:
        row = db.session.execute(_viewer_state_statement(), {"proposal_id": proposal_id, "viewer_id": user.id}).one()
        remember_user_facts(user, {following_key: bool(row[1])})
        return bool(row[0])

    voted = user_fact(user, voted_key, read_both)
    following = user_fact(user, following_key, lambda: db.session.get(Follow, (user.id, proposal_id)) is not None)
    return voted, following


@cache
def _viewer_state_statement():
    proposal, viewer = bindparam("proposal_id"), bindparam("viewer_id")
    return select(exists().where(Vote.proposal_id == proposal, Vote.user_id == viewer),
                  exists().where(Follow.proposal_id == proposal, Follow.user_id == viewer))


def has_voted(user, proposal: Proposal) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user_fact(user, f"voted:{proposal.id}", lambda: db.session.query(Vote.id).filter_by(
        proposal_id=proposal.id, user_id=user.id).first() is not None)


# ---- writing ----

def _validate_text(title: str, body: str, category: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("A title is required.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("At most %(n)d characters.", n=MAX_TITLE)
    if not body:
        errors["body"] = _("Describe your proposal.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("At most %(n)d characters.", n=MAX_BODY)
    if category not in CATEGORIES:
        errors["category"] = _("Choose a category.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    return title, body


def index_terms(proposal: Proposal) -> None:
    """Replace the proposal's search terms (caller commits)."""
    db.session.execute(delete(ProposalTerm).where(ProposalTerm.proposal_id == proposal.id))
    found = terms(f"{proposal.title}\n{proposal.body}")
    if found:
        db.session.execute(insert(ProposalTerm), [{"term": t, "proposal_id": proposal.id} for t in found])


def reindex_search() -> int:
    """Bring every proposal's stored search terms up to the current tokenizer (community.search); commits.
    Returns how many proposals were rewritten."""
    count = reindex(db.session.connection(), Proposal.__table__, ProposalTerm.__table__)
    db.session.commit()
    return count


def create_proposal(author, title: str, body: str, category: str, created_at: datetime | None = None) -> Proposal:
    """Create and commit a proposal in status ``submitted``.

    Raises PermissionDenied unless ``author`` is a verified owner, council member or moderator;
    ValidationError for an empty/too-long title or body or an unknown category.
    """
    if not can_propose(author):
        raise PermissionDenied(_("Only verified owners can post proposals. Add and verify your car first."))
    title, body = _validate_text(title, body, category)
    now = created_at or utcnow()
    proposal = Proposal(title=title, body=body, body_html=render_markdown(body), category=category,
                        author_id=author.id, status="submitted", created_at=now, updated_at=now)
    db.session.add(proposal)
    db.session.flush()
    index_terms(proposal)
    notifications.follow(author, proposal.id)
    events.emit("proposal.created", proposal)
    db.session.commit()
    return proposal


def vote(user, proposal: Proposal | int) -> int:
    """Record ``user``'s vote; returns the new count. Commits.

    ``proposal`` may be an id: the views pass the one in the address, and the proposal is then not loaded
    at all (the counter's UPDATE finds it open and visible, else it is read once to say why: NotFound when
    missing or hidden, as ``get_visible`` says). Raises PermissionDenied (not a verified owner, or blocked),
    Conflict ("already voted", also when a double submit races: the unique constraint decides), Conflict
    (voting closed: checked in the same UPDATE that bumps the counter, so a concurrent status change cannot
    slip past).
    """
    by_id = not isinstance(proposal, Proposal)
    proposal_id = int(proposal) if by_id else proposal.id  # read before the commit expires it
    if not can_vote(user):
        if by_id:
            get_visible(proposal_id)  # a missing proposal is a 404 before the 403, as when it was loaded first
        if user and user.is_authenticated and user.is_blocked:
            raise PermissionDenied(_("Your account is blocked from voting."))
        raise PermissionDenied(_("Only verified owners can vote. Add and verify your car first."))
    try:
        params = {"proposal_id": proposal_id, "user_id": user.id, "now": utcnow()}
        in_one = db.session.get_bind().dialect.name == "postgresql"
        count = db.session.execute(_vote_in_one() if in_one else _vote_update(), params).scalar()
        if count is None:
            if by_id:
                get_visible(proposal_id)
            raise Conflict(_("Voting on this proposal is closed."))
        if in_one:  # the page cache reads no CTE: the scopes its three statements would have marked
            page_cache.changed(page_cache.LISTS, page_cache.proposal_scope(proposal_id),
                               page_cache.user_scope(user.id))
        else:
            db.session.execute(_vote_insert(), params)
            notifications.follow(user, proposal_id)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("You have already voted for this proposal.")) from exc
    except Exception:
        # Any failure (closed, lost connection...) drops the vote row too: a caller that goes on to
        # commit something else must not commit a vote without its count.
        db.session.rollback()
        raise
    return count  # the counter the UPDATE wrote (RETURNING): no read-back after the commit


# The vote's statements are built once and run on the tables, not the mapped classes: the ORM's bulk
# UPDATE/INSERT path (matching the identity map, its evaluator, the bulk-insert planning) cost more than the
# statements; nothing of them is in the session (the vote is by id, and the commit right after expires all).
# The page cache still sees the counter UPDATE (``do_orm_execute`` fires for any statement the session runs).
@cache
def _vote_insert():
    return insert(Vote.__table__).values(proposal_id=bindparam("proposal_id"), user_id=bindparam("user_id"),
                                         created_at=bindparam("now"))


@cache
def _vote_in_one():
    """PostgreSQL: the counter's UPDATE, the vote's INSERT and the follow (``notifications.follow``'s upsert) as one
    statement, data-modifying CTEs: one round trip instead of three. The vote and the follow are inserted only when
    the UPDATE matched (open and visible); a second vote still fails on the votes' unique constraint, and the whole
    statement with it (the counter too). Answers the new count, or no row."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    t, votes, follows = Proposal.__table__, Vote.__table__, Follow.__table__
    bumped = (update(t).where(t.c.id == bindparam("proposal_id"), t.c.status.in_(OPEN_STATUSES),
                              t.c.hidden_at.is_(None))
              .values(vote_count=t.c.vote_count + 1).returning(t.c.id, t.c.vote_count).cte("bumped"))
    row = select(bumped.c.id, bindparam("user_id", type_=votes.c.user_id.type),
                 bindparam("now", type_=votes.c.created_at.type))
    columns = ["proposal_id", "user_id", "created_at"]
    voted = insert(votes).from_select(columns, row).cte("voted")
    followed = pg_insert(follows).from_select(columns, row).on_conflict_do_nothing().cte("followed")
    return select(bumped.c.vote_count).add_cte(voted, followed)


@cache
def _vote_update():
    t = Proposal.__table__
    return (update(t).where(t.c.id == bindparam("proposal_id"), t.c.status.in_(OPEN_STATUSES),
                            t.c.hidden_at.is_(None))
            .values(vote_count=t.c.vote_count + 1).returning(t.c.vote_count))


def withdraw_vote(user, proposal: Proposal) -> int:
    """Remove ``user``'s vote while voting is open; returns the new count. Commits.

    Raises Conflict when there is no vote to withdraw or voting has closed.
    """
    if not (user and user.is_authenticated):
        raise PermissionDenied(_("Log in first."))
    proposal_id = proposal.id  # read before the commit expires it
    try:
        removed = db.session.execute(
            delete(Vote).where(Vote.proposal_id == proposal_id, Vote.user_id == user.id)).rowcount
        if removed != 1:
            raise Conflict(_("You have not voted for this proposal."))
        lowered = db.session.execute(
            update(Proposal).where(Proposal.id == proposal_id, Proposal.status.in_(OPEN_STATUSES))
            .values(vote_count=Proposal.vote_count - 1).returning(Proposal.vote_count)).scalar()
        if lowered is None:
            raise Conflict(_("Voting on this proposal is closed; votes can no longer be withdrawn."))
        db.session.commit()
    except Exception:
        db.session.rollback()  # the row and its count go back together
        raise
    return lowered


def add_comment(user, proposal: Proposal, body: str) -> Comment:
    """Add a comment (Markdown, sanitised). Raises PermissionDenied or ValidationError. Commits."""
    if not can_comment(user):
        if user and user.is_authenticated:
            raise PermissionDenied(_("Your account is blocked from commenting."))
        raise PermissionDenied(_("Log in to comment."))
    body = (body or "").strip()
    if not body or len(body) > MAX_COMMENT:
        raise ValidationError(_("A comment has 1 to %(n)d characters.", n=MAX_COMMENT),
                              {"body": _("A comment has 1 to %(n)d characters.", n=MAX_COMMENT)})
    comment = Comment(proposal_id=proposal.id, author_id=user.id, body=body, body_html=render_markdown(body))
    db.session.add(comment)
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(comment_count=Proposal.comment_count + 1, updated_at=utcnow()))
    db.session.commit()
    return comment


def allowed_transitions(proposal: Proposal) -> list[str]:
    """Statuses a moderator may move ``proposal`` to from where it is."""
    if proposal.status not in OPEN_STATUSES:
        return []
    return [NEXT_STATUS[proposal.status], "declined"]


def change_status(proposal: Proposal, new_status: str, actor, note_zh: str | None = None,
                  note_en: str | None = None, occurred_at: datetime | None = None,
                  backdate_reason: str | None = None, commit: bool = True) -> Proposal:
    """Move a proposal along the workflow with a public note; writes a milestone and an audit entry. Commits.

    Raises PermissionDenied (not a moderator), ValidationError (transition not allowed, no note),
    Conflict (someone else changed the status first: the UPDATE is conditional on the old status).
    The council's decisions call this same function with ``commit=False`` so that publishing a session
    is one unit of work; on failure the whole session transaction is rolled back either way.
    """
    if not can_moderate(actor):
        raise PermissionDenied(_("Only moderators change a proposal's status."))
    old = proposal.status
    if new_status not in allowed_transitions(proposal):
        raise ValidationError(_("A proposal in status %(old)s cannot move to %(new)s.",
                                old=STATUS_LABELS[old], new=STATUS_LABELS.get(new_status, new_status)),
                              {"status": _("Not an allowed next status.")})
    try:
        changed = db.session.execute(update(Proposal).where(Proposal.id == proposal.id, Proposal.status == old)
                                     .values(status=new_status, updated_at=utcnow())).rowcount
        if changed != 1:
            raise Conflict(_("The status was changed by someone else meanwhile; reload and try again."))
        db.session.refresh(proposal)
        events.emit("proposal.status_changed", proposal)
        add_milestone(proposal, "status_change", actor=actor, text_zh=note_zh, text_en=note_en,
                      occurred_at=occurred_at, backdate_reason=backdate_reason, status_from=old,
                      status_to=new_status)
        audit.record(actor, "proposal.status", "proposal", proposal.id, {"status": old}, {"status": new_status},
                     note_zh or note_en)
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return proposal


def post_milestone(proposal: Proposal, actor, kind: str, **fields):
    """A moderator's typed milestone (commitment, progress update...); returns it. Commits.

    Raises PermissionDenied/ValidationError.
    """
    if not can_moderate(actor):
        raise PermissionDenied(_("Only moderators post milestones."))
    if kind == "status_change":
        raise ValidationError(_("Status changes are posted by changing the status."), {"kind": _("Not allowed.")})
    try:
        milestone = add_milestone(proposal, kind, actor=actor, **fields)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return milestone


def recount_votes(repair: bool = False) -> list[tuple[int, int, int]]:
    """Compare each proposal's ``vote_count`` with its vote rows.

    Returns [(proposal_id, stored, actual)] for every mismatch; with ``repair`` also fixes them
    (audited, committed).
    """
    actual = (select(Vote.proposal_id, func.count().label("n")).group_by(Vote.proposal_id).subquery())
    rows = db.session.execute(
        select(Proposal.id, Proposal.vote_count, func.coalesce(actual.c.n, 0))
        .outerjoin(actual, actual.c.proposal_id == Proposal.id)
        .where(Proposal.vote_count != func.coalesce(actual.c.n, 0))).all()
    mismatches = [(pid, stored, real) for pid, stored, real in rows]
    if repair and mismatches:
        for pid, stored, real in mismatches:
            db.session.execute(update(Proposal).where(Proposal.id == pid).values(vote_count=real))
            audit.record(None, "proposal.recount", "proposal", pid, {"vote_count": stored}, {"vote_count": real})
        db.session.commit()
    return mismatches
