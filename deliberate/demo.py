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
        _seed_demo_consultation(federation)
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
        time_zone="America/Los_Angeles",  # the clubs meet in Southern California
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
    _seed_demo_consultation(federation)
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


# --------------------------------------------------------------------------------------------------------------
# The demo consultation: collecting demands, with reactions that have some opinion structure

CONSULTATION_TITLE_ES = "Agenda 2027 de la Federación"
CONSULTATION_TITLE_EN = "2027 Federation Agenda"

# (club index, language, category slug, target, theme, title, body). Near-duplicates across clubs on purpose.
DEMANDS: list[tuple[int, str, str, str, str, str, str]] = [
    (0, "es", "health", "mexican_state", "health", "Un médico de planta para la clínica de Jerez",
     "La clínica de salud de la comunidad solo tiene doctor dos días por semana. Las señoras grandes tienen que "
     "ir hasta Zacatecas para una consulta. Pedimos al gobierno del estado **un médico de planta** y medicinas "
     "básicas."),
    (3, "es", "health", "mexican_state", "health", "Doctor permanente en el centro de salud de Juchipila",
     "El centro de salud pasa semanas sin médico. Proponemos que la Secretaría de Salud asigne un doctor "
     "permanente y que el club ayude con el equipo."),
    (6, "en", "health", "mexican_state", "health", "A full-time doctor and an ambulance for Fresnillo's villages",
     "Our relatives in the rancherías wait hours for an ambulance. We ask the state for a full-time doctor and "
     "one ambulance shared by the villages."),
    (4, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Agua potable para la comunidad de "
     "Jalpa", "Hace falta rehabilitar el pozo y poner la red de agua potable en los barrios de arriba. Hay "
     "familias que compran pipas cada semana."),
    (2, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Red de agua potable en Nochistlán",
     "Pedimos terminar la red de agua potable y arreglar el tanque elevado. Con el 3x1 el club puede poner su "
     "parte."),
    (0, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Pavimentar el camino de Jerez a "
     "Los Haro", "El camino se hace lodazal en tiempo de aguas y los niños no pueden llegar a la escuela. "
     "Proponemos pavimentarlo con un proyecto 3x1."),
    (1, "es", "hometown-infrastructure", "mexican_state", "infra", "Arreglar la carretera a Tlaltenango",
     "La carretera tiene baches peligrosos; ya hubo accidentes. Que el estado la repare antes de las fiestas de "
     "enero, cuando bajan los paisanos."),
    (5, "en", "hometown-infrastructure", "hometown_municipality", "infra", "Pave the road to Valparaíso's "
     "ranchos", "The dirt road floods every rainy season. Paving it would let families bring their harvest to "
     "town and kids get to school."),
    (7, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Drenaje y alumbrado en Sombrerete",
     "Las colonias nuevas no tienen drenaje ni alumbrado público. Pedimos un plan con el municipio y el club."),
    (4, "es", "education", "mexican_state", "youth", "Becas para estudiantes de prepa en Jalpa",
     "Muchos jóvenes dejan la prepa para irse al norte. Proponemos becas de transporte y útiles, pagadas entre "
     "el club y el gobierno del estado."),
    (3, "es", "education", "mexican_state", "youth", "Becas universitarias para jóvenes de Juchipila",
     "Que el programa de becas cubra a los hijos de migrantes que se quedaron allá, para que puedan estudiar en "
     "la universidad de Zacatecas."),
    (6, "en", "education", "us_state", "youth", "College scholarships for children of club members in "
     "California", "Our kids here also need help: a federation scholarship fund, and help applying for Cal "
     "Grant and the California Dream Act."),
    (1, "es", "migration-legal-help", "consulate", "rights", "Consulado móvil en Santa Ana para matrículas y "
     "pasaportes", "Muchas familias no pueden faltar al trabajo para ir al consulado. Pedimos un consulado "
     "móvil cada tres meses en el salón del club."),
    (4, "es", "migration-legal-help", "consulate", "rights", "Necesitamos un mobile consulate en Riverside",
     "Para sacar la matrícula consular y el passport hay que manejar hasta San Bernardino y las citas se "
     "acaban. Un mobile consulate en Riverside ayudaría mucho a la raza."),
    (2, "en", "migration-legal-help", "consulate", "rights", "Consular ID and passport appointments in Pomona",
     "Appointments run out in minutes. We ask the consulate for a monthly mobile office in Pomona with "
     "appointments reserved for elders."),
    (3, "en", "migration-legal-help", "us_federal", "rights", "Free legal help for DACA renewals",
     "Many of our young members have DACA. We ask the federation to organise free legal clinics for renewals "
     "and to press Congress for a permanent solution."),
    (0, "es", "migration-legal-help", "us_city", "rights", "Asesoría legal gratuita para DACA y ciudadanía",
     "Que la federación tenga convenios con abogados y la ciudad de Los Ángeles para talleres gratis de DACA, "
     "ciudadanía y defensa contra fraudes de notarios."),
    (6, "es", "migration-legal-help", "consulate", "rights", "Que el consulado ayude con la doble nacionalidad",
     "Nuestros hijos nacidos aquí necesitan su acta mexicana. Pedimos jornadas de doble nacionalidad en Long "
     "Beach."),
    (7, "en", "migration-legal-help", "us_state", "rights", "Know-your-rights workshops in Huntington Park",
     "Families are afraid after the raids. We ask the state and the federation for know-your-rights workshops "
     "and a hotline in Spanish."),
    (1, "es", "economy-remittances", "us_federal", "econ", "Bajar las comisiones de las remesas",
     "Las empresas cobran mucho por enviar dinero y por el tipo de cambio. Pedimos que la federación negocie "
     "tarifas más bajas y que se informe cuál conviene."),
    (5, "en", "economy-remittances", "us_federal", "econ", "Lower remittance fees for our families",
     "Sending 300 dollars can cost 15 in fees and a bad exchange rate. We want a campaign for lower remittance "
     "fees and a comparison of services."),
    (2, "es", "economy-remittances", "mexican_federal", "econ", "Que regrese el Programa 3x1 para Migrantes",
     "Desde que se acabó el 3x1 los clubes ya no tienen con quién hacer obras. Pedimos al gobierno federal que "
     "regrese el programa o uno parecido."),
    (0, "es", "economy-remittances", "mexican_state", "econ", "Un programa estatal 2x1 para obras de los clubes",
     "Mientras no haya 3x1 federal, que el gobierno de Zacatecas ponga un peso por cada peso del club para "
     "obras comunitarias."),
    (4, "es", "economy-remittances", "hometown_municipality", "pueblo_only", "Que los fondos 3x1 sean solo para "
     "agua y caminos", "Las obras de agua y caminos son lo más urgente. Proponemos que el dinero de los "
     "proyectos tipo 3x1 no se use en fiestas ni en otras cosas."),
    (5, "es", "women", "mexican_state", "women_money", "Que el 20% de los proyectos 3x1 sea para "
     "cooperativas de mujeres", "Las mujeres de los pueblos sostienen a las familias. Pedimos que una parte "
     "fija de los proyectos sea para sus cooperativas."),
    (3, "es", "women", "mexican_state", "women", "Apoyo a la cooperativa de mujeres de Juchipila",
     "La cooperativa hace dulces y conservas. Pedimos capacitación, un local y ayuda para vender aquí en "
     "California."),
    (7, "es", "women", "hometown_municipality", "women", "Taller de costura para las señoras de Sombrerete",
     "Con máquinas y una maestra, las señoras pueden tener un ingreso propio. El club puede juntar para las "
     "máquinas."),
    (1, "en", "women", "us_city", "women", "Women on the board of every club",
     "Most clubs are run by men. We propose that every club have at least one woman officer and that the "
     "federation train new women leaders."),
    (6, "es", "women", "us_state", "women", "Guardería para las socias que trabajan",
     "Muchas socias no pueden ir a las juntas porque no tienen quién cuide a los niños. Pedimos guardería en "
     "las juntas y eventos."),
    (0, "es", "culture-sport", "hometown_municipality", "culture", "Rescatar la Feria de Jerez y la tamborada",
     "La tradición se está perdiendo. Pedimos apoyo para la tamborada, la banda y los grupos de danza de la "
     "feria."),
    (2, "en", "culture-sport", "us_city", "youth", "A youth soccer league for the clubs' kids",
     "A federation league on Saturdays in Pomona would keep kids active and connected to their roots. We need "
     "fields, uniforms and referees."),
    (5, "es", "culture-sport", "us_city", "youth", "Liga de fútbol juvenil de la federación",
     "Que la federación organice una liga de fútbol para los jóvenes de todos los clubes, con uniformes y "
     "canchas en Anaheim."),
    (7, "en", "culture-sport", "us_city", "culture", "Ballet folklórico classes for the kids",
     "Our children are losing the language and the dances. Weekly folklórico and Spanish classes at the club "
     "would help."),
    (3, "es", "culture-sport", "us_city", "austerity", "Menos dinero en jaripeos y más en becas",
     "Cada año se gasta mucho en jaripeos y bailes. Proponemos que ese dinero se vaya a becas y ayuda legal."),
    (6, "es", "youth", "us_city", "youth", "Talleres para jóvenes: inglés, computación y oficios",
     "Los muchachos que recién llegaron necesitan inglés y un oficio. Pedimos talleres en la tarde en Long "
     "Beach."),
    (4, "en", "youth", "us_state", "youth", "Mental health support for migrant youth",
     "Teens in our families deal with separation and stress. We ask for counselors who speak Spanish and "
     "understand migration."),
    (1, "es", "health", "us_state", "rights", "Que Medi-Cal cubra a todos sin importar papeles",
     "Pedimos a la federación apoyar la ampliación de Medi-Cal para adultos sin papeles y ayudar a las "
     "familias a inscribirse."),
    (2, "es", "health", "us_city", "health", "Ferias de salud en los clubes: diabetes y presión",
     "Muchos paisanos tienen diabetes y no lo saben. Pedimos ferias de salud con pruebas gratis en los "
     "salones de los clubes."),
    (5, "other", "migration-legal-help", "consulate", "rights", "Matrícula y pasaporte: citas para los "
     "abuelitos", "Los abuelitos no saben usar MiConsulado. Necesitamos citas por teléfono y alguien que les "
     "ayude, plis, que el consulado ponga un módulo especial."),
    (7, "other", "economy-remittances", "mexican_federal", "econ", "Remesas sin cobro y con buen tipo de "
     "cambio", "Que el gobierno federal tenga una app para mandar remesas sin fee, porque las companies se "
     "quedan con mucho del dinero que mandamos pa' la familia."),
]

