"""practice kind fields: what each kind of practice record asks (practice_records.link, minutes, viewers, orders, people), with their CHECK constraints

Revision ID: a3f6b9d1c2e8
Revises: 5c66121df54b
Create Date: 2026-12-03 13:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3f6b9d1c2e8'
down_revision = '5c66121df54b'
branch_labels = None
depends_on = None

CHECKS = (
    ('minutes_positive', 'minutes IS NULL OR minutes > 0'),
    ('viewers_nonnegative', 'viewers IS NULL OR viewers >= 0'),
    ('orders_nonnegative', 'orders IS NULL OR orders >= 0'),
    ('people_positive', 'people IS NULL OR people > 0'),
)


def upgrade():
    with op.batch_alter_table('practice_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('viewers', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('orders', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('people', sa.Integer(), nullable=True))
        for name, condition in CHECKS:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    with op.batch_alter_table('practice_records', schema=None) as batch_op:
        for name, _condition in CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_practice_records_{name}'), type_='check')
        batch_op.drop_column('people')
        batch_op.drop_column('orders')
        batch_op.drop_column('viewers')
        batch_op.drop_column('minutes')
        batch_op.drop_column('link')
