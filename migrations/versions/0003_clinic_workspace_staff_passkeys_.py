"""clinic workspace: staff, passkeys, sessions, knocks, audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:51:05.252236
"""
import sqlalchemy as sa
from alembic import op

import patientapp.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('user_handle', sa.LargeBinary(length=64), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('disabled_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_staff_clinic_id_clinics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email')),
    sa.UniqueConstraint('user_handle', name=op.f('uq_staff_user_handle'))
    )
    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_enrolments_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_enrolments_token_hash'))
    )
    op.create_table('knocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('consent_version', sa.String(length=20), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('lapses_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('message', sa.String(length=20), nullable=True),
    sa.Column('admitted_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.Column('admitted_by', sa.Integer(), nullable=True),
    sa.Column('handoff_expires_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.Column('handoff_used_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.Column('handoff_failed_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['admitted_by'], ['staff.id'], name=op.f('fk_knocks_admitted_by_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_knocks_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knocks'))
    )
    with op.batch_alter_table('knocks', schema=None) as batch_op:
        batch_op.create_index('ix_knocks_invitation_state', ['invitation_id', 'state'], unique=False)

    op.create_table('passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(length=1024), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=2048), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('transports', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', patientapp.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_passkeys_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id'))
    )
    op.create_table('staff_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_sessions_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_staff_id'), ['staff_id'], unique=False)

    op.create_table('webauthn_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('challenge', sa.LargeBinary(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_webauthn_challenges_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn_challenges')),
    sa.UniqueConstraint('flow_hash', name=op.f('uq_webauthn_challenges_flow_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', patientapp.models.UTCDateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')

    op.drop_table('webauthn_challenges')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_staff_id'))

    op.drop_table('staff_sessions')
    op.drop_table('passkeys')
    with op.batch_alter_table('knocks', schema=None) as batch_op:
        batch_op.drop_index('ix_knocks_invitation_state')

    op.drop_table('knocks')
    op.drop_table('enrolments')
    op.drop_table('staff')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