# How likely each opinion camp is to agree with each theme of demand (the rest splits into disagree and pass).
CAMPS = ("pueblo", "aqui", "mujeres")
AGREEMENT = {
    "health": (0.9, 0.7, 0.8),
    "infra": (0.92, 0.45, 0.5),
    "rights": (0.5, 0.95, 0.75),
    "econ": (0.8, 0.65, 0.55),
    "youth": (0.6, 0.85, 0.85),
    "women": (0.4, 0.6, 0.95),
    "culture": (0.85, 0.35, 0.7),
    "pueblo_only": (0.85, 0.2, 0.1),
    "women_money": (0.2, 0.55, 0.95),
    "austerity": (0.2, 0.8, 0.5),
}
CLUB_CAMPS = ("pueblo", "aqui", "pueblo", "aqui", "pueblo", "mujeres", "aqui", "mujeres")


def _seed_demo_consultation(federation: Organization) -> None:
    """Create the demo federation's consultation once: collecting, with demands and members' reactions."""
    from datetime import timedelta

    from sqlalchemy import insert

    from deliberate.consultations.services import ensure_default_categories
    from deliberate.domain.phases import Phase
    from deliberate.models import Consultation, Demand, DemandVersion, Language, Reaction, Target, utcnow
    from deliberate.text import render_markdown

    exists = db.session.scalar(
        select(Consultation.id).where(
            Consultation.federation_id == federation.id, Consultation.title_es == CONSULTATION_TITLE_ES
        )
    )
    if exists is not None:
        return
    categories = {c.slug: c.id for c in ensure_default_categories(federation)}
    rng = random.Random(2027)
    now = utcnow().replace(microsecond=0)
    today = now.date()
    board = db.session.scalars(
        select(Membership).where(Membership.organization_id == federation.id, Membership.role == Role.BOARD)
        .order_by(Membership.id)
    ).first()
    consultation = Consultation(
        federation_id=federation.id,
        title_es=CONSULTATION_TITLE_ES,
        title_en=CONSULTATION_TITLE_EN,
        description_es=(
            "Cada club trae las demandas de sus socios y de su pueblo. Entre todos armamos **una sola agenda** "
            "para presentarla al gobierno de Zacatecas, al consulado y a las ciudades donde vivimos."
        ),
        description_en=(
            "Each club brings the demands of its members and its hometown. Together we build **one agenda** to "
            "present to the government of Zacatecas, the consulate and the cities where we live."
        ),
        phase=Phase.COLLECTING,
        phase_changed_at=now - timedelta(days=21),
        created_at=now - timedelta(days=25),
        created_by_id=board.user_id if board else None,
        collecting_until=today + timedelta(days=30),
        consolidating_until=today + timedelta(days=45),
        deliberating_until=today + timedelta(days=75),
        voting_until=today + timedelta(days=90),
        agenda_size=10,
    )
    db.session.add(consultation)
    db.session.flush()
    named = {club.name: club for club in federation.clubs()}
    clubs = [named[name] for name, *_ in CLUBS if name in named] or federation.clubs()
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.organization_id.in_([c.id for c in clubs]), Membership.status == MembershipStatus.ACTIVE)
        .order_by(Membership.id)
    ).all()
    by_club: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_club.setdefault(membership.organization_id, []).append(membership)
    # Each member's opinion camp: mostly their club's leaning; many women lean to the women's agenda; some noise.
    camp_of: dict[int, int] = {}
    for index, club in enumerate(clubs):
        for membership in by_club.get(club.id, []):
            camp = CAMPS.index(CLUB_CAMPS[index % len(CLUB_CAMPS)])
            if membership.user.gender is Gender.WOMAN and rng.random() < 0.35:
                camp = CAMPS.index("mujeres")
            elif rng.random() < 0.15:
                camp = rng.randrange(len(CAMPS))
            camp_of[membership.user_id] = camp

    demands: list[tuple[Demand, str]] = []
    ages = sorted((rng.uniform(0.5, 20.0) for _ in DEMANDS), reverse=True)
    for (club_index, language, category, target, theme, title, body), age in zip(DEMANDS, ages, strict=True):
        club = clubs[club_index % len(clubs)]
        members = by_club[club.id]
        author = rng.choice(members)
        created = now - timedelta(days=age)
        demand = Demand(
            consultation_id=consultation.id, author_id=author.user_id, club_id=club.id, title=title, body=body,
            body_html=render_markdown(body), category_id=categories.get(category), target=Target(target),
            language=Language(language), created_at=created, updated_at=created,
        )
        db.session.add(demand)
        demands.append((demand, theme))
    db.session.flush()

    # One demand was edited once (its history shows), and a few carry their club's endorsement.
    edited = demands[0][0]
    db.session.add(DemandVersion(
        demand_id=edited.id, version=1, title="Doctor para la clínica", body="La clínica no tiene doctor.",
        category_id=edited.category_id, target=edited.target, language=edited.language,
        created_at=edited.created_at + timedelta(hours=5),  # when it was replaced
    ))
    edited.version = 2
    for demand, _theme in demands[::6]:
        officer = next((m for m in by_club[demand.club_id] if m.role is Role.OFFICER), None)
        if officer is not None:
            demand.endorsed_at, demand.endorsed_by_id = demand.created_at + timedelta(days=1), officer.user_id

    rows = []
    for membership in memberships:
        if rng.random() < 0.12:  # a few members have not taken part yet
            continue
        camp = camp_of[membership.user_id]
        share = rng.uniform(0.45, 1.0)
        for demand, theme in demands:
            if demand.author_id == membership.user_id:
                value = 1  # authors agree with their own demand
            elif rng.random() > share:
                continue
            else:
                agree = AGREEMENT[theme][camp]
                draw = rng.random()
                value = 1 if draw < agree else (0 if draw < agree + (1 - agree) * 0.2 else -1)
            when = max(demand.created_at, now - timedelta(days=rng.uniform(0, 20)))
            rows.append({"demand_id": demand.id, "user_id": membership.user_id, "value": value,
                         "created_at": when, "updated_at": when})
    if rows:
        db.session.execute(insert(Reaction), rows)
    for demand, _theme in demands:
        values = [row["value"] for row in rows if row["demand_id"] == demand.id]
        demand.agree_count = values.count(1)
        demand.disagree_count = values.count(-1)
        demand.pass_count = values.count(0)
    db.session.commit()


