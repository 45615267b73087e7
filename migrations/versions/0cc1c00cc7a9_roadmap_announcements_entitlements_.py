"""roadmap, announcements, entitlements; milestone kind announcement; vehicle status transferred

Revision ID: 0cc1c00cc7a9
Revises: 8a74e019713f
Create Date: 2026-11-30 11:06:15.300371

"""
import sqlalchemy as sa
from alembic import op

import community.dbtypes

OLD_KINDS = ("status_change", "council_session", "commitment", "approval", "progress_update", "campaign_opened",
             "campaign_closed", "delivered")
NEW_KINDS = (*OLD_KINDS, "announcement")


def _kinds(kinds) -> str:
    return "kind in (" + ",".join(f"'{k}'" for k in kinds) + ")"


def _vehicle_rules(statuses: str, live: str) -> None:
    """Swap the vehicles status CHECK and the live-VIN partial index. The index is dropped before the batch
    (SQLite recreates the table there) and made again after it, so its WHERE clause is never lost."""
    op.drop_index("uq_vehicles_live_vin", table_name="vehicles")
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_vehicles_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_vehicles_status"), f"status in ({statuses})")
    op.create_index("uq_vehicles_live_vin", "vehicles", ["vin_hash"], unique=True, sqlite_where=sa.text(live),
                    postgresql_where=sa.text(live))


