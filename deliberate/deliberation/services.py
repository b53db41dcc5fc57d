"""Use cases of deliberation: react to demands, argue for and against them, report abuse and moderate it.

Rules decided here (and documented in the tests):

- Who takes part: a person with an active membership in a club of the consultation's federation. Board members and
  administrators take part through their own club membership, like everyone else; they moderate through their
  federation role.
- Authors may react to their own demands (Polis lets authors vote on their statements; the opinion map needs their
  row too), and the react flow serves them their own demands like any other.
- Authors may not up-vote their own arguments; everyone else up-votes an argument once.
- A reaction is an upsert: the database's unique (demand, user) constraint is the backstop, two requests at once leave
  exactly one row, and the demand's three counts are recomputed from the reaction rows in the same transaction while
  the demand row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers itself).
- An individual's reaction is only ever returned for that same person (:func:`own_reaction`).
- Hidden (and withdrawn) demands take no reactions or arguments and are never served by the react flow; engines that
  read reactions must filter on ``Demand.is_visible`` so that hidden demands carry no weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from deliberate import audit, permissions
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import accepts_arguments, accepts_reactions
from deliberate.extensions import db, dialect_insert
from deliberate.models import (
    Argument,
    ArgumentVote,
    Consultation,
    Demand,
    Membership,
    Reaction,
    ReactionValue,
    Report,
    Side,
    User,
    utcnow,
)
from deliberate.notifications.services import notify
from deliberate.opinion import services as opinion_services
from deliberate.text import clean_text

MAX_ARGUMENT_LENGTH = 1000
MAX_REASON_LENGTH = 500

Subject = Demand | Argument


# --- shared helpers --------------------------------------------------------------------------------------------


def _require_participant(consultation: Consultation, user: User) -> Membership:
    membership = permissions.participant_membership(user, consultation)
    if membership is None:
        raise PermissionDenied("not_member")
    return membership


def _require_moderator(consultation: Consultation, user: User) -> None:
    if not permissions.can_moderate(user, consultation):
        raise PermissionDenied("not_board")


def _require_demand_of(consultation: Consultation, demand: Demand) -> None:
    if demand.consultation_id != consultation.id:
        raise NotFound("demand", demand.id)


def _visible_demands(consultation: Consultation):
    return (
        Demand.consultation_id == consultation.id,
        Demand.hidden_at.is_(None),
        Demand.is_withdrawn.is_(False),
    )


def demand_url(demand: Demand) -> str:
    """Return the address of a demand's page."""
    return url_for("demands.show", demand_id=demand.id)


def consultation_url(consultation: Consultation) -> str:
    """Return the address of the consultation's page."""
    return url_for("consultations.show", consultation_id=consultation.id)


def demand_panel(consultation: Consultation, demand: Demand, viewer: User | None) -> dict[str, Any]:
    """Gather what a demand's reactions-and-arguments panel shows to this viewer (their own reaction only to them)."""
    is_participant = permissions.can_take_part(viewer, consultation)
    return {
        "is_participant": is_participant,
        "is_moderator": permissions.can_moderate(viewer, consultation),
        "is_member": permissions.is_member(viewer, consultation),
        "is_author": viewer is not None and viewer.is_authenticated and demand.author_id == viewer.id,
        "can_react": is_participant and demand.is_visible and accepts_reactions(consultation.phase),
        "can_argue": is_participant and demand.is_visible and accepts_arguments(consultation.phase),
        "own_reaction": own_reaction(viewer, demand),
        "arguments": arguments_of(demand, viewer),
    }


def _lock(model, row_id: int) -> None:
    """Lock one row until the transaction ends (PostgreSQL); SQLite serialises writers on its own."""
    db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


# --- reactions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReactionProgress:
    """How many of the consultation's visible demands the member has reacted to."""

    seen: int
    total: int

    @property
    def is_finished(self) -> bool:
        return self.seen >= self.total


