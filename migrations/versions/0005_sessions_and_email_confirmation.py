"""log-ins that can be ended, and addresses confirmed before an account is used

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

Each log-in becomes a row of user_session, which log-out, a password change or reset and "log out everywhere"
delete. Session and remember-me cookies made before the upgrade carry no session token: everyone logs in once
more after it.

Existing accounts count as confirmed (they were used without confirmation until now); an account registered from
now on is not, until its emailed link is opened.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_email_confirmed', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    # In place, not in batch mode: on SQLite a batch rebuilds "user", and dropping the old table deletes every
    # membership with it (ON DELETE CASCADE). SQLite (3.35 and later) and PostgreSQL both drop a column in place.
    op.execute('ALTER TABLE "user" DROP COLUMN is_email_confirmed')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_session_expires_at'))
    op.drop_table('user_session')