def _ledger_append_only() -> None:
    """The ledger is never edited in place: the database refuses UPDATE on its rows (corrections are new rows)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION entitlement_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'entitlement_ledger is append-only'; END $$")
        op.execute("CREATE TRIGGER entitlement_ledger_no_update BEFORE UPDATE ON entitlement_ledger "
                   "FOR EACH ROW EXECUTE FUNCTION entitlement_ledger_append_only()")
    else:
        op.execute("CREATE TRIGGER entitlement_ledger_no_update BEFORE UPDATE ON entitlement_ledger "
                   "BEGIN SELECT RAISE(ABORT, 'entitlement_ledger is append-only'); END")


def _milestone_kinds(kinds) -> None:
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_milestones_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_milestones_kind"), _kinds(kinds))


# revision identifiers, used by Alembic.
revision = '0cc1c00cc7a9'
down_revision = '8a74e019713f'
branch_labels = None
depends_on = None


def upgrade():
    _milestone_kinds(NEW_KINDS)
    _vehicle_rules("'pending','verified','rejected','transferred'", "status in ('pending','verified')")
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=160), nullable=True),
    sa.Column('title_en', sa.String(length=160), nullable=True),
    sa.Column('body_zh', sa.Text(), nullable=True),
    sa.Column('body_en', sa.Text(), nullable=True),
    sa.Column('body_zh_html', sa.Text(), nullable=True),
    sa.Column('body_en_html', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('published_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('body_zh is not null or body_en is not null', name=op.f('ck_announcements_has_body')),
    sa.CheckConstraint('title_zh is not null or title_en is not null', name=op.f('ck_announcements_has_title')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_announcements_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index('ix_announcements_published', ['published_at', 'id'], unique=False)

    op.create_table('entitlement_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('follows', sa.String(length=8), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("follows in ('owner','vehicle')", name=op.f('ck_entitlement_kinds_follows')),
    sa.CheckConstraint("unit in ('kwh','months','cny','flag')", name=op.f('ck_entitlement_kinds_unit')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_entitlement_kinds_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement_kinds')),
    sa.UniqueConstraint('code', name=op.f('uq_entitlement_kinds_code'))
    )
    op.create_table('roadmap_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=120), nullable=True),
    sa.Column('title_en', sa.String(length=120), nullable=True),
    sa.Column('description_zh', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('description_zh_html', sa.Text(), nullable=True),
    sa.Column('description_en_html', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('models', sa.JSON(), nullable=False),
    sa.Column('model_years', sa.JSON(), nullable=False),
    sa.Column('window', sa.String(length=7), nullable=False),
    sa.Column('window_sort', sa.Integer(), nullable=False),
    sa.Column('original_window', sa.String(length=7), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind in ('ota','hardware','new_model','service')", name=op.f('ck_roadmap_items_kind')),
    sa.CheckConstraint("state in ('planned','in_development','released','postponed','cancelled')", name=op.f('ck_roadmap_items_state')),
    sa.CheckConstraint('title_zh is not null or title_en is not null', name=op.f('ck_roadmap_items_has_title')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_roadmap_items_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roadmap_items'))
    )
    with op.batch_alter_table('roadmap_items', schema=None) as batch_op:
        batch_op.create_index('ix_roadmap_items_window', ['window_sort', 'id'], unique=False)

    op.create_table('entitlements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=False),
    sa.Column('follows', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('vehicle_id', sa.Integer(), nullable=True),
    sa.Column('balance', sa.Numeric(precision=14, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("follows = 'owner' and user_id is not null or follows = 'vehicle' and vehicle_id is not null", name=op.f('ck_entitlements_bound')),
    sa.CheckConstraint("follows in ('owner','vehicle')", name=op.f('ck_entitlements_follows')),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_entitlements_balance')),
    sa.ForeignKeyConstraint(['kind_id'], ['entitlement_kinds.id'], name=op.f('fk_entitlements_kind_id_entitlement_kinds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_entitlements_user_id_users')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_entitlements_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlements'))
    )
    with op.batch_alter_table('entitlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entitlements_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entitlements_vehicle_id'), ['vehicle_id'], unique=False)
        batch_op.create_index('uq_entitlements_owner', ['kind_id', 'user_id'], unique=True, sqlite_where=sa.text("follows = 'owner'"), postgresql_where=sa.text("follows = 'owner'"))
        batch_op.create_index('uq_entitlements_vehicle', ['kind_id', 'vehicle_id'], unique=True, sqlite_where=sa.text("follows = 'vehicle'"), postgresql_where=sa.text("follows = 'vehicle'"))

    op.create_table('roadmap_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('state_from', sa.String(length=16), nullable=True),
    sa.Column('state_to', sa.String(length=16), nullable=False),
    sa.Column('window_from', sa.String(length=7), nullable=True),
    sa.Column('window_to', sa.String(length=7), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("state_to in ('planned','in_development','released','postponed','cancelled')", name=op.f('ck_roadmap_entries_state_to')),
    sa.CheckConstraint("state_to not in ('postponed','cancelled') or reason is not null", name=op.f('ck_roadmap_entries_reason')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_roadmap_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['roadmap_items.id'], name=op.f('fk_roadmap_entries_item_id_roadmap_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roadmap_entries'))
    )
    with op.batch_alter_table('roadmap_entries', schema=None) as batch_op:
        batch_op.create_index('ix_roadmap_entries_item', ['item_id', 'occurred_at', 'id'], unique=False)

    op.create_table('roadmap_links',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['roadmap_items.id'], name=op.f('fk_roadmap_links_item_id_roadmap_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_roadmap_links_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'proposal_id', name=op.f('pk_roadmap_links'))
    )
    with op.batch_alter_table('roadmap_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadmap_links_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('vehicle_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=False),
    sa.Column('to_user_id', sa.Integer(), nullable=True),
    sa.Column('new_vehicle_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_vehicle_transfers_from_user_id_users')),
    sa.ForeignKeyConstraint(['new_vehicle_id'], ['vehicles.id'], name=op.f('fk_vehicle_transfers_new_vehicle_id_vehicles')),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_vehicle_transfers_to_user_id_users')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_vehicle_transfers_vehicle_id_vehicles')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_vehicle_transfers_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle_transfers')),
    sa.UniqueConstraint('vehicle_id', name=op.f('uq_vehicle_transfers_vehicle_id'))
    )
    op.create_table('announcement_answers',
    sa.Column('announcement_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'], name=op.f('fk_announcement_answers_announcement_id_announcements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_announcement_answers_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_announcement_answers_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('announcement_id', 'proposal_id', name=op.f('pk_announcement_answers')),
    sa.UniqueConstraint('milestone_id', name=op.f('uq_announcement_answers_milestone_id'))
    )
    with op.batch_alter_table('announcement_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_answers_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('entitlement_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('vehicle_id', sa.Integer(), nullable=True),
    sa.Column('from_user_id', sa.Integer(), nullable=True),
    sa.Column('from_vehicle_id', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', community.dbtypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind != 'correction' or (amount != 0 and corrects_id is not null)", name=op.f('ck_entitlement_ledger_correction')),
    sa.CheckConstraint("kind != 'grant' or (amount > 0 and source is not null)", name=op.f('ck_entitlement_ledger_grant')),
    sa.CheckConstraint("kind != 'move' or amount = 0", name=op.f('ck_entitlement_ledger_move')),
    sa.CheckConstraint("kind != 'use' or amount < 0", name=op.f('ck_entitlement_ledger_use')),
    sa.CheckConstraint("kind in ('grant','use','correction','move')", name=op.f('ck_entitlement_ledger_kind')),
    sa.CheckConstraint("source is null or source in ('purchase','campaign','goodwill')", name=op.f('ck_entitlement_ledger_source')),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_entitlement_ledger_balance_after')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_entitlement_ledger_actor_id_users')),
    sa.ForeignKeyConstraint(['corrects_id'], ['entitlement_ledger.id'], name=op.f('fk_entitlement_ledger_corrects_id_entitlement_ledger')),
    sa.ForeignKeyConstraint(['entitlement_id'], ['entitlements.id'], name=op.f('fk_entitlement_ledger_entitlement_id_entitlements')),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_entitlement_ledger_from_user_id_users')),
    sa.ForeignKeyConstraint(['from_vehicle_id'], ['vehicles.id'], name=op.f('fk_entitlement_ledger_from_vehicle_id_vehicles')),
    sa.ForeignKeyConstraint(['transfer_id'], ['vehicle_transfers.id'], name=op.f('fk_entitlement_ledger_transfer_id_vehicle_transfers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_entitlement_ledger_user_id_users')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_entitlement_ledger_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement_ledger')),
    sa.UniqueConstraint('entitlement_id', 'seq', name='uq_entitlement_ledger_seq')
    )
    with op.batch_alter_table('entitlement_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_entitlement_ledger_created', ['created_at', 'id'], unique=False)

    _ledger_append_only()



def downgrade():
    op.execute("DROP TRIGGER IF EXISTS entitlement_ledger_no_update" +
               (" ON entitlement_ledger" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS entitlement_ledger_append_only()")
    with op.batch_alter_table('entitlement_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_entitlement_ledger_created')

    op.drop_table('entitlement_ledger')
    with op.batch_alter_table('announcement_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_answers_proposal_id'))

    op.drop_table('announcement_answers')
    op.drop_table('vehicle_transfers')
    with op.batch_alter_table('roadmap_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadmap_links_proposal_id'))

    op.drop_table('roadmap_links')
    with op.batch_alter_table('roadmap_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_roadmap_entries_item')

    op.drop_table('roadmap_entries')
    with op.batch_alter_table('entitlements', schema=None) as batch_op:
        batch_op.drop_index('uq_entitlements_vehicle', sqlite_where=sa.text("follows = 'vehicle'"), postgresql_where=sa.text("follows = 'vehicle'"))
        batch_op.drop_index('uq_entitlements_owner', sqlite_where=sa.text("follows = 'owner'"), postgresql_where=sa.text("follows = 'owner'"))
        batch_op.drop_index(batch_op.f('ix_entitlements_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_entitlements_user_id'))

    op.drop_table('entitlements')
    with op.batch_alter_table('roadmap_items', schema=None) as batch_op:
        batch_op.drop_index('ix_roadmap_items_window')

    op.drop_table('roadmap_items')
    op.drop_table('entitlement_kinds')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index('ix_announcements_published')

    op.drop_table('announcements')
    op.execute("DELETE FROM milestones WHERE kind = 'announcement'")
    _milestone_kinds(OLD_KINDS)
    # A sold car's row has no status before this revision; it must stop being live for its VIN.
    op.execute("UPDATE vehicles SET status = 'rejected', reject_reason = 'transferred' WHERE status = 'transferred'")
    _vehicle_rules("'pending','verified','rejected'", "status != 'rejected'")
