"""practice windows: one covering index for a period's windows (programme, completed_on, trainee, verified_on) instead of the index on completed_on alone

Revision ID: 9d41c2e7b6a0
Revises: 3b7e91d2a4c5
Create Date: 2026-12-02 01:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d41c2e7b6a0'
down_revision = '3b7e91d2a4c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_windows_completed_on'))
        batch_op.create_index(
            'ix_practice_windows_period',
            ['programme_id', 'completed_on', 'trainee_id', 'verified_on'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('practice_windows', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_windows_period')
        batch_op.create_index(
            batch_op.f('ix_practice_windows_completed_on'), ['completed_on'], unique=False
        )
