"""no account lockout

Failed logins are throttled per client (Flask-Limiter) instead of locking the account, which
anyone could do to anyone: the failure count and the lock go.

Revision ID: 98634e300517
Revises: 5ce9056ffbbd
Create Date: 2026-12-01 13:51:48.616528

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '98634e300517'
down_revision = '5ce9056ffbbd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
