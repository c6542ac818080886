"""indicator_seen: what each conversation's digest last told of each indicator;
organisation.answer_version: bumped by every import and update (the answer cache)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("answer_version", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "indicator_seen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(),
                  sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("conversation_id", sa.String(512), nullable=False),
        sa.Column("indicator_id", sa.Integer(),
                  sa.ForeignKey("indicator.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("total", sa.String(40), nullable=False),
        sa.Column("judgement", sa.String(20), nullable=False),
        sa.UniqueConstraint("organisation_id", "conversation_id", "indicator_id"),
    )
    if op.get_bind().dialect.name == "postgresql":  # the same wall as 0006's tables
        op.execute("ALTER TABLE indicator_seen ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE indicator_seen FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY organisation_isolation ON indicator_seen "
            "USING (organisation_id = "
            "NULLIF(current_setting('laget.organisation_id', true), '')::integer) "
            "WITH CHECK (organisation_id = "
            "NULLIF(current_setting('laget.organisation_id', true), '')::integer)"
        )


def downgrade() -> None:
    op.drop_table("indicator_seen")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("answer_version")
