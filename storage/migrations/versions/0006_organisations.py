"""organisations: every row belongs to one; budgets, indicators; row-level security

An existing database's rows all move into one organisation, "Standard" (rename it with
`app.py org edit Standard --name …`), whose tenants are those its conversations came from.
Assignments keep their id as their number, so "#12" still means the same assignment.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Existing tables that become organisation-scoped, parents first.
SCOPED = ("unit", "unit_alias", "assignment", "assignment_participant", "status_comment",
          "finance_follow_up", "role", "conversation_ref", "subscription", "sent_nudge",
          "reminder_preference")
NEW_SCOPED = ("budget_line", "indicator", "indicator_value")
# Unique constraints that become per organisation: table → (old columns, new columns).
UNIQUES = {
    "unit": (("name",), ("organisation_id", "name")),
    "unit_alias": (("key",), ("organisation_id", "key")),
    "assignment": (("kind_key", "title_key"), ("organisation_id", "kind_key", "title_key")),
    "role": (("user_id", "role", "unit_id"), ("organisation_id", "user_id", "role", "unit_id")),
    "conversation_ref": (("conversation_id",), ("organisation_id", "conversation_id")),
    "sent_nudge": (("conversation_id", "kind", "day"),
                   ("organisation_id", "conversation_id", "kind", "day")),
}
# SQLite's unnamed constraints get these names inside batch mode, so they can be dropped.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
NAME = 300


def _uq(table: str, columns: tuple[str, ...]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def _existing_unique(bind: sa.engine.Connection, table: str, columns: tuple[str, ...]) -> str:
    for uc in sa.inspect(bind).get_unique_constraints(table):
        if tuple(uc["column_names"]) == columns and uc["name"]:
            return uc["name"]
    return _uq(table, columns)  # SQLite: the NAMING convention's name


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("languages", sa.String(50), nullable=False, server_default="sv,en"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Stockholm"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="SEK"),
        sa.Column("nudge_time", sa.String(5), nullable=False, server_default="08:00"),
        sa.Column("kolada_municipality", sa.String(10), nullable=False, server_default=""),
        sa.Column("kolada_kpis", sa.String(2000), nullable=False, server_default=""),
        sa.Column("data_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "organisation_tenant",
        sa.Column("tenant_id", sa.String(100), primary_key=True),
        sa.Column("organisation_id", sa.Integer(),
                  sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                  index=True),
    )

    has_rows = any(bind.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first()  # noqa: S608
                   for t in SCOPED)
    org_id = None
    if has_rows:
        org_id = bind.execute(sa.text(
            "INSERT INTO organisation (name, key, languages, timezone, currency, nudge_time,"
            " kolada_municipality, kolada_kpis, created_at) VALUES ('Standard', 'standard',"
            " 'sv,en', 'Europe/Stockholm', 'SEK', '08:00', '', '', CURRENT_TIMESTAMP)"
            " RETURNING id")).scalar_one()
        # Lower case, as organisations.add stores them and by_tenant looks them up.
        tenants = sorted({t.lower()[:100] for (t,) in bind.execute(sa.text(
            "SELECT DISTINCT tenant_id FROM conversation_ref WHERE tenant_id <> ''"))})
        for tenant in tenants:
            bind.execute(sa.text("INSERT INTO organisation_tenant (tenant_id, organisation_id)"
                                 " VALUES (:t, :o)"), {"t": tenant[:100], "o": org_id})

    for table in SCOPED:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        if org_id is not None:
            bind.execute(sa.text(f"UPDATE {table} SET organisation_id = :o"),  # noqa: S608
                         {"o": org_id})
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(f"fk_{table}_organisation", "organisation",
                                     ["organisation_id"], ["id"], ondelete="CASCADE")
            batch.create_index(f"ix_{table}_organisation_id", ["organisation_id"])
            if table in UNIQUES:
                old, new = UNIQUES[table]
                batch.drop_constraint(_existing_unique(bind, table, old), type_="unique")
                batch.create_unique_constraint(_uq(table, new), list(new))

    with op.batch_alter_table("unit", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("responsible", sa.String(NAME), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("assignment", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("responsible", sa.String(NAME), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("reporting", sa.String(500), nullable=False,
                                   server_default=""))
        # The covering indexes of 0005, with the organisation first (every query has it).
        batch.drop_index("ix_assignment_due_status")
        batch.drop_index("ix_assignment_unit_counts")
        batch.create_index("ix_assignment_org_due_status",
                           ["organisation_id", "due_date", "status"])
        batch.create_index("ix_assignment_org_unit_counts",
                           ["organisation_id", "unit_id", "forecast", "status", "due_date"])
    bind.execute(sa.text("UPDATE assignment SET number = id"))
    with op.batch_alter_table("assignment", naming_convention=NAMING) as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_assignment_organisation_id_number",
                                       ["organisation_id", "number"])
    for table, column in (("status_comment", "author"), ("role", "user_name"),
                          ("role", "granted_by"), ("subscription", "created_by")):
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.alter_column(column, existing_type=sa.String(200), type_=sa.String(NAME),
                               existing_nullable=False)
    with op.batch_alter_table("subscription", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("indicators", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("sent_nudge", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # A user's reminder preferences are per organisation.
    pk = sa.inspect(bind).get_pk_constraint("reminder_preference").get("name") or \
        "pk_reminder_preference"
    with op.batch_alter_table("reminder_preference", naming_convention=NAMING,
                              recreate="always") as batch:
        batch.drop_constraint(pk, type_="primary")
        batch.create_primary_key("pk_reminder_preference", ["organisation_id", "user_id"])

    money = sa.Numeric(16, 2)
    op.create_table(
        "budget_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(),
                  sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False,
                  index=True),
        sa.Column("line", sa.String(200), nullable=False),
        sa.Column("line_key", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(10), nullable=False),
        sa.Column("amount", money, nullable=True),
        sa.Column("note", sa.String(200), nullable=False),
        sa.UniqueConstraint("unit_id", "line_key", "year", "scenario"),
    )
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(),
                  sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(1000), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=True,
                  index=True),
        sa.Column("goal", sa.String(500), nullable=False),
        sa.Column("measure", sa.String(100), nullable=False),
        sa.Column("polarity", sa.String(20), nullable=False),
        sa.Column("source_id", sa.String(50), nullable=False, index=True),
        sa.Column("comparison_group", sa.String(200), nullable=False),
        sa.UniqueConstraint("organisation_id", "name_key"),
    )
    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(),
                  sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("indicator_id", sa.Integer(),
                  sa.ForeignKey("indicator.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("year", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.String(40), nullable=False)
          for name in ("total", "women", "men", "target", "comparison")),
        sa.Column("trend", sa.String(20), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("indicator_id", "year"),
    )

    if postgres:
        # The second wall (docs/decisions.md): a row is visible and writable only while the
        # transaction has set laget.organisation_id to its organisation. FORCE makes the
        # tables' owner (the application's own role) subject to the policy too.
        for table in SCOPED + NEW_SCOPED:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY organisation_isolation ON {table} "
                "USING (organisation_id = "
                "NULLIF(current_setting('laget.organisation_id', true), '')::integer) "
                "WITH CHECK (organisation_id = "
                "NULLIF(current_setting('laget.organisation_id', true), '')::integer)"
            )


def downgrade() -> None:
    raise NotImplementedError("0006 moves data into organisations; restore a backup instead")
