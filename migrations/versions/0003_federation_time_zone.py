"""a federation's time zone

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:30:00

Existing federations keep UTC, the clock every page showed until now: their deadlines and report windows were set
and announced in UTC, and only their board knows where their clubs live. The board chooses the zone on the
federation's management page.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
