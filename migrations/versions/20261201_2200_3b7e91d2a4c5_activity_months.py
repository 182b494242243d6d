"""activity months: the monthly rollup of verified sales becomes each trainee's month of verified sales, verified records of any kind and visits (the mentor attention columns of the equity table), keyed programme, month, trainee; the partial indexes on verified sales cover verified records of any kind

An existing database fills it after upgrading: `flask --app wsgi facts rebuild`.

Revision ID: 3b7e91d2a4c5
Revises: efab7d2b1ca1
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e91d2a4c5'
down_revision = 'efab7d2b1ca1'
branch_labels = None
depends_on = None


def _months(name, key, *extra):
    op.create_table(name,
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column(key[1], sa.Integer() if key[1] == 'trainee_id' else sa.Date(), nullable=False),
    sa.Column(key[2], sa.Integer() if key[2] == 'trainee_id' else sa.Date(), nullable=False),
    sa.Column('sales', sa.Integer(), nullable=False),
    sa.Column('fen', sa.BigInteger(), nullable=False),
    *extra,
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f(f'fk_{name}_programme_id_programmes')),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f(f'fk_{name}_trainee_id_users')),
    sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{name}'))
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_trainee_id'), ['trainee_id'], unique=False)


def _drop(name):
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f'ix_{name}_trainee_id'))
    op.drop_table(name)


OLD_KEY = ('programme_id', 'trainee_id', 'month')
NEW_KEY = ('programme_id', 'month', 'trainee_id')
SALES = sa.text("status = 'verified' AND kind = 'sale'")
VERIFIED = sa.text("status = 'verified'")


def upgrade():
    _drop('sales_months')
    _months(
        'activity_months',
        NEW_KEY,
        sa.Column('verified', sa.Integer(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
    )
    with op.batch_alter_table('practice_records', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_records_sales_reviewed', postgresql_where=SALES, sqlite_where=SALES)
        batch_op.drop_index('ix_practice_records_verified_sales', postgresql_where=SALES, sqlite_where=SALES)
        batch_op.create_index('ix_practice_records_verified', ['happened_on', 'trainee_id', 'kind', 'amount_fen', 'reviewed_at'], unique=False, postgresql_where=VERIFIED, sqlite_where=VERIFIED)
        batch_op.create_index('ix_practice_records_verified_reviewed', ['reviewed_at', 'trainee_id', 'kind'], unique=False, postgresql_where=VERIFIED, sqlite_where=VERIFIED)


def downgrade():
    with op.batch_alter_table('practice_records', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_records_verified_reviewed', postgresql_where=VERIFIED, sqlite_where=VERIFIED)
        batch_op.drop_index('ix_practice_records_verified', postgresql_where=VERIFIED, sqlite_where=VERIFIED)
        batch_op.create_index('ix_practice_records_sales_reviewed', ['reviewed_at'], unique=False, postgresql_where=SALES, sqlite_where=SALES)
        batch_op.create_index('ix_practice_records_verified_sales', ['happened_on', 'trainee_id', 'amount_fen', 'reviewed_at'], unique=False, postgresql_where=SALES, sqlite_where=SALES)
    _drop('activity_months')
    _months('sales_months', OLD_KEY)
