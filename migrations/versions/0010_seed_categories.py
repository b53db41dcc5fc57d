"""seed the starting demand categories of every federation that has none

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:40:00

Federations now get their categories when they are created; before, the first visit to a page that lists them
wrote them. This gives the federations made before that the same list, so that no page writes on a GET. Data
only: downgrading leaves the categories in place (they may already have demands).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: The list as it was when this revision was written (organizations/services.py keeps the live one).
DEFAULT_CATEGORIES = (
    ("health", "Salud", "Health"),
    ("education", "Educación", "Education"),
    ("migration-legal-help", "Migración y ayuda legal", "Migration and legal help"),
    ("hometown-infrastructure", "Infraestructura en el pueblo", "Hometown infrastructure"),
    ("economy-remittances", "Economía y remesas", "Economy and remittances"),
    ("culture-sport", "Cultura y deporte", "Culture and sport"),
    ("women", "Mujeres", "Women"),
    ("youth", "Juventud", "Youth"),
)


def upgrade():
    connection = op.get_bind()
    organization = sa.table("organization", sa.column("id", sa.Integer), sa.column("kind", sa.String))
    category = sa.table("category", sa.column("id", sa.Integer), sa.column("federation_id", sa.Integer),
                        sa.column("slug", sa.String), sa.column("name_es", sa.String),
                        sa.column("name_en", sa.String), sa.column("position", sa.Integer),
                        sa.column("is_archived", sa.Boolean))
    seeded = sa.select(category.c.federation_id).distinct()
    bare = connection.execute(sa.select(organization.c.id).where(
        organization.c.kind == "federation", organization.c.id.not_in(seeded))).scalars().all()
    rows = [{"federation_id": federation_id, "slug": slug, "name_es": name_es, "name_en": name_en,
             "position": position, "is_archived": False}
            for federation_id in bare for position, (slug, name_es, name_en) in enumerate(DEFAULT_CATEGORIES)]
    if rows:
        op.bulk_insert(category, rows)


def downgrade():
    pass
