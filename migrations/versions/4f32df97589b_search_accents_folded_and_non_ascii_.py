"""search: accents folded and non-ASCII words kept; proposals reindexed

No schema change: the proposals whose stored terms the new tokenizer (community.search) would write otherwise
are rewritten here. Only text with non-ASCII characters is tokenised again, so this costs little where most
text is English; ``flask search reindex`` does the same at any time.

Revision ID: 4f32df97589b
Revises: 4da1c43be4b0
Create Date: 2026-12-05 14:05:52.540915

"""
import logging

import sqlalchemy as sa
from alembic import op

from community.search import reindex

# revision identifiers, used by Alembic.
revision = '4f32df97589b'
down_revision = '4da1c43be4b0'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

proposals = sa.table("proposals", sa.column("id", sa.Integer), sa.column("title", sa.String),
                     sa.column("body", sa.Text))
proposal_terms = sa.table("proposal_terms", sa.column("term", sa.String), sa.column("proposal_id", sa.Integer))


def upgrade():
    log.info("search terms rewritten for %d proposal(s)", reindex(op.get_bind(), proposals, proposal_terms))


def downgrade():
    pass  # terms stay as written: older code reads them, and finds accented words only by their folded form
