"""/api/v1/proposals: list, detail, create, vote, withdraw, comments, per-proposal timeline."""
from functools import partial

from flask_login import current_user

from community import cache as page_cache
from community.api.auth import requires
from community.api.fields import Blueprint
from community.api.schemas import (
    CommentArgs,
    CommentPageSchema,
    CommentSchema,
    MilestoneSchema,
    ProposalDetailSchema,
    ProposalListArgs,
    ProposalPageSchema,
    ProposalSchema,
    VoteSchema,
    error_responses,
)
from community.proposals import service
from community.timeline.service import for_proposal
from community.util import cursor_values, decode_cursor, encode_cursor

URL_PREFIX = "/proposals"
blp = Blueprint("api_proposals", __name__, description="Owners' proposals and votes.")
_errors = partial(error_responses, blp)


@blp.route("")
@page_cache.public_page(lambda: [page_cache.SITE, page_cache.LISTS], everyone=True, fast=False)  # nothing
# personal in it; not cache.fast_hit's: community.api.early answers it to anonymous callers, counting their limit
@blp.etag
@blp.arguments(ProposalListArgs, location="query")
@blp.response(200, ProposalPageSchema)
@_errors(422)
def list_proposals(args):
    """List visible proposals, keyset-paged (same sort, filters and search as the web list)."""
    page = service.list_proposals(args["sort"], args["status"], args["category"], args["q"],
                                  decode_cursor(args["cursor"]), args["limit"], bodies=True)
    return {"items": page.items, "next_cursor": encode_cursor(page.next_cursor) if page.next_cursor else None}


@blp.route("", methods=["POST"])
@requires("write")
@blp.arguments(ProposalSchema)
@blp.response(201, ProposalDetailSchema)
@_errors(401, 403, 422)
def create_proposal(data):
    """Post a proposal (verified owners, council members and moderators)."""
    proposal = service.create_proposal(current_user, data["title"], data["body"], data["category"])
    return proposal


@blp.route("/<int:proposal_id>")
@page_cache.public_page(page_cache.detail_scopes, fast=False)  # anonymous callers only: ``voted`` is the
# caller's; stored copies are answered by community.api.early, which counts the rate limit
@blp.etag
@blp.response(200, ProposalDetailSchema)
@_errors(404)
def get_proposal(proposal_id):
    """One visible proposal, with whether the caller has voted."""
    return service.get_visible(proposal_id, viewer=current_user)


@blp.route("/<int:proposal_id>/vote", methods=["POST"])
@requires("write")
@blp.response(200, VoteSchema)
@_errors(401, 403, 404, 409)
def vote(proposal_id):
    """Support a proposal: 409 when already voted or voting has closed."""
    count = service.vote(current_user, proposal_id)  # not loaded: 404 from the vote when missing or hidden
    return {"vote_count": count, "voted": True}


@blp.route("/<int:proposal_id>/vote", methods=["DELETE"])
@requires("write")
@blp.response(200, VoteSchema)
@_errors(401, 403, 404, 409)
def withdraw(proposal_id):
    """Withdraw the caller's vote while voting is open: 409 when there is none or voting has closed."""
    count = service.withdraw_vote(current_user, service.get_visible(proposal_id))
    return {"vote_count": count, "voted": False}


@blp.route("/<int:proposal_id>/timeline")
@blp.etag
@blp.response(200, MilestoneSchema(many=True))
@_errors(404)
def proposal_timeline(proposal_id):
    """The proposal's public milestones, newest first."""
    return for_proposal(service.get_visible(proposal_id).id)


@blp.route("/<int:proposal_id>/comments")
@blp.etag
@blp.arguments(CommentArgs, location="query")
@blp.response(200, CommentPageSchema)
@_errors(404, 422)
def list_comments(args, proposal_id):
    """The proposal's visible comments, oldest first, cursor-paged (hidden comments are left out)."""
    after = cursor_values(decode_cursor(args["cursor"]), "int")
    items, after = service.comments_page(service.get_visible(proposal_id), after[0] if after else None,
                                         args["limit"])
    return {"items": items, "next_cursor": encode_cursor([after]) if after else None}


@blp.route("/<int:proposal_id>/comments", methods=["POST"])
@requires("write", first=service.get_visible)
@blp.arguments(CommentSchema)
@blp.response(201, CommentSchema)
@_errors(401, 403, 404, 422)
def create_comment(data, proposal_id):
    """Comment on a visible proposal (Markdown); blocked users are refused with 403, as on the web."""
    return service.add_comment(current_user, service.get_visible(proposal_id), data["body"])
