"""club assemblies, paper ballot entries, the paper mark on the voter roll, a ballot's channel, a demand's assembly

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:30:00

A club's in-person assembly for a consultation (minutes, an optional scan, its co-signature); one officer's typed
entry of a paper sheet, kept until a second entry agrees; the assembly at which a member voted on paper, on their
row of the voter roll; whether a counted ballot was cast online or on paper (only where that may be shown); the
assembly a demand was raised at.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assembly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('members_present', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('scan', sa.LargeBinary(), nullable=True),
    sa.Column('scan_type', sa.String(length=20), nullable=True),
    sa.Column('scan_sha256', sa.String(length=64), nullable=True),
    sa.Column('acta_sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('cosigned_by_id', sa.Integer(), nullable=True),
    sa.Column('cosigned_at', sa.DateTime(), nullable=True),
    sa.Column('ballots_entered', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['organization.id'], name=op.f('fk_assembly_club_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_assembly_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cosigned_by_id'], ['user.id'], name=op.f('fk_assembly_cosigned_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_assembly_recorded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly'))
    )
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assembly_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('paper_entry',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('sheet_tag', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_paper_entry_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['user.id'], name=op.f('fk_paper_entry_officer_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entry')),
    sa.UniqueConstraint('assembly_id', 'sheet_tag', 'officer_id', name='uq_paper_entry_assembly_sheet_officer')
    )
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entry_assembly_id'), ['assembly_id'], unique=False)

    with op.batch_alter_table('ballot_cast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assembly_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ballot_cast_assembly_id_assembly'), 'assembly', ['assembly_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=6), nullable=True))
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assembly_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_demand_assembly_id_assembly'), 'assembly', ['assembly_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_demand_assembly_id_assembly'), type_='foreignkey')
        batch_op.drop_column('assembly_id')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('channel')
    with op.batch_alter_table('ballot_cast', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ballot_cast_assembly_id_assembly'), type_='foreignkey')
        batch_op.drop_column('assembly_id')
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entry_assembly_id'))
    op.drop_table('paper_entry')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_consultation_id'))
        batch_op.drop_index(batch_op.f('ix_assembly_club_id'))
    op.drop_table('assembly')
