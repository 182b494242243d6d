"""lesson audio: a lesson may name a recording of itself read aloud (a small .opus/.ogg/.m4a/.aac file in its course's audio/ folder)

Revision ID: 7e4a1c9d2b60
Revises: 5b2c8e1f4a93
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e4a1c9d2b60'
down_revision = '5b2c8e1f4a93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audio', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_column('audio')
