"""The demo federation's leadership work: a women's leadership workshop with its RSVPs, waiting list and
attendance, an assembly still to come, a mentoring pairing with a meeting, quota rules over its leadership, and
volunteer roles some members took up, all written through the services the board and the members use.
Idempotent: a federation that already has the women's leadership track (or volunteer roles) is left as it is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from deliberate.domain.events import WOMENS_LEADERSHIP, EventKind, EventMode
from deliberate.domain.gender import Gender
from deliberate.domain.health import Body
from deliberate.events import documents
from deliberate.events import services as events
from deliberate.extensions import db
from deliberate.health import services as health
from deliberate.mentoring import services as mentoring
from deliberate.models import Membership, MembershipStatus, Organization, Role, User, utcnow
from deliberate.models.events import Track
from deliberate.models.volunteers import VolunteerRole
from deliberate.volunteers import services as volunteers

WORKSHOP_SEATS = 8


def _board(federation: Organization) -> User:
    return db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == federation.id, Membership.role == Role.BOARD,
               Membership.status == MembershipStatus.ACTIVE).order_by(Membership.id)).first()


def _club_people(federation: Organization) -> list[tuple[User, int, Role]]:
    rows = db.session.execute(
        select(User, Membership.organization_id, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id.in_([club.id for club in federation.clubs()]),
               Membership.status == MembershipStatus.ACTIVE).order_by(Membership.id)).all()
    return [(user, club_id, role) for user, club_id, role in rows]


def worksheet_pdf() -> bytes:
    """Write the workshop's one-page worksheet as a small, valid PDF (text only, no metadata)."""
    lines = ["Taller de liderazgo de mujeres / Women's leadership workshop",
             "1. Mi demanda en una frase / My demand in one sentence",
             "2. A quien se la digo / Whom I say it to",
             "3. Que pido que hagan y para cuando / What I ask them to do, and by when"]
    text = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(
        "(" + line.replace("\\", "").replace("(", "").replace(")", "") + ") Tj T*" for line in lines) + " ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode("latin-1"))]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    return bytes(out)


def seed_leadership(federation: Organization) -> bool:
    """Give the demo federation its workshop, mentoring and quota rules once; return whether anything was added."""
    if db.session.scalar(select(Track.id).where(Track.federation_id == federation.id,
                                                Track.slug == WOMENS_LEADERSHIP)):
        return False
    board = _board(federation)
    track = events.add_womens_track(federation, board)
    now = utcnow().replace(second=0, microsecond=0)
    starts = now - timedelta(days=12)
    workshop = events.create_event(federation, board, events.EventFields(
        title_es="Taller de liderazgo de mujeres: hablar en la asamblea",
        title_en="Women's leadership workshop: speaking up in the assembly",
        description_es="Cómo preparar una intervención, pedir la palabra y sostener una demanda ante autoridades.",
        description_en="How to prepare a statement, take the floor and hold a demand before officials.",
        starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=WORKSHOP_SEATS, kind=EventKind.WORKSHOP,
        mode=EventMode.IN_PERSON, address="Centro Comunitario Zacatecano, 1200 W Olympic Blvd, Los Angeles",
        track_id=track.id, is_reserved=True))
    people = _club_people(federation)
    women = [user for user, _club, _role in people if user.gender is Gender.WOMAN]
    answered = starts - timedelta(days=7)
    for number, woman in enumerate(women[:WORKSHOP_SEATS + 3]):
        events.rsvp(workshop, woman, now=answered + timedelta(minutes=number))
    events.cancel_rsvp(workshop, women[1])  # her seat goes to the first woman waiting
    going, _waiting = events.roster(workshop)
    events.record_attendance(workshop, board, [rsvp.id for rsvp in going[:WORKSHOP_SEATS - 2]])
    events.add_material(workshop, board, "Guía para tomar la palabra / Speaking-up guide",
                        "https://example.org/guia-liderazgo")
    documents.add_document(workshop, board, "Hoja de trabajo del taller / Workshop worksheet",
                           "hoja-de-trabajo.pdf", worksheet_pdf())
    coming = now + timedelta(days=20)
    assembly = events.create_event(federation, board, events.EventFields(
        title_es="Asamblea de la federación", title_en="Federation assembly", starts_at=coming,
        ends_at=coming + timedelta(hours=2), capacity=60, kind=EventKind.ASSEMBLY, mode=EventMode.ONLINE,
        online_link="https://meet.example.org/asamblea-federacion"))
    for user, _club, _role in people[:6]:
        events.rsvp(assembly, user)

    club_of = {user.id: club for user, club, _role in people}
    mentors = [user for user, _club, role in people if role is Role.OFFICER and user.gender is Gender.WOMAN]
    mentor = mentors[0]
    mentoring.offer_to_mentor(federation, mentor, "Llevar la tesorería del club, preparar asambleas")
    mentee = next(w for w in women if club_of[w.id] != club_of[mentor.id] and w.id != mentor.id)
    request = mentoring.ask_for_mentor(federation, mentee, "Quiero aprender a llevar la tesorería de mi club", True)
    pairing = mentoring.pair(request, mentor, board)
    mentoring.record_meeting(pairing, mentee, (now - timedelta(days=3)).date(), "Revisamos el libro de cuentas.")

    health.set_quota(federation, board, Body.BOARD, 40)
    health.set_quota(federation, board, Body.OFFICERS, 40)
    return True