def demo_ballot(leaning: dict[int, float]) -> tuple[list[list[int]], list[int]]:
    """Return a demo member's ranking and supported items from their leaning towards each item.

    The items are ranked by leaning; the member supports every item they lean towards (a net agreement of at
    least one with its demands), and at least their first: people accept more than their favourite, and not all.
    """
    ordered = sorted(leaning, key=lambda item: (-leaning[item], item))
    approved = [item for item in ordered if leaning[item] >= 1] or ordered[:1]
    return [[item] for item in ordered], sorted(approved)


def cast_demo_ballots(consultation_id: int, *, seed: int = 2029, abstain: float = 0.1) -> int:
    """Let the demo federation's members who have not voted yet cast a ballot; return how many were cast.

    Each member ranks the agenda items by how much they agreed with the demands linked to each item (their own
    reactions, plus a little noise), and supports those they lean towards (see :func:`demo_ballot`). About one
    member in ten abstains. Only the demo federation's consultations, and only while voting is open: these are real
    ballots cast in the members' names, for demonstrations and browser tests where a few people vote by hand.
    """
    from deliberate.ballots.services import active_items, cast_ballot
    from deliberate.domain.errors import Conflict, NotFound, PhaseClosed
    from deliberate.domain.phases import Phase
    from deliberate.models import BallotCast, Consultation, Reaction
    from deliberate.models.agenda import DemandPlacement

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.federation.slug != FEDERATION_SLUG:
        raise NotFound("consultation")
    if consultation.phase != Phase.VOTING:
        raise PhaseClosed(consultation.phase)
    items = [item.id for item in active_items(consultation)]
    linked: dict[int, list[int]] = {}
    for item_id, demand_id in db.session.execute(
            select(DemandPlacement.agenda_item_id, DemandPlacement.demand_id)
            .where(DemandPlacement.consultation_id == consultation.id, DemandPlacement.agenda_item_id.is_not(None))):
        linked.setdefault(item_id, []).append(demand_id)
    voted = set(db.session.scalars(select(BallotCast.user_id).where(BallotCast.consultation_id == consultation.id)))
    clubs = [club.id for club in consultation.federation.clubs()]
    members = db.session.scalars(
        select(Membership).where(Membership.organization_id.in_(clubs), Membership.status == MembershipStatus.ACTIVE)
        .order_by(Membership.id)).all()
    reactions: dict[tuple[int, int], int] = {
        (user_id, demand_id): value for user_id, demand_id, value in db.session.execute(
            select(Reaction.user_id, Reaction.demand_id, Reaction.value)
            .where(Reaction.user_id.in_([m.user_id for m in members]), Reaction.demand_id.in_(
                [d for demands in linked.values() for d in demands])))}
    rng = random.Random(seed)
    cast = 0
    for membership in members:
        if membership.user_id in voted or rng.random() < abstain:
            continue
        scores = {item: sum(reactions.get((membership.user_id, d), 0) for d in linked.get(item, []))
                  + rng.random() * 0.5 for item in items}
        ranking, approved = demo_ballot(scores)
        try:
            cast_ballot(consultation, membership.user, ranking, approved)
        except Conflict:  # voted meanwhile, or a member of two clubs already counted once
            continue
        voted.add(membership.user_id)
        cast += 1
    return cast
