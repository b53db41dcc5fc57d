"""Who may do what in an organization: one place for the role rules.

A person's role in a club is their own active membership there; a federation's board and admins act as officers
of every club in it. A person is a member of a federation through an active membership in any of its clubs, or
through a membership in the federation itself (board, admin). A site administrator may do everything.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from deliberate.extensions import db
from deliberate.models import Membership, MembershipStatus, Organization, Role, User


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
    return db.session.scalar(
        select(Membership)
        .join(Organization, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == user.id,
            Membership.status == MembershipStatus.ACTIVE,
            Organization.parent_id == federation.id,
        )
        .order_by(Membership.id)
        .limit(1)
    )