def react(consultation: Consultation, user: User, demand: Demand, value: ReactionValue | int) -> Reaction:
    """Record (or replace) a member's agree / disagree / pass on a visible demand and recount the demand."""
    value = ReactionValue(int(value))
    _require_participant(consultation, user)
    _require_demand_of(consultation, demand)
    if not demand.is_visible:
        raise Conflict("not_visible")
    if not accepts_reactions(consultation.phase):
        raise PhaseClosed(consultation.phase)
    demand_id, user_id = demand.id, user.id
    _lock(Demand, demand_id)
    now = utcnow()
    statement = dialect_insert(Reaction)
    if statement is not None:
        statement = statement.values(demand_id=demand_id, user_id=user_id, value=int(value), created_at=now,
                                     updated_at=now)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["demand_id", "user_id"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        ))
    else:  # another database: insert, and on the unique constraint's refusal update instead
        try:
            with db.session.begin_nested():
                db.session.add(Reaction(demand_id=demand_id, user_id=user_id, value=int(value)))
        except IntegrityError:
            db.session.execute(
                update(Reaction).where(Reaction.demand_id == demand_id, Reaction.user_id == user_id)
                .values(value=int(value), updated_at=now)
            )
    recount_reactions(demand)
    db.session.commit()
    opinion_services.request_recompute(consultation)
    return db.session.scalars(
        select(Reaction).where(Reaction.demand_id == demand_id, Reaction.user_id == user_id)
        .execution_options(populate_existing=True)
    ).one()


def recount_reactions(demand: Demand) -> None:
    """Set the demand's three public counts from its reaction rows, in one UPDATE (does not commit).

    All three columns are written by the database from the rows, whatever this session last saw: a session that
    only changed one count would otherwise leave another writer's stale value in the others.
    """

    def count(value: ReactionValue):
        return (
            select(func.count(Reaction.id))
            .where(Reaction.demand_id == demand.id, Reaction.value == int(value))
            .scalar_subquery()
        )

    db.session.execute(
        update(Demand).where(Demand.id == demand.id)
        .values(agree_count=count(ReactionValue.AGREE), disagree_count=count(ReactionValue.DISAGREE),
                pass_count=count(ReactionValue.PASS))
        .execution_options(synchronize_session=False)
    )
    db.session.expire(demand, ["agree_count", "disagree_count", "pass_count"])


def own_reaction(user: User | None, demand: Demand) -> ReactionValue | None:
    """Return this user's own reaction to the demand (never call it for anyone but the viewer)."""
    if user is None or not user.is_authenticated:
        return None
    value = db.session.scalar(
        select(Reaction.value).where(Reaction.demand_id == demand.id, Reaction.user_id == user.id)
    )
    return None if value is None else ReactionValue(value)


def next_demand_to_react(consultation: Consultation, user: User) -> Demand | None:
    """Return the visible demand of someone else the member has not reacted to with the fewest reactions (ties:
    lowest id); a member is never offered their own demand."""
    not_reacted = ~exists().where(Reaction.demand_id == Demand.id, Reaction.user_id == user.id)
    return db.session.scalar(
        select(Demand).where(*_visible_demands(consultation), _not_by(user), not_reacted)
        .order_by(Demand.agree_count + Demand.disagree_count + Demand.pass_count, Demand.id)
        .limit(1)
    )


def reaction_progress(consultation: Consultation, user: User) -> ReactionProgress:
    """Count the visible demands of others and those of them the member has reacted to."""
    total = db.session.scalar(
        select(func.count(Demand.id)).where(*_visible_demands(consultation), _not_by(user))
    ) or 0
    seen = db.session.scalar(
        select(func.count(Reaction.id)).join(Demand, Reaction.demand_id == Demand.id)
        .where(Reaction.user_id == user.id, *_visible_demands(consultation), _not_by(user))
    ) or 0
    return ReactionProgress(seen=seen, total=total)


def _not_by(user: User):
    """Match demands someone else wrote (a former member's, with no author, included)."""
    return or_(Demand.author_id.is_(None), Demand.author_id != user.id)


# --- arguments -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandArguments:
    """A demand's arguments by side, strongest first, and which of them the viewer up-voted."""

    for_: list[Argument]
    against: list[Argument]
    upvoted_ids: frozenset[int] = field(default_factory=frozenset)


def write_argument(consultation: Consultation, user: User, demand: Demand, side: Side | str, body: str) -> Argument:
    """Add a member's argument for or against a visible demand; tell the demand's author."""
    side = Side(side)
    _require_participant(consultation, user)
    _require_demand_of(consultation, demand)
    if not demand.is_visible:
        raise Conflict("not_visible")
    if not accepts_arguments(consultation.phase):
        raise PhaseClosed(consultation.phase)
    text = clean_text(body)
    if not text:
        raise ValidationFailed("body", "required")
    if len(text) > MAX_ARGUMENT_LENGTH:
        raise ValidationFailed("body", "too_long")
    argument = Argument(demand_id=demand.id, author_id=user.id, side=side, body=text, upvote_count=0)
    db.session.add(argument)
    if demand.author is not None and demand.author_id != user.id:
        notify([demand.author], "argument_on_my_demand",
                {"demand_id": demand.id, "demand_title": demand.title, "side": side.value}, demand_url(demand))
    db.session.commit()
    return argument