def seed_volunteering(federation: Organization) -> bool:
    """Give the demo federation volunteer roles, some filled, once; return whether anything was added.

    The people who volunteer come from every club but the first, whose member and officer are the demo's log-ins:
    a newcomer logged in as them finds the first club's caravan role still open to take up.
    """
    if db.session.scalar(select(VolunteerRole.id).where(VolunteerRole.federation_id == federation.id)):
        return False
    board = _board(federation)
    clubs = federation.clubs()
    first, second = clubs[0], clubs[1]
    officer_of_first = next(user for user, club_id, role in _club_people(federation)
                            if club_id == first.id and role is Role.OFFICER)
    officer_of_second = next(user for user, club_id, role in _club_people(federation)
                             if club_id == second.id and role is Role.OFFICER)
    today = volunteers.today_for(federation)
    caravan = volunteers.post_role(federation, officer_of_first, volunteers.RoleFields(
        title_es="Chofer para la caravana de diciembre", title_en="Driver for the December caravan", places=4,
        description_es="Manejar una camioneta de la caravana a Zacatecas; licencia vigente.",
        description_en="Drive one of the caravan's vans to Zacatecas; a valid licence.",
        ends_on=today + timedelta(days=10), club_id=first.id))
    treasurer = volunteers.post_role(federation, officer_of_second, volunteers.RoleFields(
        title_es="Tesorería del club", title_en="Club treasurer", places=1,
        description_es="Llevar el libro de cuentas y presentar el informe en la asamblea.",
        description_en="Keep the accounts and report to the assembly.", club_id=second.id))
    translation = volunteers.post_role(federation, board, volunteers.RoleFields(
        title_es="Traducción español-inglés", title_en="Spanish-English translation", places=3,
        description_es="Traducir las demandas y la agenda para las autoridades de los Estados Unidos.",
        description_en="Translate the demands and the agenda for officials in the United States."))
    event_help = volunteers.post_role(federation, board, volunteers.RoleFields(
        title_es="Apoyo en eventos", title_en="Event help", places=20,
        description_es="Recibir a la gente, registrar la asistencia y acomodar la sala.",
        description_en="Welcome people, take attendance and set up the room."))
    helpers = [user for user, club_id, role in _club_people(federation) if club_id != first.id and role is Role.MEMBER]
    women = [user for user in helpers if user.gender is Gender.WOMAN]
    men = [user for user in helpers if user.gender is Gender.MAN]
    for user in women[:6] + men[:5]:
        volunteers.take_role(event_help, user)
    volunteers.take_role(treasurer, women[6])
    volunteers.set_shown(treasurer, women[6], True)
    for user in (women[7], men[5]):
        volunteers.take_role(translation, user)
    volunteers.set_shown(translation, women[7], True)
    volunteers.take_role(caravan, men[6])
    return True
