"""The demo federation a newcomer sees: Zacatecan hometown clubs in Southern California."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from deliberate.extensions import db
from deliberate.models import Gender, Membership, MembershipStatus, Organization, OrganizationKind, Role, User

DEMO_PASSWORD = "demo-federacion-2026"  # noqa: S105 - the demo's published password
FEDERATION_SLUG = "zacatecanos-sur-california"
EMAIL_DOMAIN = "demo.example.org"

CLUBS = [
    ("Club Jerez de García Salinas", "Jerez", "Los Angeles", 1987),
    ("Club Social Tlaltenango", "Tlaltenango de Sánchez Román", "Santa Ana", 1991),
    ("Club Nochistlán Unido", "Nochistlán de Mejía", "Pomona", 1995),
    ("Club Juchipila", "Juchipila", "Lynwood", 1989),
    ("Club Jalpa Zacatecas", "Jalpa", "Riverside", 2001),
    ("Club Valparaíso", "Valparaíso", "Anaheim", 1998),
    ("Club Fresnillo en Long Beach", "Fresnillo", "Long Beach", 2005),
    ("Club Sombrerete", "Sombrerete", "Huntington Park", 2010),
]
WOMEN = [
    "María", "Guadalupe", "Juana", "Margarita", "Verónica", "Rosa", "Leticia", "Patricia", "Elena", "Josefina",
    "Teresa", "Alejandra", "Claudia", "Silvia", "Araceli", "Yolanda", "Norma", "Adriana", "Gabriela", "Lucía",
    "Brenda", "Karina", "Marisol", "Carmen", "Rocío", "Sandra", "Irma", "Laura", "Ana", "Beatriz", "Mónica",
    "Esperanza", "Dolores", "Cristina", "Natalia",
]
MEN = [
    "José", "Juan", "Francisco", "Jesús", "Antonio", "Manuel", "Pedro", "Miguel", "Rafael", "Ramón", "Javier",
    "Alfredo", "Salvador", "Roberto", "Eduardo", "Ricardo", "Fernando", "Sergio", "Arturo", "Héctor", "Martín",
    "Raúl", "Jorge", "Luis", "Carlos", "Gerardo", "Enrique", "Efraín", "Ignacio", "Rubén", "Guillermo", "Alberto",
    "Ernesto", "Armando", "Daniel", "Óscar", "Víctor", "Tomás", "Abel", "Benjamín", "Rodolfo", "Joaquín",
    "Felipe", "Andrés", "Gilberto",
]
SURNAMES = [
    "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez", "Flores",
    "Delgado", "Castañeda", "Ávila", "Robles", "Escobedo", "Sandoval", "Villalobos", "Muro", "Haro", "Carrillo",
]


@dataclass(frozen=True)
class DemoResult:
    created: bool
    federation_name: str
    federation_slug: str
    password: str
    logins: tuple[tuple[str, str, str], ...]  # (role, email, where)


def _email(first: str, last: str, n: int) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    return f"{plain}{n}@{EMAIL_DOMAIN}"


def seed_demo() -> DemoResult:
    """Create the demo federation once; later calls change nothing and return the same log-ins."""
    federation = db.session.scalar(select(Organization).where(Organization.slug == FEDERATION_SLUG))
    if federation is not None:
        return DemoResult(False, federation.name, federation.slug, DEMO_PASSWORD, _logins(federation))
    rng = random.Random(2026)
    federation = Organization(
        kind=OrganizationKind.FEDERATION,
        name="Federación de Clubes Zacatecanos del Sur de California",
        slug=FEDERATION_SLUG,
        description=(
            "Federación demostrativa de clubes de oriundos de Zacatecas en el sur de California. "
            "Demo federation of Zacatecan hometown clubs in Southern California."
        ),
        hometown_state="Zacatecas",
        us_city="Los Angeles",
        us_state="California",
        founded_year=1972,
        public_contact="contacto@" + EMAIL_DOMAIN,
        parity_baseline=0.439,
    )
    db.session.add(federation)
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")
    women, men = WOMEN[:], MEN[:]
    rng.shuffle(women)
    rng.shuffle(men)
    people: list[tuple[str, Gender]] = [(w, Gender.WOMAN) for w in women] + [(m, Gender.MAN) for m in men]
    rng.shuffle(people)
    admin = User(email=f"admin@{EMAIL_DOMAIN}", display_name="Admin Demo", password_hash=password_hash,
                 locale="es", is_admin=True, is_deleted=False)
    db.session.add(admin)
    n = 0
    officers: list[User] = []
    for index, (club_name, hometown, city, year) in enumerate(CLUBS):
        club = Organization(
            kind=OrganizationKind.CLUB, name=club_name, slug=_slug(club_name), parent=federation, description="",
            hometown_municipality=hometown, hometown_state="Zacatecas", us_city=city, us_state="California",
            founded_year=year, public_contact=f"{_slug(club_name)}@{EMAIL_DOMAIN}",
        )
        db.session.add(club)
        for position in range(10):
            first, gender = people[n]
            last = SURNAMES[(n * 7 + index) % len(SURNAMES)]
            n += 1
            user = User(
                email=_email(first, last, n), display_name=f"{first} {last}", password_hash=password_hash,
                locale="es" if n % 5 else "en", gender=gender, is_admin=False, is_deleted=False,
            )
            db.session.add(user)
            role = Role.OFFICER if position < 2 else Role.MEMBER
            db.session.add(Membership(user=user, organization=club, role=role, status=MembershipStatus.ACTIVE))
            if role is Role.OFFICER:
                officers.append(user)
    # A board of five officers from five clubs, two women and three men (close to the federation's parity).
    women_officers = [u for u in officers if u.gender is Gender.WOMAN]
    men_officers = [u for u in officers if u.gender is Gender.MAN]
    for user in women_officers[:2] + men_officers[:3]:
        db.session.add(Membership(user=user, organization=federation, role=Role.BOARD, status=MembershipStatus.ACTIVE))
    db.session.commit()
    return DemoResult(True, federation.name, federation.slug, DEMO_PASSWORD, _logins(federation))


def _slug(name: str) -> str:
    from deliberate.organizations.services import slugify

    return slugify(name)


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
