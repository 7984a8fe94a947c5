"""figures: the organizations' counted moves per year, park and category, kept by triggers

Revision ID: 0010_core_move_counts
Revises: 0009_core_stage_counts
Create Date: 2026-12-02 02:10:00

`organization_move_counts` gets a row (year, move, park, category, ±n) for every counted transition
(申请 from nothing, 评审 → 入园孵化, 出壳, 退出) inserted, deleted or changed, and for every change of an
organization's park or category (its counted moves go with it), written by the database in the
writer's transaction (see incubator/dashboard/models.py). An organization's delete takes its moves
out before its transitions go (a BEFORE trigger: the cascade's own delete then finds no
organization and counts nothing). PostgreSQL: statement triggers with transition tables; SQLite:
row triggers.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_core_move_counts'
down_revision = '0009_core_stage_counts'
branch_labels = None
depends_on = None

TABLE = "organization_move_counts"
INSERT = f"INSERT INTO {TABLE} (year, move, park_id, category, n)"


def counted(t: str) -> str:
    """The moves the figures count (incubator/figures/core.py's MOVES), of transition row `t`."""
    return (f"(({t}.to_stage = 'applied' AND {t}.from_stage IS NULL) OR "
            f"({t}.to_stage = 'incubating' AND {t}.from_stage = 'reviewing') OR "
            f"{t}.to_stage IN ('graduated', 'exited'))")


def year(column: str, postgresql: bool) -> str:
    return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)" if postgresql else f"CAST(strftime('%Y', {column}) AS INTEGER)"


PG_YEAR = year("t.happened_on", True)
POSTGRESQL_FUNCTIONS = [f"""
CREATE FUNCTION organization_move_counts_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {INSERT} SELECT {PG_YEAR}, t.to_stage, o.park_id, o.category, count(*)
            FROM new_rows t JOIN organizations o ON o.id = t.organization_id WHERE {counted('t')}
            GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        {INSERT} SELECT {PG_YEAR}, t.to_stage, o.park_id, o.category, -count(*)
            FROM old_rows t JOIN organizations o ON o.id = t.organization_id WHERE {counted('t')}
            GROUP BY 1, 2, 3, 4;
    ELSE
        {INSERT} SELECT y, m, p, c, sum(k) FROM (
            SELECT {PG_YEAR} AS y, t.to_stage AS m, o.park_id AS p, o.category AS c, -1 AS k
                FROM old_rows t JOIN organizations o ON o.id = t.organization_id WHERE {counted('t')}
            UNION ALL
            SELECT {PG_YEAR}, t.to_stage, o.park_id, o.category, 1
                FROM new_rows t JOIN organizations o ON o.id = t.organization_id WHERE {counted('t')}
        ) moved GROUP BY y, m, p, c HAVING sum(k) <> 0;
    END IF;
    RETURN NULL;
END $$
""", f"""
CREATE FUNCTION organization_move_counts_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {INSERT} SELECT y, m, p, c, sum(k) FROM (
        SELECT {PG_YEAR} AS y, t.to_stage AS m, o.park_id AS p, o.category AS c, -1 AS k
            FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN transitions t ON t.organization_id = o.id
            WHERE (o.park_id IS DISTINCT FROM n.park_id OR o.category IS DISTINCT FROM n.category) AND {counted('t')}
        UNION ALL
        SELECT {PG_YEAR}, t.to_stage, n.park_id, n.category, 1
            FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN transitions t ON t.organization_id = o.id
            WHERE (o.park_id IS DISTINCT FROM n.park_id OR o.category IS DISTINCT FROM n.category) AND {counted('t')}
    ) moved GROUP BY y, m, p, c HAVING sum(k) <> 0;
    RETURN NULL;
END $$
""", f"""
CREATE FUNCTION organization_move_counts_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {INSERT} SELECT {PG_YEAR}, t.to_stage, OLD.park_id, OLD.category, -count(*)
        FROM transitions t WHERE t.organization_id = OLD.id AND {counted('t')} GROUP BY 1, 2;
    RETURN OLD;
END $$
"""]
POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER organization_move_counts_insert AFTER INSERT ON transitions REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION organization_move_counts_moves()",
    "CREATE TRIGGER organization_move_counts_delete AFTER DELETE ON transitions REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION organization_move_counts_moves()",
    "CREATE TRIGGER organization_move_counts_update AFTER UPDATE ON transitions "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION organization_move_counts_moves()",
    "CREATE TRIGGER organization_move_counts_organizations AFTER UPDATE ON organizations "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION organization_move_counts_organizations()",
    "CREATE TRIGGER organization_move_counts_forget BEFORE DELETE ON organizations "
    "FOR EACH ROW EXECUTE FUNCTION organization_move_counts_forget()",
]
POSTGRESQL_DROPS = [
    ("organization_move_counts_insert", "transitions"), ("organization_move_counts_delete", "transitions"),
    ("organization_move_counts_update", "transitions"), ("organization_move_counts_organizations", "organizations"),
    ("organization_move_counts_forget", "organizations"),
]
FUNCTIONS = ("organization_move_counts_moves", "organization_move_counts_organizations", "organization_move_counts_forget")


