"""The opinion map in the app: computing, storing, refreshing and freezing a consultation's snapshot.

When the map is recomputed:

* the board asks for it (a POST): :func:`recompute` runs at once;
* each reaction asks for a recomputation (:func:`request_recompute`): a job, debounced so that a burst of
  reactions makes one, computes the map off the request when enough new reactions arrived since the last
  snapshot (:func:`is_stale`: at least ``STALE_MIN_NEW`` reactions added or changed, or at least ``STALE_SHARE``
  of the reactions counted last time). No page computes it (a GET never writes): a stale map is shown as it is,
  saying it is being updated. ``deliberate opinion-refresh`` (:func:`refresh_stale`) does the same by hand;
* when voting opens (:func:`freeze_for_voting`, called from ``advance_phase``) a final snapshot is computed and
  frozen; a frozen snapshot is never recomputed again and stays for the published agenda's minority section
  (:func:`frozen_snapshot`).

Privacy: positions and groups per user id stay in ``OpinionSnapshot.result``; :func:`map_view` hands the page
anonymous dots plus the viewer's own position only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from deliberate import audit, background
from deliberate.domain import opinion as engine
from deliberate.domain import privacy
from deliberate.domain.errors import Conflict
from deliberate.domain.gender import GenderGroup, gender_group
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Consultation,
    Demand,
    Job,
    Membership,
    MembershipStatus,
    OpinionSnapshot,
    Organization,
    Reaction,
    User,
    utcnow,
)
from deliberate.opinion import layout

#: A snapshot is stale once this many reactions were added or changed since it was computed ...
STALE_MIN_NEW = 50
#: ... or this share of the reactions it counted (whichever comes first).
STALE_SHARE = 0.10
#: The phases in which the map follows the reactions (it is frozen when voting opens).
OPEN_PHASES = (Phase.COLLECTING, Phase.CONSOLIDATING, Phase.DELIBERATING)

#: The map's drawing area (SVG user units) and its margin.
MAP_SIZE = 400
MAP_MARGIN = 24


# --- reading --------------------------------------------------------------------------------------------------


def snapshot_of(consultation: Consultation) -> OpinionSnapshot | None:
    """Return the consultation's stored snapshot, if it was ever computed."""
    return db.session.scalar(select(OpinionSnapshot).where(OpinionSnapshot.consultation_id == consultation.id))


def frozen_snapshot(consultation: Consultation) -> OpinionSnapshot | None:
    """Return the snapshot frozen when voting opened (for the published agenda's minority section), or None."""
    snapshot = snapshot_of(consultation)
    return snapshot if snapshot is not None and snapshot.is_frozen else None


def reactions_total(consultation: Consultation) -> int:
    """Count the reactions to the consultation's demands."""
    return db.session.scalar(
        select(func.count(Reaction.id)).join(Demand, Reaction.demand_id == Demand.id)
        .where(Demand.consultation_id == consultation.id)
    ) or 0


def new_reactions(consultation: Consultation, since: datetime) -> int:
    """Count the reactions added or changed since a moment."""
    return db.session.scalar(
        select(func.count(Reaction.id)).join(Demand, Reaction.demand_id == Demand.id)
        .where(Demand.consultation_id == consultation.id, Reaction.updated_at > since)
    ) or 0


def is_stale(consultation: Consultation, snapshot: OpinionSnapshot | None = None) -> bool:
    """Tell whether enough reactions arrived since the snapshot to compute it again (never when frozen).

    With no snapshot yet, the map is stale as soon as there is any reaction.
    """
    snapshot = snapshot if snapshot is not None else snapshot_of(consultation)
    if snapshot is None:
        return reactions_total(consultation) > 0
    if snapshot.is_frozen:
        return False
    fresh = new_reactions(consultation, snapshot.computed_at)
    return fresh >= STALE_MIN_NEW or (fresh > 0 and fresh >= STALE_SHARE * snapshot.reactions_count)


# --- computing ------------------------------------------------------------------------------------------------

