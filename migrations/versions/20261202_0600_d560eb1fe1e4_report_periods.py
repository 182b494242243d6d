"""report periods: each trainee's figures of a period a dashboard, list or export asked for, kept (period_figures, period_sales, period_climbs) and checked against trainee_facts.version, one more on every refresh of the facts

Nothing to fill after upgrading: a period's figures are computed the first time it is asked for.

Revision ID: d560eb1fe1e4
Revises: 9d41c2e7b6a0
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd560eb1fe1e4'
down_revision = '9d41c2e7b6a0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_report_periods_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_periods')),
    sa.UniqueConstraint('programme_id', 'starts_on', 'ends_on', name=op.f('uq_report_periods_programme_id'))
    )
    op.create_table('period_climbs',
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('to_rung', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['report_periods.id'], name=op.f('fk_period_climbs_period_id_report_periods')),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_period_climbs_trainee_id_users')),
    sa.PrimaryKeyConstraint('period_id', 'trainee_id', 'promotion_id', name=op.f('pk_period_climbs'))
    )
    op.create_table('period_figures',
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('climbed_to_1', sa.Integer(), nullable=False),
    sa.Column('climbed_to_2', sa.Integer(), nullable=False),
    sa.Column('climbed_to_3', sa.Integer(), nullable=False),
    sa.Column('climbed_to_4', sa.Integer(), nullable=False),
    sa.Column('climbed_to_5', sa.Integer(), nullable=False),
    sa.Column('climbed_to_6', sa.Integer(), nullable=False),
    sa.Column('pac_eligible', sa.Integer(), nullable=False),
    sa.Column('pac', sa.Integer(), nullable=False),
    sa.Column('visited', sa.Integer(), nullable=False),
    sa.Column('sales', sa.Integer(), nullable=False),
    sa.Column('sales_fen', sa.BigInteger(), nullable=False),
    sa.Column('income_now_fen', sa.BigInteger(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['report_periods.id'], name=op.f('fk_period_figures_period_id_report_periods')),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_period_figures_trainee_id_users')),
    sa.PrimaryKeyConstraint('period_id', 'trainee_id', name=op.f('pk_period_figures'))
    )
    op.create_table('period_sales',
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['report_periods.id'], name=op.f('fk_period_sales_period_id_report_periods')),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_period_sales_trainee_id_users')),
    sa.PrimaryKeyConstraint('period_id', 'trainee_id', 'year', 'month', name=op.f('pk_period_sales'))
    )
    with op.batch_alter_table('period_sales', schema=None) as batch_op:
        batch_op.create_index('ix_period_sales_months', ['period_id', 'year', 'month', 'fen', 'n', 'trainee_id'], unique=False)

    with op.batch_alter_table('trainee_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('trainee_facts', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('period_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_period_sales_months')

    op.drop_table('period_sales')
    op.drop_table('period_figures')
    op.drop_table('period_climbs')
    op.drop_table('report_periods')
