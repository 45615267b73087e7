"""router_candidates: retrained router versions, their comparison with the serving one, activated or waiting

Revision ID: 5e1c0a7b9d21
Revises: c417e832bd41
Create Date: 2026-12-05 08:15:00.000000

"""
from alembic import op
import sqlalchemy as sa
import community.dbtypes


# revision identifiers, used by Alembic.
revision = '5e1c0a7b9d21'
down_revision = 'c417e832bd41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('router_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('compared_with', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('created_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("decision in ('activated','waiting')", name=op.f('ck_router_candidates_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_router_candidates')),
    sa.UniqueConstraint('version', name=op.f('uq_router_candidates_version'))
    )
    with op.batch_alter_table('router_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_router_candidates_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('router_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_router_candidates_created_at'))
    op.drop_table('router_candidates')
