"""equipment check summary

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:25:04.310129
"""
import sqlalchemy as sa
from alembic import op

import patientapp.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_summary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('checked_at', patientapp.models.UTCDateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('checked_at')
        batch_op.drop_column('check_summary')