def _compute_into(consultation: Consultation) -> OpinionSnapshot:
    """Compute the map and store it in the consultation's snapshot row (does not commit).

    Raises Conflict("frozen") when the snapshot was frozen; concurrent writers are serialised by a row lock.
    """
    snapshot = db.session.scalar(
        select(OpinionSnapshot).where(OpinionSnapshot.consultation_id == consultation.id).with_for_update()
    )
    if snapshot is not None and snapshot.is_frozen:
        raise Conflict("frozen")
    started = utcnow()
    demands = db.session.execute(
        select(Demand.id, Demand.hidden_at, Demand.is_withdrawn, Demand.created_at)
        .where(Demand.consultation_id == consultation.id)
    ).all()
    hidden = [d.id for d in demands if d.hidden_at is not None or d.is_withdrawn]
    rows = db.session.execute(
        select(Reaction.user_id, Reaction.demand_id, Reaction.value, Reaction.created_at)
        .join(Demand, Reaction.demand_id == Demand.id)
        .where(Demand.consultation_id == consultation.id)
    ).all()
    reactions = [(row.user_id, row.demand_id, int(row.value)) for row in rows]
    participants = sorted({user_id for user_id, _, _ in reactions})
    # who was clustered earlier stays so (a reaction's created_at is its first time; a change moves updated_at)
    earlier = engine.once_clustered([(row.created_at, row.user_id) for row in rows], [d.created_at for d in demands])
    result = engine.compute_opinion_map(participants, [d.id for d in demands], reactions, hidden=hidden,
                                        once_clustered=earlier)
    if snapshot is None:
        snapshot = OpinionSnapshot(consultation_id=consultation.id)
        db.session.add(snapshot)
    snapshot.computed_at = started
    snapshot.reactions_count = len(reactions)
    snapshot.participants_count = len(participants)
    snapshot.result = {
        str(p.participant): {"group": p.group, "x": round(p.x, 5), "y": round(p.y, 5)} for p in result.participants
    }
    snapshot.groups = [
        {
            "id": group.id,
            "size": group.size,
            "representative": [
                {
                    "demand_id": r.statement, "direction": r.direction, "agree": round(r.agree, 4),
                    "disagree": round(r.disagree, 4), "agree_rest": round(r.agree_rest, 4),
                    "disagree_rest": round(r.disagree_rest, 4), "significant": r.is_significant,
                }
                for r in group.representative
            ],
        }
        for group in result.groups
    ]
    snapshot.consensus = [
        {"demand_id": c.statement, "direction": c.direction, "agree": round(c.agree, 4),
         "disagree": round(c.disagree, 4), "gic": round(c.group_informed_consensus, 4)}
        for c in result.consensus
    ]
    snapshot.group_informed_consensus = {str(s): round(v, 5) for s, v in result.group_informed_consensus.items()}
    snapshot.composition = _composition(consultation.federation, result.groups)
    snapshot.parameters = {
        "min_reactions": engine.MIN_REACTIONS, "min_clustered": engine.MIN_CLUSTERED,
        "groups_tried": [engine.MIN_GROUPS, engine.MAX_GROUPS], "base_per_group": engine.BASE_PER_GROUP,
        "base_clusters": engine.BASE_CLUSTERS, "z": engine.Z_90, "min_group_size": engine.MIN_GROUP_SIZE,
        "group_starts": engine.GROUP_STARTS, "same_partition": engine.SAME_PARTITION,
        "split_margin": engine.SPLIT_MARGIN,
        "hidden_demands": len(hidden), "explained_variance": [round(v, 4) for v in result.explained_variance],
        "stale_min_new": STALE_MIN_NEW, "stale_share": STALE_SHARE, "gender_min": privacy.MIN_GROUP,
    }
    db.session.flush()
    return snapshot


