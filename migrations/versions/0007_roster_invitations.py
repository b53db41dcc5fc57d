"""roster invitations: an invitation made from a roster remembers its address's digest and its language

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:00:00

Importing a roster again updates the invitation it made instead of sending a second one. Only a keyed digest of
the address is stored, never the address.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=5), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitation_email_digest'), ['email_digest'], unique=False)


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_email_digest'))
        batch_op.drop_column('locale')
        batch_op.drop_column('email_digest')
