"""Demands: submit, edit, withdraw and endorse them; list and search them; find similar ones while writing."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, load_only, selectinload

from deliberate import audit, permissions
from deliberate.domain import consolidation
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase, accepts_demands, is_open_for_editing_demands
from deliberate.extensions import db
from deliberate.models import (
    Assembly,
    Category,
    Consultation,
    Demand,
    DemandVersion,
    Language,
    Membership,
    Organization,
    Target,
    User,
    utcnow,
)
from deliberate.permissions import club_membership
from deliberate.text import clean_markdown, clean_text, render_markdown

TITLE_MAX = 140
BODY_MAX = 5000
SIMILAR_LIMIT = 5
#: A best match at least this similar is shown again right after submitting (the demand is still recorded).
VERY_CLOSE = 0.5
DUPLICATE_WINDOW = timedelta(minutes=1)
#: Club officers may endorse a demand until voting starts.
ENDORSING_PHASES = frozenset({Phase.COLLECTING, Phase.CONSOLIDATING, Phase.DELIBERATING})
PER_PAGE = 20
#: The columns a row of the list shows (the bodies stay in the database).
LIST_COLUMNS = (
    Demand.id, Demand.consultation_id, Demand.author_id, Demand.club_id, Demand.category_id, Demand.title,
    Demand.target, Demand.language, Demand.version, Demand.is_withdrawn, Demand.hidden_at, Demand.endorsed_at,
    Demand.agree_count, Demand.disagree_count, Demand.pass_count, Demand.created_at,
)
MAX_PER_PAGE = 1000


class Sort:
    NEWEST = "newest"
    REACTIONS = "reactions"


@dataclass(frozen=True)
class DemandInput:
    """What an author writes: raw text as sent (cleaned here), a category id, a target and a language."""

    title: str
    body: str
    category_id: int | None
    target: Target | None
    language: Language


@dataclass(frozen=True)
class DemandFilters:
    """The list's filters, sort and page; None means "any"."""

    club_id: int | None = None
    category_id: int | None = None
    target: Target | None = None
    language: Language | None = None
    text: str = ""
    sort: str = Sort.NEWEST
    page: int = 1
    per_page: int = PER_PAGE


# --------------------------------------------------------------------------------------------------------------
# Reading


def active_categories(federation: Organization) -> list[Category]:
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.federation_id == federation.id, Category.is_archived.is_(False))
            .order_by(Category.position, Category.id)
        )
    )


def _visible_to(viewer: User | None, board: bool) -> ColumnElement[bool] | None:
    """Return the condition for the demands a viewer may see in lists (None: all of them)."""
    if board:
        return None
    shown = Demand.hidden_at.is_(None)
    if viewer is not None and viewer.is_authenticated:
        return shown & (Demand.is_withdrawn.is_(False) | (Demand.author_id == viewer.id))
    return shown & Demand.is_withdrawn.is_(False)


def can_see(demand: Demand, viewer: User | None, board: bool) -> bool:
    """Tell whether a viewer may open a demand: withdrawn and hidden ones only for their author and the board."""
    if board or demand.is_visible:
        return True
    return viewer is not None and viewer.is_authenticated and demand.author_id == viewer.id


_ACCENTS = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n"}


def _fold(value: str) -> str:
    """Lower-case and drop accents, the Python side of the SQL folding below."""
    plain = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in plain if not unicodedata.combining(c))


def _fold_column(column):
    """Fold a text column in SQL the same way on SQLite and PostgreSQL (replace() and lower() exist in both)."""
    for accented, plain in _ACCENTS.items():
        column = func.replace(column, accented, plain)
        column = func.replace(column, accented.upper(), plain)
    return func.lower(column)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def demand_query(consultation: Consultation, viewer: User | None, board: bool, filters: DemandFilters) -> Select:
    """Build the list's query: visibility, filters and sort, loading only the columns a list row shows.

    A row names its club and category from the federation's (few) clubs and categories, loaded once per page, so
    the rows need no join and no query per row.
    """
    query = (
        select(Demand)
        .where(Demand.consultation_id == consultation.id)
        .options(load_only(*LIST_COLUMNS, raiseload=True))
    )
    visible = _visible_to(viewer, board)
    if visible is not None:
        query = query.where(visible)
    if filters.club_id:
        query = query.where(Demand.club_id == filters.club_id)
    if filters.category_id:
        query = query.where(Demand.category_id == filters.category_id)
    if filters.target:
        query = query.where(Demand.target == filters.target)
    if filters.language:
        query = query.where(Demand.language == filters.language)
    for word in _fold(clean_text(filters.text)).split()[:8]:
        pattern = f"%{_escape_like(word)}%"
        query = query.where(
            or_(
                _fold_column(Demand.title).like(pattern, escape="\\"),
                _fold_column(Demand.body).like(pattern, escape="\\"),
            )
        )
    if filters.sort == Sort.REACTIONS:
        total = Demand.agree_count + Demand.disagree_count + Demand.pass_count
        return query.order_by(total.desc(), Demand.created_at.desc(), Demand.id.desc())
    return query.order_by(Demand.created_at.desc(), Demand.id.desc())


