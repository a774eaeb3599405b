"""participants: a relative, interpreter or health worker joins the patient's appointment with an
invitation of their own

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), server_default='patient', nullable=False))
        batch_op.add_column(sa.Column('party_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('call_name', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invitations_party_id_invitations'), 'invitations',
                                    ['party_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_invitations_party_id'), ['party_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_party_id'))
        batch_op.drop_constraint(batch_op.f('fk_invitations_party_id_invitations'), type_='foreignkey')
        batch_op.drop_column('call_name')
        batch_op.drop_column('party_id')
        batch_op.drop_column('role')