def _composition(federation: Organization, groups: tuple[engine.OpinionGroup, ...]) -> list[dict[str, Any]]:
    """Count each group's members by club and by gender (gender only when every category has at least five)."""
    members = {m for group in groups for m in group.members}
    club_of: dict[int, int] = {}
    if members:
        rows = db.session.execute(
            select(Membership.user_id, Organization.id)
            .join(Organization, Membership.organization_id == Organization.id)
            .where(Membership.user_id.in_(members), Membership.status == MembershipStatus.ACTIVE,
                   Organization.parent_id == federation.id)
            .order_by(Membership.id.desc())
        )
        club_of = dict(rows.all())  # the earliest membership wins (as elsewhere)
    gender_of = (
        {row.id: row.gender for row in db.session.execute(select(User.id, User.gender).where(User.id.in_(members)))}
        if members else {}
    )
    composition = []
    for group in groups:
        clubs = Counter(club_of.get(m) for m in group.members)
        # Women, men, and everyone else (another gender, or not said) together.
        genders = Counter(gender_group(gender_of.get(m)) or GenderGroup.OTHER for m in group.members)
        shown = {c.value: genders.get(c, 0) for c in GenderGroup}
        # A club with fewer than five people in the group is not named (someone who is alone in their club would
        # otherwise be placed in a group): those people, and anyone with no active club, count under "other".
        shown_clubs = {str(club): n for club, n in clubs.items() if club is not None and n >= privacy.MIN_GROUP}
        rest = sum(n for club, n in clubs.items() if club is None or n < privacy.MIN_GROUP)
        composition.append({
            "group": group.id,
            "clubs": shown_clubs | ({"other": rest} if rest else {}),
            "gender": shown if _gender_shown(shown) else None,
        })
    return composition


def _gender_shown(counts: dict[str, int]) -> bool:
    """Tell whether a group's gender counts may be shown: at least five women and five men, and the others
    (other, undisclosed, not said, together) either none or at least five. A category of one to four people is
    never shown, nor can it be worked out from the group's size."""
    return (counts["woman"] >= privacy.MIN_GROUP and counts["man"] >= privacy.MIN_GROUP
            and not privacy.is_small(counts["other"]))


def recompute(consultation: Consultation, actor: User | None = None) -> OpinionSnapshot:
    """Compute the map now and store it (the board's button, the command); Conflict("frozen") once voting opened."""
    if consultation.phase in (Phase.VOTING, Phase.TALLIED, Phase.PUBLISHED):
        raise Conflict("frozen")
    try:
        snapshot = _compute_into(consultation)
        if actor is not None:
            audit.record(consultation.federation, actor, "opinion.recompute", consultation.title("es"),
                         facts={"reactions": snapshot.reactions_count})
        db.session.commit()
    except IntegrityError:  # someone created the first snapshot at the same moment: theirs stands
        db.session.rollback()
        snapshot = snapshot_of(consultation)
        if snapshot is None:
            raise
    return snapshot


def request_recompute(consultation: Consultation) -> None:
    """Ask for the map to follow new reactions: the one entry point of every service that records reactions.

    Call it after the reactions' commit. It queues one job per burst (a keyed job that waits
    ``OPINION_DEBOUNCE_SECONDS``; reactions arriving meanwhile find it waiting and add nothing), which computes
    the map off the request when enough reactions arrived since the last one (see :func:`is_stale`); pages only
    ever read the stored map. Never once voting has frozen it. Commits the job.
    """
    if consultation.phase not in OPEN_PHASES:
        return
    background.queue("opinion.recompute", consultation.id, key=f"opinion:{consultation.id}",
               delay=current_app.config["OPINION_DEBOUNCE_SECONDS"], organization_id=consultation.federation_id)
    db.session.commit()


@background.register("opinion.recompute")
def recompute_job(job: Job, consultation_id: int) -> dict:
    """Compute a consultation's map if it is stale (never once frozen)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.phase not in OPEN_PHASES:
        return {}
    if is_stale(consultation):
        recompute(consultation)
    return {"link": f"/consultations/{consultation_id}/opinion-map"}


def refresh_stale() -> list[int]:
    """Recompute every open consultation's stale map (for cron); return the ids recomputed."""
    done = []
    for consultation in db.session.scalars(select(Consultation).where(Consultation.phase.in_(OPEN_PHASES))):
        if is_stale(consultation):
            recompute(consultation)
            done.append(consultation.id)
    return done


def freeze_for_voting(consultation: Consultation) -> OpinionSnapshot:
    """Compute the final snapshot and freeze it, inside the caller's transaction (``advance_phase`` commits).

    An already frozen snapshot is kept as it is.
    """
    existing = frozen_snapshot(consultation)
    if existing is not None:
        return existing
    snapshot = _compute_into(consultation)
    snapshot.is_frozen = True
    snapshot.frozen_at = utcnow()
    db.session.flush()
    return snapshot


# --- what the page shows --------------------------------------------------------------------------------------

SHAPES = ("circle", "square", "triangle", "diamond", "cross")
LETTERS = "ABCDE"


