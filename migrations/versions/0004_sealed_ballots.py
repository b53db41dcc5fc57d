"""ballots sealed while voting, mixed at the count, counted in groups of at least five

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:40:00

Ballots lose their club, gender and date: a counted ballot keeps only its counting group (its club, or the small
clubs it is pooled with), and a consultation's gender figures become one table of federation totals in
ballot_box. Casts lose their date and gain the keyed receipt check that lets only the voter replace their ballot.

Existing data:

- a consultation still voting has its ballots sealed with the ballot key of the app that runs the upgrade (and
  the plain ones deleted). Its voters keep their receipts as proof, but cannot replace a ballot cast before the
  upgrade: nothing in the database says whose ballot is whose, by design;
- a counted or published consultation gets its ballot box (counting groups from its ballots' clubs, registered
  members as they are today, the gender table from its ballots' genders) and its ballots their group. Published
  versions are frozen documents and verify as before.
"""
import hashlib
import hmac
import os
import struct
from collections import Counter

import orjson
import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sealed_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('receipt_tag', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_sealed_ballot_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballot')),
    sa.UniqueConstraint('receipt_tag', name=op.f('uq_sealed_ballot_receipt_tag'))
    )
    with op.batch_alter_table('sealed_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballot_consultation_id'), ['consultation_id'], unique=False)
    op.create_table('ballot_box',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('clubs', sa.JSON(), nullable=False),
    sa.Column('gender_table', sa.JSON(), nullable=False),
    sa.Column('turnout', sa.JSON(), nullable=False),
    sa.Column('uncounted', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_ballot_box_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_ballot_box'))
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group', sa.String(length=2000), nullable=True))
    with op.batch_alter_table('ballot_cast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_check', sa.String(length=64), nullable=True))

    _convert(op.get_bind())

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('group', existing_type=sa.String(length=2000), nullable=False)
        batch_op.drop_constraint('fk_ballot_club_id_organization', type_='foreignkey')
        batch_op.drop_column('club_id')
        batch_op.drop_column('gender')
        batch_op.drop_column('cast_on')
    with op.batch_alter_table('ballot_cast', schema=None) as batch_op:
        batch_op.drop_column('cast_on')


def _convert(bind):
    from deliberate.domain import electorate as electorate_engine
    from deliberate.domain import equity, privacy

    rows = bind.execute(sa.text(
        "SELECT b.id, b.consultation_id, o.slug, b.ranking, b.approved, b.receipt_hash, b.gender, c.phase, "
        "c.federation_id FROM ballot b JOIN organization o ON o.id = b.club_id "
        "JOIN consultation c ON c.id = b.consultation_id")).all()
    by_consultation = {}
    for row in rows:
        by_consultation.setdefault((row.consultation_id, row.phase, row.federation_id), []).append(row)
    for (consultation_id, phase, federation_id), ballots in by_consultation.items():
        if phase == 'voting':
            _seal(bind, consultation_id, ballots)
            continue
        members = dict(bind.execute(sa.text(
            "SELECT o.slug, COUNT(DISTINCT m.user_id) FROM organization o LEFT JOIN membership m "
            "ON m.organization_id = o.id AND m.status = 'active' WHERE o.parent_id = :federation "
            "GROUP BY o.slug ORDER BY MIN(o.id)"), {"federation": federation_id}).all())
        order = [slug for (slug,) in bind.execute(sa.text(
            "SELECT slug FROM organization WHERE parent_id = :federation ORDER BY id"), {"federation": federation_id})]
        voters = Counter(row.slug for row in ballots)
        groups = privacy.counting_groups({slug: voters.get(slug, 0) for slug in order})
        group_of = privacy.group_of(groups)
        candidates = [str(item_id) for (item_id,) in bind.execute(sa.text(
            "SELECT id FROM agenda_item WHERE consultation_id = :c AND merged_into_id IS NULL ORDER BY id"),
            {"c": consultation_id})]
        known = set(candidates)
        electorate = []
        for row in ballots:
            ranking = [[str(i) for i in tier if str(i) in known] for tier in _json(row.ranking)]
            electorate.append(electorate_engine.Voter(club=group_of[row.slug], gender=row.gender,
                                             ranking=[tier for tier in ranking if tier],
                                             approved=[str(i) for i in _json(row.approved) if str(i) in known]))
            bind.execute(sa.text('UPDATE ballot SET "group" = :g WHERE id = :id'),
                         {"g": group_of[row.slug], "id": row.id})
        clubs = {group.name: {"members": sum(members.get(c, 0) for c in group.clubs),
                              **({"clubs": {c: members.get(c, 0) for c in group.clubs}} if group.is_pooled else {})}
                 for group in groups}
        genders = Counter(row.gender or "unstated" for row in ballots)
        bind.execute(sa.text("INSERT INTO ballot_box (consultation_id, clubs, gender_table, turnout) "
                             "VALUES (:c, :clubs, :table, :turnout)"), {
            "c": consultation_id, "clubs": orjson.dumps(clubs).decode(),
            "table": orjson.dumps(equity.tabulate_genders(candidates, electorate).to_dict()).decode(),
            "turnout": orjson.dumps({g: genders.get(g, 0) for g in ("woman", "man", "other")}).decode()})


def _json(value):
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _seal(bind, consultation_id, ballots):
    """Seal the ballots of a consultation still voting, as deliberate.ballots.sealing does."""
    config = current_app.config
    master = hmac.new(str(config.get("BALLOT_KEY") or config["SECRET_KEY"]).encode(), b"deliberate ballot box v1",
                      hashlib.sha256).digest()

    def key(purpose):
        return hmac.new(master, f"{purpose}:{consultation_id}".encode(), hashlib.sha256).digest()

    items = [item_id for (item_id,) in bind.execute(sa.text(
        "SELECT id FROM agenda_item WHERE consultation_id = :c AND merged_into_id IS NULL ORDER BY id"),
        {"c": consultation_id})]
    longest = {"club": "x" * 80, "gender": "other", "ranking": [[i] for i in items], "approved": items,
               "receipt": "0" * 64}
    capacity = 4 + len(orjson.dumps(longest))
    for row in ballots:
        data = orjson.dumps({"club": row.slug, "gender": row.gender, "ranking": _json(row.ranking),
                             "approved": _json(row.approved), "receipt": row.receipt_hash})
        padded = struct.pack(">I", len(data)) + data + bytes(max(capacity, 4 + len(data)) - 4 - len(data))
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key("seal")).encrypt(nonce, padded, str(consultation_id).encode())
        tag = hmac.new(key("tag"), row.receipt_hash.encode(), hashlib.sha256).hexdigest()
        bind.execute(sa.text("INSERT INTO sealed_ballot (id, consultation_id, receipt_tag, sealed) "
                             "VALUES (:id, :c, :tag, :sealed)"),
                     {"id": os.urandom(16).hex(), "c": consultation_id, "tag": tag, "sealed": sealed})
        bind.execute(sa.text("DELETE FROM ballot WHERE id = :id"), {"id": row.id})


def downgrade():
    with op.batch_alter_table('ballot_cast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cast_on', sa.Date(), nullable=False, server_default='1970-01-01'))
        batch_op.drop_column('receipt_check')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cast_on', sa.Date(), nullable=False, server_default='1970-01-01'))
        batch_op.add_column(sa.Column('gender', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('club_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ballot_club_id_organization', 'organization', ['club_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.drop_column('group')
    op.drop_table('ballot_box')
    with op.batch_alter_table('sealed_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_ballot_consultation_id'))
    op.drop_table('sealed_ballot')
