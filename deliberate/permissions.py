"""Who may do what in an organization: one place for the role rules.

A person's role in a club is their own active membership there; a federation's board and admins act as officers
of every club in it. A person is a member of a federation through an active membership in any of its clubs, or
through a membership in the federation itself (board, admin). A site administrator may do everything.

Each rule about a consultation (see it, take part, vote, see the results or the map, moderate, act as its board) is
written here once; services and views ask these functions, and views load a consultation with
:func:`consultation_or_404`, which checks what the page needs in the same call.
"""

from __future__ import annotations

import enum
import functools

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, bindparam, select

from deliberate.domain.phases import Phase
from deliberate.extensions import db, login_manager
from deliberate.models import Agenda, Assembly, Consultation, Membership, MembershipStatus, Organization, Role, User


def _own_role(user: User, organization: Organization) -> Role | None:
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.organization_id == organization.id,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    return membership.role if membership else None


def role_in(user: User | None, organization: Organization) -> Role | None:
    """Return the strongest role the user holds in the organization, or None for an outsider."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_admin:
        return Role.ADMIN
    own = _own_role(user, organization)
    if organization.is_club:
        federation_role = _own_role(user, organization.federation) if organization.parent else None
        if federation_role is not None and federation_role.rank >= Role.BOARD.rank:
            return federation_role if own is None or federation_role.rank > own.rank else own
        return own
    if own is not None:
        return own
    in_a_club = db.session.scalar(
        select(Membership.id)
        .join(Organization, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == user.id,
            Membership.status == MembershipStatus.ACTIVE,
            Organization.parent_id == organization.id,
        )
        .limit(1)
    )
    return Role.MEMBER if in_a_club else None


def has_role(user: User | None, organization: Organization, minimum: Role) -> bool:
    """Tell whether the user holds at least the given role in the organization."""
    role = role_in(user, organization)
    return role is not None and role.rank >= minimum.rank


def require_role(organization: Organization, minimum: Role) -> Role:
    """Return the current user's role in the organization, or stop the request with 403."""
    role = role_in(current_user, organization)
    if role is None or role.rank < minimum.rank:
        abort(403)
    return role


def club_membership(user: User, federation: Organization) -> Membership | None:
    """Return the user's active club membership within a federation (members belong to one club there)."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(_club_membership_query(Membership), {"user_id": user.id, "federation_id": federation.id})


@functools.cache
def _club_membership_query(entity: type[Membership] | type[Organization]) -> Select:
    """Select the person's active club membership in a federation, or its club (``user_id``, ``federation_id``).

    Built once per process, with its values as parameters: every cast and every page of a consultation asks it,
    and building the statement cost more than running it.
    """
    return (
        select(entity)
        .select_from(Membership)
        .join(Organization, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == bindparam("user_id"),
            Membership.status == MembershipStatus.ACTIVE,
            Organization.parent_id == bindparam("federation_id"),
        )
        .order_by(Membership.id)
        .limit(1)
    )


# --- the rules of a consultation and its agenda, each once ------------------------------------------------------

def federation_of(subject: Organization | Consultation | Agenda) -> Organization:
    """Return the federation a consultation, an agenda or an organization (a club: its parent) belongs to."""
    if isinstance(subject, Agenda):
        subject = subject.consultation
    if isinstance(subject, Consultation):
        return subject.federation
    return subject.federation if subject.is_club and subject.parent is not None else subject


def is_board(user: User | None, subject: Organization | Consultation | Agenda) -> bool:
    """Tell whether the person acts as board of the federation (its board, its admins, a site administrator)."""
    return has_role(user, federation_of(subject), Role.BOARD)


def is_member(user: User | None, subject: Organization | Consultation | Agenda) -> bool:
    """Tell whether the person belongs to the federation: a member of one of its clubs, its board or a site admin."""
    return has_role(user, federation_of(subject), Role.MEMBER)


def can_view(user: User | None, consultation: Consultation) -> bool:
    """A consultation: anyone once it leaves draft, only its board before."""
    return consultation.phase is not Phase.DRAFT or is_board(user, consultation)


def participant_membership(user: User | None, consultation: Consultation) -> Membership | None:
    """Return the club membership through which the person takes part (submits, reacts, argues), or None."""
    if user is None or not user.is_authenticated or getattr(user, "is_pseudonymous", False):
        return None
    return club_membership(user, consultation.federation)


def can_take_part(user: User | None, consultation: Consultation) -> bool:
    """Submit demands, react and argue: a member of one of the federation's clubs, through that club."""
    return participant_membership(user, consultation) is not None


def voting_club(user: User | None, consultation: Consultation) -> Organization | None:
    """Return the club through which the person votes in this consultation, or None if they may not vote."""
    if user is None or not user.is_authenticated:
        return None
    # club_membership's query, loading the club instead of the membership: one query for every cast
    return db.session.scalar(_club_membership_query(Organization),
                             {"user_id": user.id, "federation_id": consultation.federation_id})