def upvote_argument(consultation: Consultation, user: User, argument: Argument) -> bool:
    """Up-vote someone else's argument once; return False when this member had already up-voted it."""
    _require_participant(consultation, user)
    _require_demand_of(consultation, argument.demand)
    if argument.is_hidden or not argument.demand.is_visible:
        raise Conflict("not_visible")
    if argument.author_id == user.id:
        raise PermissionDenied("own_argument")
    if not accepts_arguments(consultation.phase):
        raise PhaseClosed(consultation.phase)
    argument_id = argument.id
    _lock(Argument, argument_id)
    statement = dialect_insert(ArgumentVote)
    if statement is not None:
        result = db.session.execute(
            statement.values(argument_id=argument_id, user_id=user.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["argument_id", "user_id"])
            .returning(ArgumentVote.id)
        )
        added = result.first() is not None
    else:
        try:
            with db.session.begin_nested():
                db.session.add(ArgumentVote(argument_id=argument_id, user_id=user.id))
            added = True
        except IntegrityError:
            added = False
    db.session.execute(
        update(Argument).where(Argument.id == argument_id)
        .values(upvote_count=select(func.count(ArgumentVote.id)).where(ArgumentVote.argument_id == argument_id)
                .scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(argument, ["upvote_count"])
    db.session.commit()
    return added


def arguments_of(demand: Demand, viewer: User | None) -> DemandArguments:
    """Return the demand's arguments per side, strongest first (up-votes, then oldest); hidden ones last."""
    arguments = db.session.scalars(
        select(Argument).where(Argument.demand_id == demand.id)
        .order_by(Argument.hidden_at.is_not(None), Argument.upvote_count.desc(), Argument.created_at, Argument.id)
    ).all()
    upvoted: frozenset[int] = frozenset()
    if viewer is not None and viewer.is_authenticated and arguments:
        upvoted = frozenset(db.session.scalars(
            select(ArgumentVote.argument_id).where(
                ArgumentVote.user_id == viewer.id, ArgumentVote.argument_id.in_([a.id for a in arguments])
            )
        ))
    return DemandArguments(
        for_=[a for a in arguments if a.side is Side.FOR],
        against=[a for a in arguments if a.side is Side.AGAINST],
        upvoted_ids=upvoted,
    )


# --- reports and moderation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """One reported item with its open reports, oldest first."""

    subject_type: str
    subject: Subject
    reports: list[Report]

    @property
    def demand(self) -> Demand:
        return self.subject if isinstance(self.subject, Demand) else self.subject.demand


def subject_type_of(subject: Subject) -> str:
    return "demand" if isinstance(subject, Demand) else "argument"


def load_subject(consultation: Consultation, subject_type: str, subject_id: int) -> Subject:
    """Load a demand or an argument of the consultation, or raise NotFound."""
    model = {"demand": Demand, "argument": Argument}.get(subject_type)
    subject = db.session.get(model, subject_id) if model is not None else None
    if subject is None:
        raise NotFound(subject_type, subject_id)
    demand = subject if isinstance(subject, Demand) else subject.demand
    if demand.consultation_id != consultation.id:
        raise NotFound(subject_type, subject_id)
    return subject


def _clean_reason(reason: str) -> str:
    text = clean_text(reason)
    if not text:
        raise ValidationFailed("reason", "required")
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed("reason", "too_long")
    return text


def report(consultation: Consultation, user: User, subject: Subject, reason: str) -> Report:
    """Record a member's report that a demand or an argument breaks the rules (once per member and item)."""
    if not permissions.is_member(user, consultation):
        raise PermissionDenied("not_member")
    subject_type = subject_type_of(subject)
    load_subject(consultation, subject_type, subject.id)
    if subject.is_hidden:
        raise Conflict("already_hidden")
    text = _clean_reason(reason)
    already = db.session.scalar(select(Report.id).where(
        Report.reporter_id == user.id, Report.subject_type == subject_type, Report.subject_id == subject.id
    ))
    if already is not None:
        raise Conflict("duplicate")
    entry = Report(consultation_id=consultation.id, subject_type=subject_type, subject_id=subject.id,
                   reporter_id=user.id, reason=text)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # the same member reporting twice at once: the constraint keeps one
        db.session.rollback()
        raise Conflict("duplicate") from None
    return entry


def moderation_queue(consultation: Consultation) -> list[QueueEntry]:
    """Return the open reports of the consultation grouped by item, the most reported (then oldest) first."""
    reports = db.session.scalars(
        select(Report).where(Report.consultation_id == consultation.id, Report.resolved_at.is_(None))
        .order_by(Report.created_at, Report.id)
    ).all()
    grouped: dict[tuple[str, int], list[Report]] = {}
    for entry in reports:
        grouped.setdefault((entry.subject_type, entry.subject_id), []).append(entry)
    queue = []
    for (subject_type, subject_id), item_reports in grouped.items():
        try:
            subject = load_subject(consultation, subject_type, subject_id)
        except NotFound:  # the item was deleted with its demand
            continue
        queue.append(QueueEntry(subject_type, subject, item_reports))
    queue.sort(key=lambda e: (-len(e.reports), e.reports[0].created_at, e.reports[0].id))
    return queue


def hidden_items(consultation: Consultation) -> list[Subject]:
    """Return the consultation's hidden demands and arguments, most recently hidden first."""
    demands = db.session.scalars(
        select(Demand).where(Demand.consultation_id == consultation.id, Demand.hidden_at.is_not(None))
    ).all()
    arguments = db.session.scalars(
        select(Argument).join(Demand, Argument.demand_id == Demand.id)
        .where(Demand.consultation_id == consultation.id, Argument.hidden_at.is_not(None))
    ).all()
    return sorted([*demands, *arguments], key=lambda s: (s.hidden_at, s.id), reverse=True)


def _resolve_reports(subject: Subject, actor: User, resolution: str) -> list[Report]:
    reports = db.session.scalars(select(Report).where(
        Report.subject_type == subject_type_of(subject), Report.subject_id == subject.id, Report.resolved_at.is_(None)
    )).all()
    now = utcnow()
    for entry in reports:
        entry.resolved_at, entry.resolved_by_id, entry.resolution = now, actor.id, resolution
    return list(reports)


def _snapshot(subject: Subject) -> dict[str, Any]:
    if isinstance(subject, Demand):
        content = {"title": subject.title, "body": subject.body, "author_id": subject.author_id}
    else:
        content = {"side": subject.side.value, "body": subject.body, "author_id": subject.author_id,
                   "demand_id": subject.demand_id}
    return content


def _title(subject: Subject) -> str:
    return subject.title if isinstance(subject, Demand) else subject.demand.title


def hide(consultation: Consultation, actor: User, subject: Subject, reason: str) -> None:
    """Hide a demand or an argument with a reason; keep its content in the audit log and tell its author."""
    _require_moderator(consultation, actor)
    subject_type = subject_type_of(subject)
    load_subject(consultation, subject_type, subject.id)
    text = _clean_reason(reason)
    _lock(type(subject), subject.id)
    db.session.refresh(subject)
    if subject.is_hidden:
        raise Conflict("already_hidden")
    subject.hidden_at, subject.hidden_reason, subject.hidden_by_id = utcnow(), text, actor.id
    _resolve_reports(subject, actor, "hidden")
    audit.record(consultation.federation, actor, f"{subject_type}.hide", f"{subject_type} {subject.id}",
                 facts={"reason": text, "content": _snapshot(subject)})
    notify([subject.author], "content_hidden",
            {"subject_type": subject_type, "title": _title(subject), "reason": text},
            demand_url(subject if isinstance(subject, Demand) else subject.demand))
    db.session.commit()


def keep(consultation: Consultation, actor: User, subject: Subject) -> int:
    """Resolve the item's open reports as kept (the item stays); tell the reporters; return how many."""
    _require_moderator(consultation, actor)
    subject_type = subject_type_of(subject)
    load_subject(consultation, subject_type, subject.id)
    resolved = _resolve_reports(subject, actor, "kept")
    if not resolved:
        raise Conflict("no_open_reports")
    audit.record(consultation.federation, actor, f"{subject_type}.keep", f"{subject_type} {subject.id}",
                 facts={"reports": len(resolved)})
    notify([entry.reporter for entry in resolved], "content_kept",
            {"subject_type": subject_type, "title": _title(subject)},
            demand_url(subject if isinstance(subject, Demand) else subject.demand))
    db.session.commit()
    return len(resolved)


def unhide(consultation: Consultation, actor: User, subject: Subject) -> None:
    """Show a hidden demand or argument again (the audit log keeps the earlier decision)."""
    _require_moderator(consultation, actor)
    subject_type = subject_type_of(subject)
    load_subject(consultation, subject_type, subject.id)
    if not subject.is_hidden:
        raise Conflict("not_hidden")
    audit.record(consultation.federation, actor, f"{subject_type}.unhide", f"{subject_type} {subject.id}",
                 facts={"previous_reason": subject.hidden_reason})
    subject.hidden_at, subject.hidden_reason, subject.hidden_by_id = None, None, None
    if isinstance(subject, Demand):  # its reactions count again
        recount_reactions(subject)
    db.session.commit()
