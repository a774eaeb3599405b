"""device codes (move a visit to another device) and typeable codes beside each link

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

import patientapp.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'device_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('link_generation', sa.Integer(), nullable=False),
        sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
        sa.Column('expires_at', patientapp.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_device_codes_invitation_id_invitations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_device_codes')),
        sa.UniqueConstraint('digest', name=op.f('uq_device_codes_digest')),
    )
    op.create_index(op.f('ix_device_codes_invitation_id'), 'device_codes', ['invitation_id'], unique=False)
    op.create_index(op.f('ix_device_codes_expires_at'), 'device_codes', ['expires_at'], unique=False)
    with op.batch_alter_table('invitation_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_digest', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_links_code_digest'), ['code_digest'])


def downgrade():
    with op.batch_alter_table('invitation_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invitation_links_code_digest'), type_='unique')
        batch_op.drop_column('code_digest')
    op.drop_index(op.f('ix_device_codes_expires_at'), table_name='device_codes')
    op.drop_index(op.f('ix_device_codes_invitation_id'), table_name='device_codes')
    op.drop_table('device_codes')
