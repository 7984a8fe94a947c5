"""dashboard: organizations per park and stage kept by triggers; an index for the overdue count

Revision ID: 0009_core_stage_counts
Revises: 0008_core_search_index
Create Date: 2026-12-01 22:20:00

`organization_stage_counts` gets a row (park, stage, ±n) for every insert, delete and change of park
or stage of an organization, written by the database in the writer's transaction (see
incubator/dashboard/models.py). PostgreSQL: statement triggers with transition tables (an import of
10,000 organizations writes one row per park and stage, not 10,000); SQLite has row triggers only.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_core_stage_counts'
down_revision = '0008_core_search_index'
branch_labels = None
depends_on = None

TABLE = "organization_stage_counts"
INSERT = f"INSERT INTO {TABLE} (park_id, stage, n)"

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION organization_stage_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {INSERT} SELECT park_id, stage, count(*) FROM new_rows GROUP BY park_id, stage;
    ELSIF TG_OP = 'DELETE' THEN
        {INSERT} SELECT park_id, stage, -count(*) FROM old_rows GROUP BY park_id, stage;
    ELSE
        {INSERT} SELECT park_id, stage, sum(n) FROM (
            SELECT park_id, stage, -1 AS n FROM old_rows UNION ALL SELECT park_id, stage, 1 FROM new_rows) moved
        GROUP BY park_id, stage HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$
"""
# (A trigger with transition tables takes one event and no column list.)
POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER organization_stage_counts_insert AFTER INSERT ON organizations "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION organization_stage_counts_track()",
    "CREATE TRIGGER organization_stage_counts_delete AFTER DELETE ON organizations "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION organization_stage_counts_track()",
    "CREATE TRIGGER organization_stage_counts_update AFTER UPDATE ON organizations "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION organization_stage_counts_track()",
]
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER organization_stage_counts_insert AFTER INSERT ON organizations "
    f"BEGIN {INSERT} VALUES (NEW.park_id, NEW.stage, 1); END",
    f"CREATE TRIGGER organization_stage_counts_delete AFTER DELETE ON organizations "
    f"BEGIN {INSERT} VALUES (OLD.park_id, OLD.stage, -1); END",
    f"CREATE TRIGGER organization_stage_counts_update AFTER UPDATE OF park_id, stage ON organizations "
    f"WHEN OLD.park_id IS NOT NEW.park_id OR OLD.stage IS NOT NEW.stage "
    f"BEGIN {INSERT} VALUES (OLD.park_id, OLD.stage, -1), (NEW.park_id, NEW.stage, 1); END",
]
TRIGGERS = ("organization_stage_counts_insert", "organization_stage_counts_delete", "organization_stage_counts_update")


def upgrade():
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_stage_counts')),
    )
    op.create_index('ix_organization_stage_counts_park_stage', TABLE, ['park_id', 'stage', 'n'], unique=False)
    op.create_index('ix_organizations_park_stage_due', 'organizations', ['park_id', 'stage', 'incubation_due'],
                    unique=False)
    op.drop_index('ix_organizations_park_stage', table_name='organizations')  # (its first two columns)
    # The counts of the organizations already there, then the triggers, in one transaction
    # (PostgreSQL; SQLite writes one at a time).
    op.execute(f"{INSERT} SELECT park_id, stage, count(*) FROM organizations GROUP BY park_id, stage")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for trigger in POSTGRESQL_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger}" + (" ON organizations" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION organization_stage_counts_track()")
    op.create_index('ix_organizations_park_stage', 'organizations', ['park_id', 'stage'], unique=False)
    op.drop_index('ix_organizations_park_stage_due', table_name='organizations')
    op.drop_index('ix_organization_stage_counts_park_stage', table_name=TABLE)
    op.drop_table(TABLE)
