"""appeals: perf_appeals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:25:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dingperf.store.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('perf_appeals',
    sa.Column('corp_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('appeal_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('cycle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target_ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('score_before', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('handler', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('deadline', dingperf.store.types.UTCDateTime(), nullable=True),
    sa.Column('new_score', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('quota_impact', sa.JSON(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('filed_at', dingperf.store.types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', dingperf.store.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', dingperf.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('corp_id', 'appeal_id', name=op.f('pk_perf_appeals'))
    )
    with op.batch_alter_table('perf_appeals', schema=None) as batch_op:
        batch_op.create_index('ix_perf_appeals_corp_cycle_user', ['corp_id', 'cycle_id', 'userid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('perf_appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_perf_appeals_corp_cycle_user')
    op.drop_table('perf_appeals')
