"""clinics and invitations

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:05:50.934022
"""
import sqlalchemy as sa
from alembic import op

import patientapp.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clinics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('time_zone', sa.String(length=40), nullable=False),
    sa.Column('room_settings', sa.JSON(), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinics')),
    sa.UniqueConstraint('slug', name=op.f('uq_clinics_slug'))
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('ends_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=True),
    sa.Column('room_ref', sa.String(length=40), nullable=True),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('opened_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.Column('updated_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_invitations_clinic_id_clinics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('ref', name=op.f('uq_invitations_ref')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_clinic_start', ['clinic_id', 'starts_at'], unique=False)



def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_clinic_start')

    op.drop_table('invitations')
    op.drop_table('clinics')
