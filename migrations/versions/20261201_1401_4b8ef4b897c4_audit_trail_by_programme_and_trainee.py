"""audit trail by programme and trainee

Each event says whose trail it belongs to, so a lead can read their programme's. Existing events
are filled in from what they already say: the trainee named in their details, the programme
of the programme, cohort or assignment they are about.

Revision ID: 4b8ef4b897c4
Revises: 98634e300517
Create Date: 2026-12-01 14:01:30.872140

"""
from alembic import op
import sqlalchemy as sa

events = sa.table(
    'audit_events',
    sa.column('id', sa.Integer),
    sa.column('target_type', sa.String),
    sa.column('target_id', sa.Integer),
    sa.column('details', sa.JSON),
    sa.column('programme_id', sa.Integer),
    sa.column('trainee_id', sa.Integer),
)


# revision identifiers, used by Alembic.
revision = '4b8ef4b897c4'
down_revision = '98634e300517'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('trainee_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_trainee_id'), ['trainee_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_trainee_id_users'), 'users', ['trainee_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_programme_id_programmes'), 'programmes', ['programme_id'], ['id'])
    conn = op.get_bind()
    programme_of = {
        'programmes': lambda i: i,
        'cohorts': lambda i: conn.scalar(sa.text('SELECT programme_id FROM cohorts WHERE id = :i'), {'i': i}),
        'mentor_assignments': lambda i: conn.scalar(
            sa.text('SELECT programme_id FROM mentor_assignments WHERE id = :i'), {'i': i}
        ),
    }
    users = {row[0]: row[1] for row in conn.execute(sa.text('SELECT id, role FROM users'))}
    for row in conn.execute(sa.select(events)).all():
        trainee_id = (row.details or {}).get('trainee_id')
        if trainee_id is None and row.target_type == 'users' and users.get(row.target_id) == 'trainee':
            trainee_id = row.target_id
        finder = programme_of.get(row.target_type)
        programme_id = finder(row.target_id) if finder and row.target_id else None
        if trainee_id not in users:
            trainee_id = None
        if trainee_id or programme_id:
            conn.execute(
                events.update()
                .where(events.c.id == row.id)
                .values(trainee_id=trainee_id, programme_id=programme_id)
            )


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_programme_id_programmes'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_trainee_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_events_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_programme_id'))
        batch_op.drop_column('trainee_id')
        batch_op.drop_column('programme_id')