def can_vote(user: User | None, consultation: Consultation) -> bool:
    """Vote: a member of one of the federation's clubs (one ballot, counted with that club)."""
    return voting_club(user, consultation) is not None


def can_see_results(user: User | None, consultation: Consultation) -> bool:
    """Results and receipts: anyone once published; the federation's members after the count."""
    if consultation.phase is Phase.PUBLISHED:
        return True
    return consultation.phase is Phase.TALLIED and is_member(user, consultation)


def can_see_items(user: User | None, consultation: Consultation) -> bool:
    """Agenda items and where demands went: the federation's members, everyone once consolidation is over."""
    if consultation.phase in (Phase.DRAFT, Phase.COLLECTING, Phase.CONSOLIDATING):
        return is_member(user, consultation)
    return True


def can_see_map(user: User | None, consultation: Consultation) -> bool:
    """The opinion map: the federation's members once out of draft (the board before), everyone once published."""
    if consultation.phase is Phase.PUBLISHED:
        return True
    if consultation.phase is Phase.DRAFT:
        return is_board(user, consultation)
    return is_member(user, consultation)


def can_moderate(user: User | None, consultation: Consultation) -> bool:
    """Hide and restore demands and arguments, review reports, recompute the map: the federation's board."""
    return is_board(user, consultation)


def is_club_officer(user: User | None, club: Organization | None) -> bool:
    """Tell whether the person is an officer of this very club (their own membership, not the federation's board)."""
    if user is None or not user.is_authenticated or club is None:
        return False
    role = _own_role(user, club)
    return role is not None and role.rank >= Role.OFFICER.rank


# --- acting for the federation or a club --------------------------------------------------------------------------

def can_act_for(user: User | None, federation: Organization, club: Organization | None = None) -> bool:
    """Plan an event or post a volunteer role in an organization's name: the board for the federation and any of
    its clubs, a club's officers for their own club."""
    if club is None:
        return is_board(user, federation)
    return club.is_club and club.parent_id == federation.id and has_role(user, club, Role.OFFICER)


def clubs_acted_for(user: User | None, federation: Organization) -> list[Organization]:
    """Return the clubs of the federation the person may act for (all of them for the board)."""
    return [club for club in federation.clubs() if can_act_for(user, federation, club)]


def may_act_for_any(user: User | None, federation: Organization) -> bool:
    """Tell whether the person may act for the federation or for at least one of its clubs."""
    return is_board(user, federation) or bool(clubs_acted_for(user, federation))


# --- club assemblies ----------------------------------------------------------------------------------------------

def can_record_assembly(user: User | None, club: Organization) -> bool:
    """Record a club's assembly and, once co-signed, enter what it decided: the club's officers (and the board)."""
    return club.is_club and has_role(user, club, Role.OFFICER)


def can_see_assembly(user: User | None, assembly: Assembly) -> bool:
    """An assembly's record and minutes: the federation's members (its ballots are never shown, only counted)."""
    return is_member(user, assembly.consultation)


def can_cosign_assembly(user: User | None, assembly: Assembly) -> bool:
    """Co-sign an assembly's record: another officer of the club or a board member, not the one who recorded it."""
    return (not assembly.is_cosigned and user is not None and user.is_authenticated
            and user.id != assembly.recorded_by_id and can_record_assembly(user, assembly.club))


def can_enter_for_assembly(user: User | None, assembly: Assembly) -> bool:
    """Mark paper voters, type paper ballots and enter demands: an officer of the club, once the record is
    co-signed (until then nothing of the assembly counts)."""
    return assembly.is_cosigned and can_record_assembly(user, assembly.club)


def assembly_or_404(assembly_id: int) -> Assembly:
    """Load an assembly the current person may see: 404 for one they may not know exists."""
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None or not can_view(current_user, assembly.consultation):
        abort(404)
    if not can_see_assembly(current_user, assembly):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return assembly


# --- the one loader of views ----------------------------------------------------------------------------------

class Need(enum.Enum):
    """What a page needs of the person, beyond seeing that the consultation exists."""

    VIEW = "view"
    MEMBER = "member"
    ITEMS = "items"
    MAP = "map"
    BOARD = "board"


_NEEDS = {
    Need.VIEW: lambda user, consultation: True,
    Need.MEMBER: is_member,
    Need.ITEMS: can_see_items,
    Need.MAP: can_see_map,
    Need.BOARD: is_board,
}


def consultation_or_404(consultation_id: int, need: Need = Need.VIEW) -> Consultation:
    """Load a consultation for the current person and check what the page needs, in one call.

    404 for what the person may not know exists (a missing consultation, a draft outside its board). Past that, a
    person who lacks what the page needs gets 403, or is sent to log in when anonymous on a members' page.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not can_view(current_user, consultation):
        abort(404)
    if not _NEEDS[need](current_user, consultation):
        if need is not Need.BOARD and not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return consultation
