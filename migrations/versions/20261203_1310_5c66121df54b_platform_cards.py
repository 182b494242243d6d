"""platform cards: one dated card per selling platform (platform_cards), imported from curricula/platforms.yaml

Revision ID: 5c66121df54b
Revises: c4d8e2a17f35
Create Date: 2026-12-03 13:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c66121df54b'
down_revision = 'c4d8e2a17f35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'platform_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name_zh', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=150), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('archived_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_cards')),
        sa.UniqueConstraint('slug', name=op.f('uq_platform_cards_slug')),
    )


def downgrade():
    op.drop_table('platform_cards')