@dataclass(frozen=True)
class Dot:
    """An anonymous point on the map: where, which group (or None), nothing about who."""

    x: float
    y: float
    group: int | None


@dataclass(frozen=True)
class MapView:
    """Everything the page draws, with no person's identity except the viewer's own position."""

    snapshot: OpinionSnapshot
    dots: list[Dot]
    own: Dot | None
    labels: dict[int, tuple[float, float]]
    groups: list[dict[str, Any]]
    consensus: list[dict[str, Any]]
    demands: dict[int, Demand]
    clubs: dict[str, str]
    stale: bool


def group_letter(group: int) -> str:
    return LETTERS[group] if 0 <= group < len(LETTERS) else str(group + 1)


def map_view(consultation: Consultation, viewer: User | None) -> MapView | None:
    """Prepare the stored snapshot for the page: scaled anonymous dots, the viewer's own dot, groups, demands."""
    snapshot = snapshot_of(consultation)
    if snapshot is None:
        return None
    positions = list(snapshot.result.values())
    xs = [p["x"] for p in positions] or [0.0]
    ys = [p["y"] for p in positions] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    inner = MAP_SIZE - 2 * MAP_MARGIN

    def place(p: dict[str, Any]) -> Dot:
        return Dot(
            x=round(MAP_SIZE / 2 + (p["x"] - cx) / span * inner, 1),
            y=round(MAP_SIZE / 2 - (p["y"] - cy) / span * inner, 1),
            group=p["group"],
        )

    # Sorted by place, not by person: the order of the dots says nothing about who they are.
    dots = sorted((place(p) for p in positions), key=lambda d: (d.group is not None, d.x, d.y, d.group or 0))
    own_position = snapshot.result.get(str(viewer.id)) if viewer is not None and viewer.is_authenticated else None
    labels: dict[int, tuple[float, float]] = {}
    for group in snapshot.groups:
        members = [d for d in dots if d.group == group["id"]]
        if members:
            labels[group["id"]] = (
                round(sum(d.x for d in members) / len(members), 1), round(sum(d.y for d in members) / len(members), 1)
            )
    composition = {c["group"]: c for c in snapshot.composition}
    demand_ids = {r["demand_id"] for g in snapshot.groups for r in g["representative"]}
    demand_ids |= {c["demand_id"] for c in snapshot.consensus}
    demands = {d.id: d for d in db.session.scalars(select(Demand).where(Demand.id.in_(demand_ids)))} if demand_ids \
        else {}
    club_ids = {int(k) for c in snapshot.composition for k in c["clubs"] if k.isdigit()}
    clubs = {str(o.id): o.name for o in db.session.scalars(select(Organization).where(Organization.id.in_(club_ids)))} \
        if club_ids else {}
    groups = [
        {
            **group,
            "letter": group_letter(group["id"]),
            "shape": SHAPES[group["id"] % len(SHAPES)],
            "representative": [r for r in group["representative"] if _shown(demands.get(r["demand_id"]))],
            "clubs": sorted(composition.get(group["id"], {}).get("clubs", {}).items(),
                            key=lambda kv: (not kv[0].isdigit(), -kv[1], kv[0])),
            "gender": composition.get(group["id"], {}).get("gender"),
        }
        for group in snapshot.groups
    ]
    return MapView(
        snapshot=snapshot,
        dots=dots,
        own=place(own_position) if own_position is not None else None,
        labels=labels,
        groups=groups,
        consensus=[c for c in snapshot.consensus if _shown(demands.get(c["demand_id"]))],
        demands=demands,
        clubs=clubs,
        stale=is_stale(consultation, snapshot),
    )


def map_marks(view: MapView, own_text: str) -> layout.MapMarks:
    """Place the group letters and the viewer's label (in the viewer's language) so that none overlaps another."""
    letters = {group["id"]: group["letter"] for group in view.groups if group["id"] in view.labels}
    centroids = {group_id: view.labels[group_id] for group_id in letters}
    own = (view.own.x, view.own.y) if view.own is not None else None
    return layout.place_marks(centroids, letters, own, own_text, MAP_SIZE)


def _shown(demand: Demand | None) -> bool:
    """Only demands still visible are listed (one hidden after the snapshot drops out of the page)."""
    return demand is not None and demand.is_visible
