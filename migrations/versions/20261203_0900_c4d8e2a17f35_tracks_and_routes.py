"""tracks and routes: a rung may be climbed by alternative routes (rung_route_courses, rung_practice_requirements.route/channels, rungs.routes); tracks by product or role (tracks) and each trainee's track (trainee_profiles.track_id)

Revision ID: c4d8e2a17f35
Revises: 7e4a1c9d2b60
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8e2a17f35'
down_revision = '7e4a1c9d2b60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tracks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.Enum('product', 'role', name='trackkind', native_enum=False, length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name_zh', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=150), nullable=False),
        sa.Column('description_zh', sa.Text(), nullable=False),
        sa.Column('description_en', sa.Text(), nullable=False),
        sa.Column('recommends', sa.JSON(), nullable=False),
        sa.Column('rungs', sa.JSON(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('archived_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tracks')),
        sa.UniqueConstraint('slug', name=op.f('uq_tracks_slug')),
    )
    op.create_table(
        'rung_route_courses',
        sa.Column('rung_level', sa.Integer(), nullable=False),
        sa.Column('route', sa.String(length=40), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_rung_route_courses_course_id_courses')),
        sa.ForeignKeyConstraint(['rung_level'], ['rungs.level'], name=op.f('fk_rung_route_courses_rung_level_rungs')),
        sa.PrimaryKeyConstraint('rung_level', 'route', 'course_id', name=op.f('pk_rung_route_courses')),
    )
    with op.batch_alter_table('rungs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('routes', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('rung_practice_requirements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channels', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('route', sa.String(length=40), nullable=True))
    with op.batch_alter_table('trainee_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('track_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_trainee_profiles_track_id_tracks'), 'tracks', ['track_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('trainee_profiles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_trainee_profiles_track_id_tracks'), type_='foreignkey')
        batch_op.drop_column('track_id')
    with op.batch_alter_table('rung_practice_requirements', schema=None) as batch_op:
        batch_op.drop_column('route')
        batch_op.drop_column('channels')
    with op.batch_alter_table('rungs', schema=None) as batch_op:
        batch_op.drop_column('routes')
    op.drop_table('rung_route_courses')
    op.drop_table('tracks')
