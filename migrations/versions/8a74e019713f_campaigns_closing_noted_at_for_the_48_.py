"""campaigns: closing_noted_at, claimed once before the "closes within 48 hours" notice

Revision ID: 8a74e019713f
Revises: d0ecaaf492db
Create Date: 2026-11-30 11:03:08.168481

"""
import sqlalchemy as sa
from alembic import op

import community.dbtypes

# revision identifiers, used by Alembic.
revision = '8a74e019713f'
down_revision = 'd0ecaaf492db'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no default: existing campaigns have not been announced as closing (a closed one never will be).
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_noted_at', community.dbtypes.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('closing_noted_at')
