"""invitation links (another link without ending the first), clinic settings, staff preferences

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00
"""
import sqlalchemy as sa
from alembic import op

import patientapp.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invitation_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_invitation_links_invitation_id_invitations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_links_token_hash')),
    )
    op.create_index(op.f('ix_invitation_links_invitation_id'), 'invitation_links', ['invitation_id'], unique=False)
    # Every invitation's one link becomes its first row; then the column goes.
    op.execute("INSERT INTO invitation_links (invitation_id, token_hash, created_at) "
               "SELECT id, token_hash, created_at FROM invitations")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_invitations_token_hash', type_='unique')
        batch_op.drop_column('token_hash')
        # The invitations list filters a clinic's invitations by state and orders them by time.
        batch_op.create_index('ix_invitations_clinic_state_start', ['clinic_id', 'state', 'starts_at'], unique=False)
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_sender', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('default_duration', sa.Integer(), server_default='20', nullable=False))
        batch_op.add_column(sa.Column('emergency_url', sa.String(length=300), nullable=True))
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('knock_sound', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('knock_sound')
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.drop_column('emergency_url')
        batch_op.drop_column('default_duration')
        batch_op.drop_column('sms_sender')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_clinic_state_start')
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    # Each invitation keeps one of its links (the first); the others stop working.
    op.execute("UPDATE invitations SET token_hash = (SELECT token_hash FROM invitation_links "
               "WHERE invitation_links.invitation_id = invitations.id ORDER BY id LIMIT 1)")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_invitations_token_hash', ['token_hash'])
    op.drop_index(op.f('ix_invitation_links_invitation_id'), table_name='invitation_links')
    op.drop_table('invitation_links')