def list_demands(
    consultation: Consultation, viewer: User | None, board: bool, filters: DemandFilters
) -> Pagination:
    """Return one page of the demands the viewer may see, filtered and sorted."""
    return db.paginate(
        demand_query(consultation, viewer, board, filters),
        page=max(1, filters.page),
        per_page=max(1, min(filters.per_page, MAX_PER_PAGE)),
        max_per_page=MAX_PER_PAGE,
        error_out=False,
    )


def demand_with_history(demand_id: int) -> Demand | None:
    """Load a demand with what its page shows: consultation, club, category, author, endorser, versions."""
    return db.session.scalar(
        select(Demand)
        .where(Demand.id == demand_id)
        .options(
            joinedload(Demand.consultation).joinedload(Consultation.federation),
            joinedload(Demand.club),
            joinedload(Demand.category),
            joinedload(Demand.author),
            joinedload(Demand.endorsed_by),
            selectinload(Demand.versions),
        )
    )


def _demand_text(title: str, body: str) -> str:
    return f"{title}\n{body}"


# --------------------------------------------------------------------------------------------------------------
# Similar demands


# Features depend only on the text: computed once per distinct text and kept in this process (keyed by a digest,
# so a reused id or another database never returns stale features).
_FEATURES: OrderedDict[bytes, consolidation.DemandFeatures] = OrderedDict()
_FEATURES_KEPT = 50_000


def _features(texts: list[str]) -> list[consolidation.DemandFeatures]:
    keys = [hashlib.blake2b(text.encode(), digest_size=16).digest() for text in texts]
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in _FEATURES}
    if missing:
        computed = consolidation.featurize_many(list(missing.values()), use_encoder=False)
        _FEATURES.update(zip(missing.keys(), computed, strict=True))
        while len(_FEATURES) > _FEATURES_KEPT:
            _FEATURES.popitem(last=False)
    return [_FEATURES[key] for key in keys]


def similar_demands(
    consultation: Consultation, title: str, body: str = "", *, exclude_id: int | None = None, k: int = SIMILAR_LIMIT
) -> list[tuple[Demand, float]]:
    """Return up to ``k`` visible demands of the consultation most similar to a text, best first, with scores."""
    text = _demand_text(clean_text(title), clean_markdown(body)).strip()
    if not text:
        return []
    query = select(Demand.id, Demand.title, Demand.body).where(
        Demand.consultation_id == consultation.id, Demand.hidden_at.is_(None), Demand.is_withdrawn.is_(False)
    )
    if exclude_id is not None:
        query = query.where(Demand.id != exclude_id)
    rows = [tuple(row) for row in db.session.execute(query.order_by(Demand.id))]
    if not rows:
        return []
    query_features = consolidation.featurize(text, use_encoder=False)
    features = _features([_demand_text(title, body) for _, title, body in rows])
    ranked = consolidation.similar_from_features(query_features, features, k, minimum=0.15)
    ids = [rows[index][0] for index, _ in ranked]
    loaded = {
        d.id: d
        for d in db.session.scalars(
            select(Demand).where(Demand.id.in_(ids)).options(joinedload(Demand.club), joinedload(Demand.category))
        )
    }
    return [(loaded[rows[index][0]], score) for index, score in ranked]


# --------------------------------------------------------------------------------------------------------------
# Writing


def _checked(consultation: Consultation, data: DemandInput) -> tuple[str, str]:
    """Clean and check the author's text and choices; return the cleaned title and body."""
    title = clean_text(data.title)
    body = clean_markdown(data.body)
    if not title:
        raise ValidationFailed("title", "required")
    if len(title) > TITLE_MAX:
        raise ValidationFailed("title", "too_long")
    if len(body) > BODY_MAX:
        raise ValidationFailed("body", "too_long")
    if data.category_id is not None:
        category = db.session.get(Category, data.category_id)
        if category is None or category.federation_id != consultation.federation_id or category.is_archived:
            raise ValidationFailed("category", "invalid")
    return title, body


