"""The engine's suggestions for a consultation: each demand's features kept between requests, the groups the engine
suggests with how sure it is, and refreshing them when the board asks."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from deliberate import background
from deliberate.consolidation.services import placements, record_action, require_consolidating, visible_demands
from deliberate.domain import consolidation
from deliberate.extensions import db
from deliberate.models import (
    Consultation,
    Demand,
    Job,
    User,
    utcnow,
)
from deliberate.models.agenda import (
    ConsolidationSuggestion,
    DemandPlacement,
)


def suggestion_of(consultation: Consultation) -> ConsolidationSuggestion | None:
    return db.session.scalar(
        select(ConsolidationSuggestion).where(ConsolidationSuggestion.consultation_id == consultation.id)
    )


def suggested_clusters(consultation: Consultation, demands: Sequence[Demand],
                       placed: dict[int, DemandPlacement]) -> list[list[Demand]]:
    """Return the stored suggestion as lists of demands that are still visible and not placed yet."""
    suggestion = suggestion_of(consultation)
    if suggestion is None:
        return []
    by_id = {d.id: d for d in demands}
    clusters = []
    for group in suggestion.clusters:
        members = [by_id[i] for i in group if i in by_id and i not in placed]
        if members:
            clusters.append(members)
    return clusters


@dataclass(frozen=True)
class SuggestedGroup:
    """A stored suggested group as the workspace shows it: its demands and how sure the engine is of them."""

    demands: tuple[Demand, ...]
    confidence: float
    demand_confidence: dict[int, float]
    is_confident: bool


# Features depend only on the text and the mode: computed once per distinct text in this process.
_FEATURES: OrderedDict[tuple[bytes, bool], consolidation.DemandFeatures] = OrderedDict()
_FEATURES_KEPT = 50_000


def _use_encoder() -> bool:
    return bool(current_app.config.get("CONSOLIDATION_USE_ENCODER", False))


def _features(demands: Sequence[Demand], use_encoder: bool) -> list[consolidation.DemandFeatures]:
    texts = [f"{d.title}\n{d.body}" for d in demands]
    keys = [(hashlib.blake2b(text.encode(), digest_size=16).digest(), use_encoder) for text in texts]
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in _FEATURES}
    if missing:
        computed = consolidation.featurize_many(list(missing.values()), use_encoder=use_encoder)
        _FEATURES.update(zip(missing.keys(), computed, strict=True))
        while len(_FEATURES) > _FEATURES_KEPT:
            _FEATURES.popitem(last=False)
    return [_FEATURES[key] for key in keys]


def suggested_groups(consultation: Consultation, demands: Sequence[Demand],
                     placed: dict[int, DemandPlacement]) -> list[SuggestedGroup]:
    """Return the stored suggestion's groups of demands still to place, each rated by the engine.

    The rating is the engine's over the demands still to place, as at the refresh when nothing changed since.
    """
    clusters = suggested_clusters(consultation, demands, placed)
    if not clusters:
        return []
    in_clusters = {d.id for cluster in clusters for d in cluster}
    rest = [[d] for d in demands if d.id not in placed and d.id not in in_clusters]
    pool = [d for cluster in clusters + rest for d in cluster]
    position = {d.id: i for i, d in enumerate(pool)}
    use_encoder = _use_encoder()
    rated = consolidation.rate(_features(pool, use_encoder), [[position[d.id] for d in c] for c in clusters + rest],
                               use_encoder=use_encoder)
    return [
        SuggestedGroup(
            demands=tuple(cluster), confidence=rating.confidence,
            demand_confidence={pool[i].id: c for i, c in zip(rating.members, rating.member_confidence, strict=True)},
            is_confident=rating.is_confident,
        )
        for cluster, rating in zip(clusters, rated, strict=False)
    ]


# --- suggestions --------------------------------------------------------------------------------------------------

def refresh_suggestions(consultation: Consultation, actor: User) -> ConsolidationSuggestion:
    """Cluster the visible demands not placed yet and keep the result with its time (placed work is untouched)."""
    require_consolidating(consultation)
    placed = placements(consultation)
    demands = [d for d in visible_demands(consultation) if d.id not in placed]
    use_encoder = _use_encoder()
    groups = consolidation.suggest_clusters_from_features(_features(demands, use_encoder), use_encoder=use_encoder)
    suggestion = suggestion_of(consultation)
    if suggestion is None:
        suggestion = ConsolidationSuggestion(consultation_id=consultation.id)
        db.session.add(suggestion)
    suggestion.clusters = [[demands[i].id for i in group] for group in groups]
    suggestion.created_by_id, suggestion.created_at = actor.id, utcnow()
    record_action(consultation, actor, "suggest", consultation.title("es"),
            groups=len(groups), demands=len(demands))
    db.session.commit()
    return suggestion


def queue_refresh(consultation: Consultation, actor: User) -> Job:
    """Ask for new suggestions: a job computes them off the request (the engine may take a while); commits.

    Raises PhaseClosed outside consolidating, before anything is queued. A second request while the first still
    waits is the same job.
    """
    require_consolidating(consultation)
    job = background.queue("consolidation.suggest", consultation.id, actor.id, key=f"consolidation:{consultation.id}",
                     requested_by=actor, organization_id=consultation.federation_id)
    db.session.commit()
    return job


@background.register("consolidation.suggest")
def refresh_job(job: Job, consultation_id: int, actor_id: int) -> dict:
    """Compute and keep the suggestions a board member asked for; its page then links to the workspace."""
    consultation, actor = db.session.get(Consultation, consultation_id), db.session.get(User, actor_id)
    if consultation is None or actor is None:
        return {}
    background.progress(job, 0, 1)
    suggestion = refresh_suggestions(consultation, actor)
    return {"link": f"/consultations/{consultation_id}/consolidation#suggestions",
            "groups": len(suggestion.clusters)}
