"""polis uploads

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:15:00.000000

The files of a Polis export uploaded through the site, kept until the import job has read them.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'polis_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('comments', sa.Text(), nullable=False),
        sa.Column('votes', sa.Text(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'],
                                name=op.f('fk_polis_upload_consultation_id_consultation'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_polis_upload_uploaded_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_polis_upload')),
    )
    with op.batch_alter_table('polis_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polis_upload_consultation_id'), ['consultation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('polis_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_polis_upload_consultation_id'))
    op.drop_table('polis_upload')
