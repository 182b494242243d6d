"""period figures hold a trainee's whole row of a period (profile splits, rung then, outcomes, lasting practice, and whether they were in the programme at its end), so a dashboard, a list or an export of a kept period reads one table

The kept figures are a cache computed on demand: the rows kept so far are dropped, and computed
again the first time each period is asked for.

Revision ID: 5b2c8e1f4a93
Revises: d560eb1fe1e4
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b2c8e1f4a93'
down_revision = 'd560eb1fe1e4'
branch_labels = None
depends_on = None

PARTS = ['climbed_to_1', 'climbed_to_2', 'climbed_to_3', 'climbed_to_4', 'climbed_to_5',
         'climbed_to_6', 'pac_eligible', 'pac', 'visited', 'sales']
ROW = ['completed_any', 'outcome_employed', 'outcome_shop_opened', 'outcome_business_started',
       'practising_eligible_90', 'practising_90', 'practising_eligible_180', 'practising_180']


def _create(whole: bool):
    columns = [
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('trainee_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
    ]
    if whole:
        columns += [
            sa.Column('in_scope', sa.Integer(), nullable=False),
            sa.Column('cohort_id', sa.Integer(), nullable=True),
            sa.Column('since', sa.Date(), nullable=False),
            sa.Column('village', sa.String(length=100), nullable=False),
            sa.Column('gender', sa.String(length=10), nullable=True),
            sa.Column('category', sa.String(length=20), nullable=False),
            sa.Column('age_band', sa.String(length=10), nullable=True),
            sa.Column('baseline_rung', sa.Integer(), nullable=False),
            sa.Column('baseline_income_fen', sa.BigInteger(), nullable=False),
            sa.Column('rung_now', sa.Integer(), nullable=False),
            *(sa.Column(name, sa.Integer(), nullable=False) for name in ROW),
        ]
    columns += [
        *(sa.Column(name, sa.Integer(), nullable=False) for name in PARTS),
        sa.Column('sales_fen', sa.BigInteger(), nullable=False),
        sa.Column('income_now_fen', sa.BigInteger(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('verified', sa.Integer(), nullable=False),
    ]
    op.create_table('period_figures',
    *columns,
    sa.ForeignKeyConstraint(['period_id'], ['report_periods.id'], name=op.f('fk_period_figures_period_id_report_periods')),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_period_figures_trainee_id_users')),
    sa.PrimaryKeyConstraint('period_id', 'trainee_id', name=op.f('pk_period_figures'))
    )


def _forget_kept():
    op.drop_table('period_figures')
    op.execute('DELETE FROM period_sales')
    op.execute('DELETE FROM period_climbs')
    op.execute('DELETE FROM report_periods')


def upgrade():
    _forget_kept()
    _create(whole=True)


def downgrade():
    _forget_kept()
    _create(whole=False)