def sqlite_moves(t: str, sign: int) -> str:
    """+1 or −1 for transition row `t` (NEW or OLD), in its organization's park and category."""
    return (f"{INSERT} SELECT {year(t + '.happened_on', False)}, {t}.to_stage, o.park_id, o.category, {sign} "
            f"FROM organizations o WHERE o.id = {t}.organization_id AND {counted(t)};")


def sqlite_organization(row: str, sign: str) -> str:
    """The counted moves of organization `row` (NEW or OLD), in its park and category, `sign`ed."""
    return (f"{INSERT} SELECT {year('t.happened_on', False)}, t.to_stage, {row}.park_id, {row}.category, {sign}count(*) "
            f"FROM transitions t WHERE t.organization_id = {row}.id AND {counted('t')} GROUP BY 1, 2;")


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER organization_move_counts_insert AFTER INSERT ON transitions BEGIN {sqlite_moves('NEW', 1)} END",
    f"CREATE TRIGGER organization_move_counts_delete AFTER DELETE ON transitions BEGIN {sqlite_moves('OLD', -1)} END",
    f"CREATE TRIGGER organization_move_counts_update AFTER UPDATE ON transitions "
    f"BEGIN {sqlite_moves('OLD', -1)} {sqlite_moves('NEW', 1)} END",
    f"CREATE TRIGGER organization_move_counts_organizations AFTER UPDATE OF park_id, category ON organizations "
    f"WHEN OLD.park_id IS NOT NEW.park_id OR OLD.category IS NOT NEW.category "
    f"BEGIN {sqlite_organization('OLD', '-')} {sqlite_organization('NEW', '')} END",
    f"CREATE TRIGGER organization_move_counts_forget BEFORE DELETE ON organizations "
    f"BEGIN {sqlite_organization('OLD', '-')} END",
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('move', sa.String(length=20), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_move_counts')),
    )
    op.create_index('ix_organization_move_counts_year_park', TABLE, ['year', 'park_id', 'move', 'category', 'n'],
                    unique=False)
    # The moves already there, then the triggers, in one transaction (PostgreSQL; SQLite writes one
    # at a time).
    op.execute(f"{INSERT} SELECT {year('t.happened_on', postgresql)}, t.to_stage, o.park_id, o.category, count(*) "
               f"FROM transitions t JOIN organizations o ON o.id = t.organization_id WHERE {counted('t')} "
               f"GROUP BY 1, 2, 3, 4")
    if postgresql:
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(function)
        for trigger in POSTGRESQL_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger, table in POSTGRESQL_DROPS:
        op.execute(f"DROP TRIGGER {trigger}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in FUNCTIONS:
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_index('ix_organization_move_counts_year_park', table_name=TABLE)
    op.drop_table(TABLE)
