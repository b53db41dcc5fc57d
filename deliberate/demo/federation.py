"""Seed the demo federation: its administrator, eight clubs with ten members each, and a board of five officers."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from deliberate.auth.services import make_admin, set_locale
from deliberate.demo.consultation import seed_demo_consultation
from deliberate.demo.content import (
    CLUBS,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    FEDERATION_NAME,
    FEDERATION_SLUG,
    MEN,
    SURNAMES,
    WOMEN,
)
from deliberate.demo.leadership import seed_leadership, seed_volunteering
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.models import Membership, Organization, OrganizationKind, Role, User
from deliberate.organizations.services import (
    appoint_to_federation,
    create_federation,
    create_organization,
    decide_membership,
    request_membership,
    set_club_role,
    slugify,
    update_organization,
)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    federation_name: str
    federation_slug: str
    password: str
    logins: tuple[tuple[str, str, str], ...]  # (role, email, where)


def _email(first: str, last: str, n: int) -> str:
    plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    return f"{plain}{n}@{EMAIL_DOMAIN}"


def seed_demo() -> DemoResult:
    """Create the demo federation once; later calls change nothing and return the same log-ins."""
    federation = db.session.scalar(select(Organization).where(Organization.slug == FEDERATION_SLUG))
    if federation is not None:
        seed_demo_consultation(federation)
        seed_leadership(federation)
        seed_volunteering(federation)
        return DemoResult(False, federation.name, federation.slug, DEMO_PASSWORD, _logins(federation))
    rng = random.Random(2026)
    admin, _created = make_admin(f"admin@{EMAIL_DOMAIN}", "Admin Demo", DEMO_PASSWORD)
    set_locale(admin, "es")
    federation = create_federation(FEDERATION_NAME, slug=FEDERATION_SLUG, time_zone="America/Los_Angeles",
                                   actor=admin).federation  # the clubs meet in Southern California
    update_organization(
        federation, admin,
        description=(
            "Federación demostrativa de clubes de oriundos de Zacatecas en el sur de California. "
            "Demo federation of Zacatecan hometown clubs in Southern California."
        ),
        hometown_state="Zacatecas", us_city="Los Angeles", us_state="California", founded_year=1972,
        public_contact="contacto@" + EMAIL_DOMAIN, parity_baseline=0.439,
    )
    women, men = WOMEN[:], MEN[:]
    rng.shuffle(women)
    rng.shuffle(men)
    people: list[tuple[str, Gender]] = [(w, Gender.WOMAN) for w in women] + [(m, Gender.MAN) for m in men]
    rng.shuffle(people)
    # No service creates an account that is already confirmed; the members share one password hash, so that
    # seeding costs one scrypt instead of eighty.
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")
    n = 0
    officers: list[User] = []
    for index, (club_name, hometown, city, year) in enumerate(CLUBS):
        club = create_organization(
            OrganizationKind.CLUB, club_name, parent=federation, actor=admin, hometown_municipality=hometown,
            hometown_state="Zacatecas", us_city=city, us_state="California", founded_year=year,
            public_contact=f"{slugify(club_name)}@{EMAIL_DOMAIN}",
        )
        for position in range(10):
            first, gender = people[n]
            last = SURNAMES[(n * 7 + index) % len(SURNAMES)]
            n += 1
            user = User(
                email=_email(first, last, n), display_name=f"{first} {last}", password_hash=password_hash,
                locale="es" if n % 5 else "en", gender=gender, is_admin=False, is_deleted=False,
            )
            db.session.add(user)
            db.session.flush()
            membership = request_membership(user, club)
            decide_membership(membership, admin, approve=True)
            if position < 2:
                set_club_role(membership, Role.OFFICER, admin)
                officers.append(user)
    # A board of five officers from five clubs, two women and three men (close to the federation's parity).
    women_officers = [u for u in officers if u.gender is Gender.WOMAN]
    men_officers = [u for u in officers if u.gender is Gender.MAN]
    for user in women_officers[:2] + men_officers[:3]:
        appoint_to_federation(federation, user, Role.BOARD, admin)
    seed_demo_consultation(federation)
    seed_leadership(federation)
    seed_volunteering(federation)
    return DemoResult(True, federation.name, federation.slug, DEMO_PASSWORD, _logins(federation))


def _logins(federation: Organization) -> tuple[tuple[str, str, str], ...]:
    """Pick one account per role to show a newcomer."""
    board = db.session.scalars(
        select(Membership).where(Membership.organization_id == federation.id, Membership.role == Role.BOARD)
        .order_by(Membership.id)
    ).first()
    club = federation.clubs()[0]
    club_members = db.session.scalars(
        select(Membership).where(Membership.organization_id == club.id).order_by(Membership.id)
    ).all()
    officer = next(m for m in club_members if m.role is Role.OFFICER and m.user_id != (board.user_id if board else 0))
    member = next(m for m in club_members if m.role is Role.MEMBER)
    return (
        ("admin", f"admin@{EMAIL_DOMAIN}", "site administrator"),
        ("board", board.user.email if board else "", federation.name),
        ("officer", officer.user.email, club.name),
        ("member", member.user.email, club.name),
    )
