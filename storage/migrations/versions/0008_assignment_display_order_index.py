"""assignment index in display order (undated last, due date, title), so that the first page
of an unfiltered or open-only list is read off the index instead of sorting every row

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The same expressions as storage.queries' display order, so both engines use the index.
COLUMNS = ["organisation_id", sa.text("(due_date IS NULL)"), "due_date", "title_key", "id"]


def upgrade() -> None:
    op.create_index("ix_assignment_org_display_order", "assignment", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_assignment_org_display_order", table_name="assignment")
