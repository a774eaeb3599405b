"""link generations (replacing a link ends its sessions), re-knocks after a dropped call

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_generation', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('knocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoff_device', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rejoin', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('knocks', schema=None) as batch_op:
        batch_op.drop_column('rejoin')
        batch_op.drop_column('handoff_device')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('link_generation')
