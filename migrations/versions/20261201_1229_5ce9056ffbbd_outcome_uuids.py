"""outcome uuids

Outcomes are written from a form (and, later, from a phone offline): they get a client uuid like
practice records and visits, so a double tap or a resend records one outcome. Existing rows get
a fresh uuid each.

Revision ID: 5ce9056ffbbd
Revises: 7f3d8c31aaf9
Create Date: 2026-12-01 12:29:30.169025

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ce9056ffbbd'
down_revision = '7f3d8c31aaf9'
branch_labels = None
depends_on = None

outcomes = sa.table('outcomes', sa.column('id', sa.Integer), sa.column('uuid', sa.String))


def upgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uuid', sa.String(length=36), nullable=True))
    conn = op.get_bind()
    for (row_id,) in conn.execute(sa.select(outcomes.c.id)).all():
        conn.execute(outcomes.update().where(outcomes.c.id == row_id).values(uuid=str(uuid.uuid4())))
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.alter_column('uuid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outcomes_uuid'), ['uuid'])


def downgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outcomes_uuid'), type_='unique')
        batch_op.drop_column('uuid')
