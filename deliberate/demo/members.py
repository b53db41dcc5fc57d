"""Synthetic members for the demo federation, so that scale can be measured (``deliberate seed-demo --members N``).

They log in with the demo's password, are spread evenly over the demo clubs, and are told apart from the demo's
named people by their address (``member-<n>@demo.example.org``): each run adds N more, after the last one.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from deliberate.demo.content import DEMO_PASSWORD, EMAIL_DOMAIN, FEDERATION_SLUG, MEN, SURNAMES, WOMEN
from deliberate.domain.errors import NotFound
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.models import Membership, MembershipStatus, Organization, Role, User, utcnow

PREFIX = "member-"
CHUNK = 2000


def add_synthetic_members(count: int) -> int:
    """Add ``count`` members over the demo federation's clubs; return how many synthetic members there are now."""
    federation = db.session.scalar(select(Organization).where(Organization.slug == FEDERATION_SLUG))
    if federation is None:
        raise NotFound("demo_federation")
    clubs = sorted(federation.clubs(), key=lambda club: club.id)
    if not clubs:
        raise NotFound("demo_clubs")
    already = db.session.scalar(select(func.count(User.id)).where(User.email.like(f"{PREFIX}%@{EMAIL_DOMAIN}"))) or 0
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")  # one hash for all: seconds, not hours
    now = utcnow()
    for start in range(already, already + count, CHUNK):
        numbers = range(start + 1, min(start + CHUNK, already + count) + 1)
        people = []
        for n in numbers:
            woman = n % 9 < 4  # about the federation's parity baseline
            first = (WOMEN if woman else MEN)[n % len(WOMEN if woman else MEN)]
            people.append({
                "email": f"{PREFIX}{n}@{EMAIL_DOMAIN}", "display_name": f"{first} {SURNAMES[n % len(SURNAMES)]} {n}",
                "password_hash": password_hash, "locale": "en" if n % 4 == 0 else "es",
                "gender": Gender.WOMAN if woman else Gender.MAN, "is_admin": False, "is_deleted": False,
                "is_pseudonymous": False, "is_email_confirmed": True, "created_at": now})
        ids = list(db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), people))
        db.session.execute(insert(Membership), [
            {"user_id": user_id, "organization_id": clubs[n % len(clubs)].id, "role": Role.MEMBER,
             "status": MembershipStatus.ACTIVE} for user_id, n in zip(ids, numbers, strict=True)])
        db.session.commit()
    return already + count
