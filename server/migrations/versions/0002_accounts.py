"""Accounts: federations, users, settlements, assignments, API tokens, the audit log,
which user and federation a device (or an enrolment code) belongs to, and which
settlement each record belongs to.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('federation_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index(op.f('ix_audit_events_action'), 'audit_events', ['action'], unique=False)
    op.create_index('ix_audit_events_federation', 'audit_events', ['federation_id', 'id'],
        unique=False)
    op.create_table('federations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=100), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federations')),
    sa.UniqueConstraint('name', name=op.f('uq_federations_name'))
    )
    op.create_table('record_scopes',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('form_id', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('settlement_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_record_scopes'))
    )
    op.create_index(op.f('ix_record_scopes_parent_id'), 'record_scopes', ['parent_id'],
        unique=False)
    op.create_index(op.f('ix_record_scopes_settlement_id'), 'record_scopes', ['settlement_id'],
        unique=False)
    op.create_table('settlements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('federation_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['federation_id'], ['federations.id'],
        name=op.f('fk_settlements_federation_id_federations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements'))
    )
    op.create_index(op.f('ix_settlements_federation_id'), 'settlements', ['federation_id'],
        unique=False)
    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('federation_id', sa.String(length=36), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['federation_id'], ['federations.id'],
        name=op.f('fk_users_federation_id_federations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index(op.f('ix_users_federation_id'), 'users', ['federation_id'], unique=False)
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.create_table('assignments',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('settlement_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'],
        name=op.f('fk_assignments_settlement_id_settlements')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'settlement_id', name=op.f('pk_assignments'))
    )
    op.create_index(op.f('ix_assignments_settlement_id'), 'assignments', ['settlement_id'],
        unique=False)
    op.create_table('device_accounts',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('federation_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'],
        name=op.f('fk_device_accounts_device_id_devices')),
    sa.ForeignKeyConstraint(['federation_id'], ['federations.id'],
        name=op.f('fk_device_accounts_federation_id_federations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
        name=op.f('fk_device_accounts_user_id_users')),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_accounts'))
    )
    op.create_index(op.f('ix_device_accounts_federation_id'), 'device_accounts',
        ['federation_id'], unique=False)
    op.create_index(op.f('ix_device_accounts_user_id'), 'device_accounts', ['user_id'],
        unique=False)
    op.create_table('enrolment_code_accounts',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('federation_id', sa.String(length=36), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['code_hash'], ['enrolment_codes.code_hash'],
        name=op.f('fk_enrolment_code_accounts_code_hash_enrolment_codes')),
    sa.ForeignKeyConstraint(['federation_id'], ['federations.id'],
        name=op.f('fk_enrolment_code_accounts_federation_id_federations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
        name=op.f('fk_enrolment_code_accounts_user_id_users')),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_enrolment_code_accounts'))
    )


def downgrade() -> None:
    op.drop_table('enrolment_code_accounts')
    op.drop_index(op.f('ix_device_accounts_user_id'), table_name='device_accounts')
    op.drop_index(op.f('ix_device_accounts_federation_id'), table_name='device_accounts')
    op.drop_table('device_accounts')
    op.drop_index(op.f('ix_assignments_settlement_id'), table_name='assignments')
    op.drop_table('assignments')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index(op.f('ix_users_federation_id'), table_name='users')
    op.drop_table('users')
    op.drop_index(op.f('ix_settlements_federation_id'), table_name='settlements')
    op.drop_table('settlements')
    op.drop_index(op.f('ix_record_scopes_settlement_id'), table_name='record_scopes')
    op.drop_index(op.f('ix_record_scopes_parent_id'), table_name='record_scopes')
    op.drop_table('record_scopes')
    op.drop_table('federations')
    op.drop_index('ix_audit_events_federation', table_name='audit_events')
    op.drop_index(op.f('ix_audit_events_action'), table_name='audit_events')
    op.drop_table('audit_events')
