"""agenda exports

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:40:00.000000

The files of a published version (ballots, CSV, gender table), written once by a job after publication.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agenda_export',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=160), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['agenda_version.id'],
                                name=op.f('fk_agenda_export_version_id_agenda_version'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_export')),
        sa.UniqueConstraint('version_id', 'kind', name=op.f('uq_agenda_export_version_id_kind')),
    )
    with op.batch_alter_table('agenda_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_export_version_id'), ['version_id'], unique=False)


def downgrade():
    with op.batch_alter_table('agenda_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_export_version_id'))
    op.drop_table('agenda_export')
