"""update photos

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 16:00:00.000000

A programme update may carry one photo, written again from its pixels (no metadata), with its text equivalent.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'update_photo',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('update_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['update_id'], ['programme_update.id'],
                                name=op.f('fk_update_photo_update_id_programme_update'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_update_photo')),
        sa.UniqueConstraint('update_id', name=op.f('uq_update_photo_update_id')),
    )


def downgrade():
    op.drop_table('update_photo')
