"""consent records with the notice version

A trainee's consent becomes a record of its own, with the version of the notice they were
shown. The lead's roster confirmations (one timestamp, no notice) are kept as records of a
"roster-before-2026-12" notice: trainees are asked again, with the notice, on their next login.

Revision ID: ab9348b792ee
Revises: 4b8ef4b897c4
Create Date: 2026-12-01 14:02:02.419104

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab9348b792ee'
down_revision = '4b8ef4b897c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('notice_version', sa.String(length=20), nullable=False),
    sa.Column('given_by', sa.Enum('trainee', 'roster', name='consentgiver', native_enum=False, length=20), nullable=False),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('guardian_name', sa.String(length=50), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_consent_records_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_consent_records_trainee_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_trainee_id'), ['trainee_id'], unique=False)

    conn = op.get_bind()
    profiles = sa.table('trainee_profiles', sa.column('user_id', sa.Integer), sa.column('consent_at', sa.DateTime))
    records = sa.table(
        'consent_records',
        sa.column('trainee_id', sa.Integer),
        sa.column('notice_version', sa.String),
        sa.column('given_by', sa.String),
        sa.column('given_at', sa.DateTime),
        sa.column('guardian_name', sa.String),
    )
    rows = conn.execute(sa.select(profiles).where(profiles.c.consent_at.is_not(None))).all()
    if rows:
        conn.execute(
            records.insert(),
            [
                {
                    'trainee_id': r.user_id,
                    'notice_version': 'roster-before-2026-12',
                    'given_by': 'roster',
                    'given_at': r.consent_at,
                    'guardian_name': '',
                }
                for r in rows
            ],
        )
    with op.batch_alter_table('trainee_profiles', schema=None) as batch_op:
        batch_op.drop_column('consent_at')


def downgrade():
    with op.batch_alter_table('trainee_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(), nullable=True))
    op.execute(
        'UPDATE trainee_profiles SET consent_at = (SELECT MIN(given_at) FROM consent_records '
        'WHERE consent_records.trainee_id = trainee_profiles.user_id '
        'AND consent_records.withdrawn_at IS NULL)'
    )

    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_trainee_id'))

    op.drop_table('consent_records')
