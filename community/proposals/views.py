from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community import cache as page_cache
from community import drafts, submissions
from community.errors import DomainError, NotFound, wants_json
from community.moderation.service import can_flag
from community.proposals import bp, service
from community.proposals.forms import CommentForm, MilestoneForm, ProposalForm, StatusForm, VoteForm
from community.proposals.models import CATEGORIES, STATUS_LABELS
from community.security import has_role, role_required
from community.timeline.service import for_proposal
from community.timezones import local_to_utc
from community.util import apply_errors, decode_cursor, encode_cursor


@bp.app_template_filter("status_label")
def status_label(status: str | None) -> str:
    """A stored status key (``under_review``) in the viewer's language; milestones keep keys, not labels."""
    return str(STATUS_LABELS.get(status, status or ""))


@bp.route("/")
@page_cache.public_page(lambda: [page_cache.SITE, page_cache.LISTS], members=page_cache.the_anonymous_page)
def index():
    args = request.args
    sort = args.get("sort") if args.get("sort") in service.SORTS else "top"
    status = args.get("status") if args.get("status") in STATUS_LABELS else None
    category = args.get("category") if args.get("category") in CATEGORIES else None
    q = (args.get("q") or "").strip()[:100]

    def render_list():
        page = service.list_proposals(sort, status, category, q or None, decode_cursor(args.get("after")),
                                      current_app.config["PROPOSALS_PER_PAGE"])
        next_url = None
        if page.next_cursor:
            next_url = url_for("proposals.index", sort=sort, status=status, category=category, q=q or None,
                               after=encode_cursor(page.next_cursor))
        return render_template("proposals/_list.html", page=page, sort=sort, status=status, category=category,
                               q=q, next_url=next_url, first_page=not args.get("after"),
                               statuses=STATUS_LABELS, categories=CATEGORIES)

    content = page_cache.fragment("proposals.index", [page_cache.SITE, page_cache.LISTS], render_list)
    return render_template("proposals/index.html", content=content)