def submit_demand(consultation: Consultation, author: User, data: DemandInput, *,
                  assembly: Assembly | None = None) -> Demand:
    """Record a member's demand for their club while the consultation collects.

    With ``assembly``, an officer enters a demand raised at that club assembly, on the club's behalf (the
    assemblies area checks who may): it belongs to the assembly's club and says where it came from.
    Sending the same title and body again within a minute (a double click, a resent form) returns the demand
    already recorded instead of a second one.
    """
    if not accepts_demands(consultation.phase):
        raise PhaseClosed(consultation.phase)
    membership = club_membership(author, consultation.federation)
    if membership is None and assembly is None:
        raise PermissionDenied("not_club_member")
    club = assembly.club if assembly is not None else membership.organization
    title, body = _checked(consultation, data)
    # Serialise one author's submissions (PostgreSQL; SQLite serialises writers anyway) before the duplicate check.
    if assembly is not None:
        db.session.execute(select(Assembly.id).where(Assembly.id == assembly.id).with_for_update())
    else:
        db.session.execute(select(Membership.id).where(Membership.id == membership.id).with_for_update())
    duplicate = db.session.scalar(
        select(Demand)
        .where(
            Demand.consultation_id == consultation.id,
            Demand.author_id == author.id,
            Demand.title == title,
            Demand.body == body,
            Demand.created_at >= utcnow() - DUPLICATE_WINDOW,
        )
        .order_by(Demand.id)
        .limit(1)
    )
    if duplicate is not None:
        db.session.rollback()
        return duplicate
    demand = Demand(
        consultation_id=consultation.id,
        author_id=author.id,
        club_id=club.id,
        assembly_id=assembly.id if assembly is not None else None,
        title=title,
        body=body,
        body_html=render_markdown(body),
        category_id=data.category_id,
        target=data.target,
        language=data.language,
        version=1,
    )
    db.session.add(demand)
    db.session.flush()
    audit.record(club, author, "demand.submit", f"demand:{demand.id}", title)
    db.session.commit()
    return demand


def _require_author_while_open(demand: Demand, actor: User) -> None:
    if not is_open_for_editing_demands(demand.consultation.phase):
        raise PhaseClosed(demand.consultation.phase)
    if demand.author_id is None or demand.author_id != actor.id:
        raise PermissionDenied("not_author")
    if club_membership(actor, demand.consultation.federation) is None:
        raise PermissionDenied("not_club_member")
    if demand.is_withdrawn:
        raise Conflict("withdrawn")
    if demand.is_hidden:
        raise Conflict("hidden")


def edit_demand(demand: Demand, actor: User, data: DemandInput, expected_version: int) -> Demand:
    """Change a demand's text, keeping the previous text as a version; refuse a form older than the demand."""
    _require_author_while_open(demand, actor)
    if expected_version != demand.version:
        raise Conflict("stale")
    title, body = _checked(demand.consultation, data)
    unchanged = (title, body, data.category_id, data.target, data.language) == (
        demand.title, demand.body, demand.category_id, demand.target, demand.language
    )
    if unchanged:
        return demand
    db.session.add(
        DemandVersion(
            demand_id=demand.id, version=demand.version, title=demand.title, body=demand.body,
            category_id=demand.category_id, target=demand.target, language=demand.language,
        )  # created_at: when this text was replaced
    )
    demand.version += 1
    demand.title, demand.body, demand.body_html = title, body, render_markdown(body)
    demand.category_id, demand.target, demand.language = data.category_id, data.target, data.language
    audit.record(demand.club, actor, "demand.edit", f"demand:{demand.id}", facts={"version": demand.version})
    try:
        db.session.commit()
    except IntegrityError as error:  # the same version saved at the same moment by another request
        db.session.rollback()
        raise Conflict("stale") from error
    return demand


def withdraw_demand(demand: Demand, actor: User) -> Demand:
    """Withdraw a demand at its author's request; it stays visible to its author and the board, marked."""
    _require_author_while_open(demand, actor)
    demand.is_withdrawn = True
    audit.record(demand.club, actor, "demand.withdraw", f"demand:{demand.id}", demand.title)
    db.session.commit()
    return demand


def set_endorsement(demand: Demand, actor: User, endorsed: bool) -> Demand:
    """Mark (or unmark) a demand as endorsed by its club; only that club's own officers may."""
    if demand.consultation.phase not in ENDORSING_PHASES:
        raise PhaseClosed(demand.consultation.phase)
    if not permissions.is_club_officer(actor, demand.club):
        raise PermissionDenied("not_club_officer")
    if not demand.is_visible:
        raise Conflict("not_visible")
    if endorsed == (demand.endorsed_at is not None):
        raise Conflict("already_endorsed" if endorsed else "not_endorsed")
    demand.endorsed_at = utcnow() if endorsed else None
    demand.endorsed_by_id = actor.id if endorsed else None
    action = "demand.endorse" if endorsed else "demand.unendorse"
    audit.record(demand.club, actor, action, f"demand:{demand.id}", demand.title)
    db.session.commit()
    return demand
