"""The models and the schema the migrations build agree (what ``flask db check`` checks), on each database.

The test database was built by running every migration (tests/conftest.py), so a model changed without a
migration, or a migration that builds something the models do not say, shows up here on SQLite and again on
PostgreSQL.
"""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String

from community.extensions import db


def test_the_models_match_the_schema_the_migrations_build(app):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert differences == []


def test_a_column_missing_from_the_migrations_is_found(app):
    models = MetaData()  # a copy: the app's own metadata stays as it is
    for table in db.metadata.tables.values():
        table.to_metadata(models)
    models.tables["users"].append_column(Column("nickname_for_this_check", String(20)))
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), models)
    assert [(d[0], d[3].name) for d in differences] == [("add_column", "nickname_for_this_check")]