drafts.register("proposals.new")
drafts.register("proposals.comment", back=lambda args: url_for("proposals.detail", proposal_id=args["proposal_id"]))


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def new():
    if not service.can_propose(current_user):
        flash(_("Only verified owners can post proposals. Add and verify your car first."), "warning")
        return redirect(url_for("accounts.vehicles"))
    form = ProposalForm()
    drafts.restore(form)
    if form.validate_on_submit():
        try:
            proposal, earlier = submissions.submit_once(
                form, "proposal",
                lambda: service.create_proposal(current_user, form.title.data, form.body.data, form.category.data),
                lambda made: url_for("proposals.detail", proposal_id=made.id), url_for("proposals.index"))
        except DomainError as err:
            apply_errors(form, err)
        else:
            if earlier:
                return submissions.to_earlier(earlier)
            flash(_("Your proposal is published."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template("proposals/new.html", form=form), 422 if form.errors else 200


def _member_copy() -> str | None:
    """Which stored copy of a proposal page a member gets (their vote, follow and comment form are put in per
    response: ``_vote_box``, ``_comment_box``), or None: staff pages carry tools of their own, and a kept draft
    comes back into the form, so those are rendered whole."""
    if has_role(current_user, "moderator", "council_member") or request.cookies.get(drafts.COOKIE):
        return None
    return "member-flag" if can_flag(current_user) else "member"


@bp.route("/proposals/<int:proposal_id>")
@page_cache.public_page(page_cache.detail_scopes, members=_member_copy)
def detail(proposal_id):
    proposal = service.get_visible(proposal_id, viewer=current_user)
    if proposal.status == "merged" and proposal.merged_into_id:
        return redirect(url_for("proposals.detail", proposal_id=proposal.merged_into_id))
    return _render_detail(proposal)


def _shared_parts(proposal) -> dict:
    """The parts of the detail page that look the same to everyone (to everyone who may report, for the
    comments); a moderator's comments carry per-comment tools and are rendered for them alone."""
    scopes = page_cache.detail_scopes(proposal.id)
    tools = None if service.can_moderate(current_user) else ("flag" if can_flag(current_user) else "")
    return {
        "main": page_cache.fragment("proposal.main", scopes,
                                    lambda: render_template("proposals/_detail_main.html", proposal=proposal)),
        "comments": page_cache.fragment(
            "proposal.comments", scopes, variant=tools,
            render=lambda: render_template("proposals/_comments.html", proposal=proposal,
                                           comments=service.comments_for(proposal))),
        "milestones": page_cache.fragment(
            "proposal.milestones", scopes,
            lambda: render_template("proposals/_milestones.html", milestones=for_proposal(proposal.id))),
    }


def _render_detail(proposal, status_form=None, milestone_form=None, comment_form=None, status=200):
    """The detail page; a failed moderator or comment form comes back filled in, errors beside fields.

    Forms are built only for who sees them: a form carries a CSRF token, and an anonymous page without one
    can be cached for every anonymous visitor."""
    signed_in = current_user.is_authenticated
    moderator = service.can_moderate(current_user)
    if moderator:
        status_form = status_form or StatusForm(prefix="st", formdata=None)
        status_form.status.choices = [(s, STATUS_LABELS[s]) for s in service.allowed_transitions(proposal)]
        milestone_form = milestone_form or MilestoneForm(prefix="ms", formdata=None)
    if comment_form is None and signed_in and request.cookies.get(drafts.COOKIE):
        comment_form = CommentForm(formdata=None)
        if not drafts.restore(comment_form):
            comment_form = None
    g.comment_form = comment_form  # _comment_box draws it (a failed post's, with its errors), else a fresh one
    parts = page_cache.value(f"proposal.parts:{proposal.id}", page_cache.detail_scopes(proposal.id),
                             lambda: service.detail_parts(proposal.id))
    return render_template("proposals/detail.html", proposal=proposal, shared=_shared_parts(proposal), parts=parts,
                           status_form=status_form, milestone_form=milestone_form,
                           can_moderate=moderator), status


@page_cache.personal("proposal.vote")
def _vote_box(proposal_id: int, is_open: bool) -> str:
    """The visitor's part of the vote card: vote or withdraw, follow or stop (one statement for a member whose
    page came from the store; the detail view read both with the proposal)."""
    user = current_user._get_current_object()
    voted, following = service.viewer_state(user, proposal_id)
    return page_cache.render_part("proposals/_vote_box.html", proposal_id=proposal_id, is_open=is_open,
                                  voted=voted, following=following, can_vote=service.can_vote(user),
                                  authenticated=user.is_authenticated,
                                  blocked=bool(user.is_authenticated and user.is_blocked))


# Per process: the empty comment form of a proposal, per language, with placeholders for the two tokens
# (rendering it through Bootstrap-Flask's macros cost about a millisecond).
_empty_comment_forms: dict[tuple[str, int], str] = {}
_SUBMISSION_PLACEHOLDER = "\x00submission-token\x00"


@page_cache.personal("proposal.comment_form")
def _comment_box(proposal_id: int) -> str:
    """The comment form for a member (a failed post's with its errors, else an empty one with fresh tokens),
    or the log-in link."""
    if not current_user.is_authenticated:
        return render_template("proposals/_comment_form.html", form=None, proposal_id=proposal_id)
    if not service.can_comment(current_user):  # blocked: told so, not offered a form the server refuses
        return render_template("proposals/_comment_form.html", form=None, blocked=True, proposal_id=proposal_id)
    form = g.pop("comment_form", None)
    if form is not None:
        return render_template("proposals/_comment_form.html", form=form, proposal_id=proposal_id)
    key = (str(get_locale()), proposal_id)
    html = _empty_comment_forms.get(key)
    if html is None:
        form = CommentForm(formdata=None, meta={"csrf": False})
        form.submission_token.data = _SUBMISSION_PLACEHOLDER
        html = render_template("proposals/_comment_form.html", form=form, proposal_id=proposal_id)
        html = html.replace(page_cache.page_token(), page_cache.CSRF_PLACEHOLDER)
        if len(_empty_comment_forms) >= 1024:
            _empty_comment_forms.pop(next(iter(_empty_comment_forms)))
        _empty_comment_forms[key] = html
    return html.replace(_SUBMISSION_PLACEHOLDER, submissions.new_token()).replace(
        page_cache.CSRF_PLACEHOLDER, page_cache.page_token())


def _vote_response(proposal_id, action, load=True):
    """``load``: the action takes the loaded proposal (404 first when missing or hidden); else its id (a vote
    does not load the proposal; its NotFound comes from the action)."""
    proposal = service.get_visible(proposal_id) if load else proposal_id
    # CSRFProtect checked this POST's token before the view (``g.csrf_valid``); the form only when it did not.
    if not g.get("csrf_valid") and not VoteForm().validate_on_submit():
        abort(400, _("The form expired; please reload the page."))
    try:
        count = action(current_user, proposal)
    except DomainError as err:
        if wants_json() or isinstance(err, NotFound):  # missing or hidden: the 404, not a flash
            raise
        flash(err.message, "warning")
    else:
        if wants_json():
            return jsonify(vote_count=count, voted=action is service.vote)
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/vote", methods=["POST"])
@login_required
def vote(proposal_id):
    return _vote_response(proposal_id, service.vote, load=False)


@bp.route("/proposals/<int:proposal_id>/unvote", methods=["POST"])
@login_required
def unvote(proposal_id):
    return _vote_response(proposal_id, service.withdraw_vote)


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
@login_required
def comment(proposal_id):
    proposal = service.get_visible(proposal_id)
    form = CommentForm()
    if form.validate_on_submit():
        here = url_for("proposals.detail", proposal_id=proposal.id, _anchor="comments")
        try:
            _made, earlier = submissions.submit_once(
                form, "comment", lambda: service.add_comment(current_user, proposal, form.body.data),
                lambda made: here, here)
        except DomainError as err:
            apply_errors(form, err)
        else:
            return submissions.to_earlier(earlier) if earlier else redirect(here)
    return _render_detail(proposal, comment_form=form, status=422)


def _dated_fields(form) -> dict:
    return {"occurred_at": local_to_utc(form.occurred_at.data) if form.occurred_at.data else None,
            "backdate_reason": form.backdate_reason.data}


@bp.route("/proposals/<int:proposal_id>/status", methods=["POST"])
@role_required("moderator")
def change_status(proposal_id):
    proposal = service.get_visible(proposal_id)
    form = StatusForm(prefix="st")
    form.status.choices = [(s, STATUS_LABELS[s]) for s in service.allowed_transitions(proposal)]
    if form.validate_on_submit():
        try:
            service.change_status(proposal, form.status.data, current_user, form.text_zh.data, form.text_en.data,
                                  **_dated_fields(form))
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Status changed to %(s)s.", s=proposal.status_label), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id, _anchor="timeline"))
    return _render_detail(proposal, status_form=form, status=422)


@bp.route("/proposals/<int:proposal_id>/milestones", methods=["POST"])
@role_required("moderator")
def post_milestone(proposal_id):
    proposal = service.get_visible(proposal_id)
    form = MilestoneForm(prefix="ms")
    if form.validate_on_submit():
        try:
            service.post_milestone(proposal, current_user, form.kind.data, text_zh=form.text_zh.data,
                                   text_en=form.text_en.data, progress_percent=form.progress_percent.data,
                                   **_dated_fields(form))
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Milestone posted."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id, _anchor="timeline"))
    return _render_detail(proposal, milestone_form=form, status=422)
