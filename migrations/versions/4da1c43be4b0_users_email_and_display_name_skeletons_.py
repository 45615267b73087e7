"""users email and display-name skeletons for look-alike identities

Backfills both keys (community.accounts.identity.identity_key) and stores display names in their normal form
(NFC, white space collapsed). Rows that already collide are settled by id, oldest first, and logged:
- a later account whose address looks like an earlier one's keeps its address and login; its key gets
  ``#<id>`` appended (no real address has ``#`` after its domain), so the unique index holds and a new
  registration of either look-alike is still refused;
- a later active user whose display name looks like an earlier active user's is renamed ``<name> #<id>``.

Revision ID: 4da1c43be4b0
Revises: b285233474e1
Create Date: 2026-12-05 13:09:48.873658

"""
import logging

from alembic import op
import sqlalchemy as sa

from community.accounts.identity import MAX_KEY, display_form, identity_key


# revision identifiers, used by Alembic.
revision = '4da1c43be4b0'
down_revision = 'b285233474e1'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _suffixed(name, user_id):
    suffix = f" #{user_id}"
    return name[:60 - len(suffix)].rstrip() + suffix


def _backfill(bind):
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String),
                     sa.column("display_name", sa.String), sa.column("is_blocked", sa.Boolean),
                     sa.column("email_skeleton", sa.String), sa.column("name_skeleton", sa.String))
    rows = bind.execute(sa.select(users.c.id, users.c.email, users.c.display_name, users.c.is_blocked)
                        .order_by(users.c.id)).all()
    emails, names, updates = set(), set(), []
    for user_id, email, name, blocked in rows:
        email_key = identity_key(email)[:MAX_KEY - 12]
        if email_key in emails:
            log.warning("user %s: address %r looks like an earlier account's; both kept", user_id, email)
            email_key = f"{email_key}#{user_id}"
        emails.add(email_key)
        shown = display_form(name) or _suffixed("user", user_id)
        name_key = identity_key(shown)[:MAX_KEY]
        if not blocked:
            while name_key in names:
                log.warning("user %s: display name %r looks like an earlier active user's; renamed", user_id, shown)
                shown = _suffixed(shown, user_id)
                name_key = identity_key(shown)[:MAX_KEY]
            names.add(name_key)
        updates.append({"uid": user_id, "shown": shown, "email_key": email_key, "name_key": name_key})
    if updates:
        bind.execute(users.update().where(users.c.id == sa.bindparam("uid"))
                     .values(display_name=sa.bindparam("shown"), email_skeleton=sa.bindparam("email_key"),
                             name_skeleton=sa.bindparam("name_key")), updates)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_skeleton', sa.String(length=600), nullable=True))
        batch_op.add_column(sa.Column('name_skeleton', sa.String(length=600), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email_skeleton', existing_type=sa.String(length=600), nullable=False)
        batch_op.alter_column('name_skeleton', existing_type=sa.String(length=600), nullable=False)
        batch_op.create_index('uq_users_active_name_skeleton', ['name_skeleton'], unique=True, sqlite_where=sa.text('NOT is_blocked'), postgresql_where=sa.text('NOT is_blocked'))
        batch_op.create_unique_constraint(batch_op.f('uq_users_email_skeleton'), ['email_skeleton'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_email_skeleton'), type_='unique')
        batch_op.drop_index('uq_users_active_name_skeleton', sqlite_where=sa.text('NOT is_blocked'), postgresql_where=sa.text('NOT is_blocked'))
        batch_op.drop_column('name_skeleton')
        batch_op.drop_column('email_skeleton')
