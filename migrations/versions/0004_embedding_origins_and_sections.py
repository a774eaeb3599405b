"""embedding on a clinic's website: registered origins and the clinic's own guide section

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 21:05:00
"""
import sqlalchemy as sa
from alembic import op

import patientapp.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('embed_origins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('created_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_embed_origins_clinic_id_clinics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embed_origins')),
    sa.UniqueConstraint('clinic_id', 'origin', name='uq_embed_origins_clinic_origin')
    )
    with op.batch_alter_table('embed_origins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_embed_origins_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('embed_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('updated_at', patientapp.models.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_embed_sections_clinic_id_clinics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embed_sections')),
    sa.UniqueConstraint('clinic_id', 'language', name='uq_embed_sections_clinic_language')
    )


def downgrade():
    op.drop_table('embed_sections')
    with op.batch_alter_table('embed_origins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embed_origins_clinic_id'))
    op.drop_table('embed_origins')
