"""The migrations build exactly the schema the models describe, and the database itself guards the rules
that must always hold."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from incubator.extensions import db
from incubator.organizations.models import Organization
from incubator.plugins.models import PluginSetting
from incubator.schema_versions import include_name
from incubator.users.models import User


def test_the_migrated_database_matches_the_models(app, ctx):
    """No drift: a model changed without a migration (or the reverse) fails here."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                          "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_table_has_a_migration(app, ctx):
    with db.engine.connect() as conn:
        existing = set(db.inspect(conn).get_table_names())
    assert set(db.metadata.tables) <= existing


@pytest.mark.parametrize("table, values", [
    (Organization, {"stage": "hatched"}),
    (Organization, {"registration_status": "maybe"}),
    (User, {"role": "superuser"}),
    (PluginSetting, {"scope": "half"}),
])
def test_check_constraints_refuse_impossible_values(table, values, network, parks):
    row = {
        Organization: {"name": "约束测试", "name_initials": "ysc", "category": "其他", "contact_name": "张",
                       "contact_phone": "13912345678", "park_id": parks["fangxing"].id, "stage": "applied",
                       "registration_status": "unregistered", "service_area": "", "description": ""},
        User: {"username": "constraint-test", "name": "", "phone": "", "role": "expert", "password_hash": "x",
               "active": True},
        PluginSetting: {"plugin": "constraint-test", "scope": "all"},
    }[table]
    with pytest.raises(IntegrityError):
        db.session.execute(insert(table).values(**dict(row, **values)))
        db.session.flush()
    db.session.rollback()


def test_the_uscc_is_unique_in_the_database(make_org):
    from incubator.validators import make_uscc
    uscc = make_uscc("52340111MJ0000033")
    make_org(uscc=uscc)
    with pytest.raises(IntegrityError):
        make_org(uscc=uscc)
    db.session.rollback()
