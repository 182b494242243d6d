"""integrity: versions, promotion steps, assignment programmes

Records two people change get a version; rung changes get a per-trainee step (unique), so one
sign-off stores one promotion; mentor assignments record their programme and end exclusively
(an assignment ended today gives no access today: existing end dates move one day later, which
keeps what they meant).

Revision ID: 7f3d8c31aaf9
Revises: 55e914df6e76
Create Date: 2026-12-01 11:07:05.653698

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f3d8c31aaf9'
down_revision = '55e914df6e76'
branch_labels = None
depends_on = None

assignments = sa.table(
    'mentor_assignments',
    sa.column('id', sa.Integer),
    sa.column('programme_id', sa.Integer),
    sa.column('trainee_id', sa.Integer),
    sa.column('cohort_id', sa.Integer),
    sa.column('starts_on', sa.Date),
    sa.column('ends_on', sa.Date),
)
cohorts = sa.table('cohorts', sa.column('id', sa.Integer), sa.column('programme_id', sa.Integer))
enrollments = sa.table(
    'enrollments',
    sa.column('id', sa.Integer),
    sa.column('cohort_id', sa.Integer),
    sa.column('trainee_id', sa.Integer),
)
promotions = sa.table(
    'rung_promotions',
    sa.column('id', sa.Integer),
    sa.column('trainee_id', sa.Integer),
    sa.column('signed_at', sa.DateTime),
    sa.column('step', sa.Integer),
)


def _shift_ends(conn, days: int) -> None:
    for row in conn.execute(
        sa.select(assignments.c.id, assignments.c.starts_on, assignments.c.ends_on).where(
            assignments.c.ends_on.is_not(None)
        )
    ).all():
        conn.execute(
            assignments.update()
            .where(assignments.c.id == row.id)
            .values(ends_on=max(row.starts_on, row.ends_on + timedelta(days=days)))
        )


def upgrade():
    conn = op.get_bind()
    for table in ('followup_visits', 'practice_records', 'trainee_profiles'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    # Steps: each trainee's rung changes, numbered in the order they were signed.
    with op.batch_alter_table('rung_promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=True))
    steps: dict[int, int] = {}
    for row in conn.execute(
        sa.select(promotions.c.id, promotions.c.trainee_id).order_by(
            promotions.c.signed_at, promotions.c.id
        )
    ).all():
        steps[row.trainee_id] = steps.get(row.trainee_id, 0) + 1
        conn.execute(
            promotions.update().where(promotions.c.id == row.id).values(step=steps[row.trainee_id])
        )
    with op.batch_alter_table('rung_promotions', schema=None) as batch_op:
        batch_op.alter_column('step', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_rung_promotions_trainee_id'), ['trainee_id', 'step'])
        batch_op.create_check_constraint('step_positive', 'step >= 1')

    # Programmes of assignments: a cohort's, or for a direct one the programme of the trainee's
    # latest enrolment (the only way the lead pages made them). One that names no programme
    # gave no lead any say over it; it is removed.
    with op.batch_alter_table('mentor_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
    conn.execute(
        assignments.update()
        .where(assignments.c.cohort_id.is_not(None))
        .values(
            programme_id=sa.select(cohorts.c.programme_id)
            .where(cohorts.c.id == assignments.c.cohort_id)
            .scalar_subquery()
        )
    )
    latest = (
        sa.select(cohorts.c.programme_id)
        .select_from(enrollments.join(cohorts, cohorts.c.id == enrollments.c.cohort_id))
        .where(enrollments.c.trainee_id == assignments.c.trainee_id)
        .order_by(enrollments.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    conn.execute(
        assignments.update().where(assignments.c.trainee_id.is_not(None)).values(programme_id=latest)
    )
    conn.execute(assignments.delete().where(assignments.c.programme_id.is_(None)))
    _shift_ends(conn, 1)
    with op.batch_alter_table('mentor_assignments', schema=None) as batch_op:
        batch_op.alter_column('programme_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_mentor_assignments_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_mentor_assignments_programme_id_programmes'), 'programmes', ['programme_id'], ['id'])


def downgrade():
    conn = op.get_bind()
    _shift_ends(conn, -1)
    with op.batch_alter_table('mentor_assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mentor_assignments_programme_id_programmes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mentor_assignments_programme_id'))
        batch_op.drop_column('programme_id')

    with op.batch_alter_table('rung_promotions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rung_promotions_step_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_rung_promotions_trainee_id'), type_='unique')
        batch_op.drop_column('step')

    for table in ('trainee_profiles', 'practice_records', 'followup_visits'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
