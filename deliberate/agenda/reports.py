"""Minority reports: while the board's window is open, a dissenting club's officers write one in the club's name
(or a member in their own), and officers of other clubs co-sign it, once per club."""

from __future__ import annotations

from sqlalchemy import select

from deliberate import audit
from deliberate.agenda.draft import DRAFT_PHASES, MAX_TITLE, Draft, agenda_of, build_draft, report_window_open
from deliberate.domain import privacy
from deliberate.domain.errors import Conflict, PermissionDenied, ValidationFailed
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    Consultation,
    MinorityReport,
    MinorityReportCosign,
    Organization,
    Role,
    User,
    utcnow,
)
from deliberate.opinion.services import frozen_snapshot
from deliberate.permissions import club_membership
from deliberate.text import clean_text

MAX_REPORT = 3000
REPORT_LANGUAGES = ("es", "en")


# --- minority reports ---------------------------------------------------------------------------------------------

def reports_of(consultation: Consultation) -> list[MinorityReport]:
    return list(db.session.scalars(
        select(MinorityReport).where(MinorityReport.consultation_id == consultation.id)
        .order_by(MinorityReport.submitted_at, MinorityReport.id)))


def officer_club(user: User | None, consultation: Consultation) -> Organization | None:
    """Return the club in which the person is an officer (their own membership), or None."""
    if user is None or not user.is_authenticated:
        return None
    membership = club_membership(user, consultation.federation)
    if membership is None or membership.role.rank < Role.OFFICER.rank:
        return None
    return membership.organization


def own_group(user: User | None, consultation: Consultation) -> int | None:
    """Return the person's own opinion group in the frozen snapshot (only ever used for themself)."""
    if user is None or not user.is_authenticated or club_membership(user, consultation.federation) is None:
        return None
    snapshot = frozen_snapshot(consultation)
    if snapshot is None:
        return None
    entry = (snapshot.result or {}).get(str(user.id)) or {}
    return entry.get("group")


def minority_clubs(draft: Draft) -> set[str]:
    """Return the slugs of clubs entitled to a report: dissenting on an agenda item, or left out of their first."""
    clubs = {club for item in draft.analysis.minority.items for club in item.dissenting_clubs}
    clubs |= {club for priority in draft.analysis.minority.priorities for club in priority.first_for_clubs}
    # a counting group that pools small clubs speaks for each of them
    return {part for club in clubs for part in str(club).split(privacy.POOL_SEPARATOR)}


def require_open_window(consultation: Consultation) -> Agenda:
    agenda = agenda_of(consultation)
    if consultation.phase not in DRAFT_PHASES or not report_window_open(agenda):
        raise Conflict("window_closed")
    return agenda


def submit_report(consultation: Consultation, author: User, *, as_club: bool, language: str, title: str,
                  text: str) -> MinorityReport:
    """Record a minority report by an officer of a dissenting club, or by a member of an opinion group."""
    require_open_window(consultation)
    title, text = clean_text(title), clean_text(text)
    if language not in REPORT_LANGUAGES:
        raise ValidationFailed("language", "invalid")
    if not title:
        raise ValidationFailed("title", "required")
    if len(title) > MAX_TITLE:
        raise ValidationFailed("title", "too_long")
    if not text:
        raise ValidationFailed("text", "required")
    if len(text) > MAX_REPORT:
        raise ValidationFailed("text", "too_long")
    club, group = None, None
    if as_club:
        club = officer_club(author, consultation)
        if club is None:
            raise PermissionDenied("not_officer")
        if club.slug not in minority_clubs(build_draft(consultation)):
            raise PermissionDenied("not_dissenting")
        duplicate = MinorityReport.club_id == club.id
    else:
        group = own_group(author, consultation)
        if group is None:
            raise PermissionDenied("no_group")
        duplicate = (MinorityReport.opinion_group == group) & (MinorityReport.author_id == author.id)
    if db.session.scalar(select(MinorityReport.id).where(MinorityReport.consultation_id == consultation.id,
                                                         duplicate)) is not None:
        raise Conflict("duplicate")
    report = MinorityReport(consultation_id=consultation.id, club_id=club.id if club else None, opinion_group=group,
                            author_id=author.id, language=language, title=title, text=text, submitted_at=utcnow())
    db.session.add(report)
    audit.record(consultation.federation, author, "agenda.minority_report", title)
    db.session.commit()
    return report


def cosign_report(report: MinorityReport, signer: User) -> MinorityReportCosign:
    """Co-sign a report on behalf of the signer's club (officers of another club; once per club)."""
    consultation = report.consultation
    require_open_window(consultation)
    club = officer_club(signer, consultation)
    if club is None:
        raise PermissionDenied("not_officer")
    if club.id == report.club_id:
        raise Conflict("own_report")
    if any(sign.club_id == club.id for sign in report.cosignatures):
        raise Conflict("duplicate")
    cosign = MinorityReportCosign(report_id=report.id, club_id=club.id, signed_by_id=signer.id, created_at=utcnow())
    db.session.add(cosign)
    audit.record(consultation.federation, signer, "agenda.cosign", report.title, facts={"club": club.name})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise Conflict("duplicate") from None
    return cosign
