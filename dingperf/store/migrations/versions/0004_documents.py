"""documents: perf_documents (nominations, interviews, improvement plans, action plans, groups)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dingperf.store.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('perf_documents',
    sa.Column('corp_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('doc_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('subject_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('saved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('saved_at', dingperf.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('corp_id', 'kind', 'doc_id', 'revision', name=op.f('pk_perf_documents'))
    )
    with op.batch_alter_table('perf_documents', schema=None) as batch_op:
        batch_op.create_index('ix_perf_documents_corp_kind_cycle', ['corp_id', 'kind', 'cycle_id'], unique=False)
        batch_op.create_index('ix_perf_documents_corp_kind_subject', ['corp_id', 'kind', 'subject_userid'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('perf_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_perf_documents_corp_kind_subject')
        batch_op.drop_index('ix_perf_documents_corp_kind_cycle')
    op.drop_table('perf_documents')
