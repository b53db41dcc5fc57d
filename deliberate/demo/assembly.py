"""The demo's club assemblies: Club Jerez meets in its church hall twice, through the services its officers use.

While demands are collected, an assembly raises a demand that an officer enters on the club's behalf. While voting
is open, a second assembly votes on paper: eight older members who never vote on a phone join the club, twelve
members hand in paper ballots, one officer marks them on the roll, and both officers type each of the twelve
sheets. The second officer mistypes one sheet; the disagreement is resolved by keeping the first entry, which
matches the paper. The paper ballots then join the club's count with the online ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from deliberate.assemblies import services as assemblies
from deliberate.demands.services import DemandInput
from deliberate.demo.content import DEMO_PASSWORD, EMAIL_DOMAIN, MEN, SURNAMES, WOMEN
from deliberate.domain import assembly as assembly_engine
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.models import (
    Assembly,
    Consultation,
    Demand,
    Language,
    Membership,
    MembershipStatus,
    Organization,
    Role,
    Target,
    User,
    utcnow,
)
from deliberate.organizations.services import decide_membership, request_membership

PAPER_BALLOTS = 12
OLDER_MEMBERS = 8
HALL = "Salón parroquial de San Juan, Los Angeles"
#: The demand raised at the collecting assembly: the same ask as a member's demand for Jerez's clinic, as happens.
ASSEMBLY_DEMAND = "Un médico todos los días en la clínica de Jerez"


def _officers(club: Organization) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == club.id, Membership.role == Role.OFFICER,
               Membership.status == MembershipStatus.ACTIVE).order_by(Membership.id)))


def _record(consultation: Consultation, club: Organization, days_ago: int, present: int, minutes: str) -> Assembly:
    first, second = _officers(club)[:2]
    data = assemblies.AssemblyInput(utcnow().date() - timedelta(days=days_ago), HALL, present, minutes)
    assembly = assemblies.record_assembly(consultation, club, first, data)
    return assemblies.cosign_assembly(assembly, second)


def assembly_demand(consultation: Consultation, club: Organization) -> Demand:
    """Hold the club's collecting assembly and enter the demand it raised."""
    assembly = _record(consultation, club, 9, 23, (
        "Asamblea mensual del club. Se leyó la convocatoria de la federación. Las personas mayores pidieron un "
        "médico de planta en la clínica de Jerez; se acordó llevarlo como demanda del club."))
    return assemblies.submit_assembly_demand(assembly, _officers(club)[1], DemandInput(
        title=ASSEMBLY_DEMAND, body=(
            "En la asamblea las personas mayores contaron que en la clínica de Jerez solo hay doctor dos días por "
            "semana. Pedimos al gobierno del estado un médico de planta, todos los días."),
        category_id=None, target=Target.MEXICAN_STATE, language=Language.ES))


def _older_members(club: Organization, admin: User) -> list[User]:
    """Return the club's older members who vote on paper, adding them the first time."""
    people = []
    for n in range(OLDER_MEMBERS):
        email = f"asamblea-{n + 1}@{EMAIL_DOMAIN}"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            woman = n % 2 == 0
            first = (WOMEN if woman else MEN)[-(n + 1)]
            user = User(email=email, display_name=f"{first} {SURNAMES[(n * 3) % len(SURNAMES)]}",
                        password_hash=generate_password_hash(DEMO_PASSWORD, method="scrypt"), locale="es",
                        gender=Gender.WOMAN if woman else Gender.MAN, is_admin=False, is_deleted=False)
            db.session.add(user)
            db.session.flush()
            decide_membership(request_membership(user, club), admin, approve=True)
        people.append(user)
    return people


def paper_vote(consultation: Consultation, club: Organization, admin: User,
               ballot_of: Callable[[User], tuple[list[list[int]], list[int]]]) -> set[int]:
    """Hold the club's voting assembly: twelve paper ballots, typed twice; return who voted on paper.

    ``ballot_of`` gives each paper voter's ranking and approvals, as they wrote them on their sheet.
    """
    older = _older_members(club, admin)
    officers = _officers(club)
    members = [user for user in db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == club.id, Membership.status == MembershipStatus.ACTIVE,
               Membership.role == Role.MEMBER).order_by(Membership.id)) if user.id not in {u.id for u in older}]
    voters = older + members[:PAPER_BALLOTS - len(older)]
    assembly = _record(consultation, club, 1, len(voters) + 3, (
        "Asamblea de votación. Se explicó cómo llenar la boleta; cada integrante presente votó en secreto y echó "
        "su boleta doblada en la urna. Al terminar, las dos personas dirigentes capturaron cada hoja."))
    assemblies.mark_paper_voters(assembly, officers[0], [user.id for user in voters])
    sheets = [(assembly_engine.new_sheet_code(), *ballot_of(voter)) for voter in voters]
    random.Random(consultation.id).shuffle(sheets)  # the stack of sheets is in no one's order
    for number, (code, ranking, approved) in enumerate(sheets):
        assemblies.enter_sheet(assembly, officers[0], code, ranking, approved)
        typed = [ranking[1], ranking[0], *ranking[2:]] if number == 3 and len(ranking) > 1 else ranking
        assemblies.enter_sheet(assembly, officers[1], code, typed, approved)  # sheet 4: first two swapped
    truth = {code: assembly_engine.PaperBallot.of(ranking, approved) for code, ranking, approved in sheets}
    for conflict in assemblies.entry_state(assembly).conflicts:  # checked against the paper: keep the true one
        kept = next(entry_id for entry_id, ballot in conflict.entries if ballot == truth[conflict.sheet])
        assemblies.resolve_sheet(assembly, officers[0], conflict.tag, kept)
    return {user.id for user in voters}
