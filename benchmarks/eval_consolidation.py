"""Evaluate the consolidation engine on the labelled demand sets, and choose its thresholds by cross-validation.

Run ``.venv/bin/python benchmarks/eval_consolidation.py`` (``--sweep`` to also print every threshold tried). For
each set in ``tests/data`` and each mode (lexical features alone, and with the sentence encoder when it is
installed) it prints, at the engine's default thresholds:

- the adjusted Rand index (ARI) and V-measure against the labelled themes;
- B-cubed precision and recall (per demand: the share of its suggested group that shares its theme, and the share
  of its theme that is in its group);
- the near-twin pairs kept apart (``tests/data/consolidation_near_twins.csv``: no suggested group holds demands of
  both themes), and the lenient count (no group holds two or more of each);
- how often Spanish and English demands of a theme meet (some group holds a Spanish and an English demand of it);
- the number of groups, themes, and groups of more than one demand that mix themes.

Thresholds are chosen by leave-one-set-out cross-validation over the *tuning* sets only (``eval`` and ``clubs``):
for each tuning set, the threshold that maximises the objective (B-cubed F0.5, which weighs precision twice as much
as recall) on the other tuning sets is applied to it. The held-out set (``heldout``) never takes part in a choice;
its figures are printed last, separately.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.metrics import adjusted_rand_score, v_measure_score  # noqa: E402

from deliberate.domain import consolidation  # noqa: E402

DATA = ROOT / "tests" / "data"
TUNING = ("eval", "clubs")
HELD_OUT = ("heldout", "heldout2")
GRID = [round(0.04 + 0.01 * i, 2) for i in range(27)]


@dataclass(frozen=True)
class LabelledSet:
    name: str
    texts: list[str]
    themes: list[str]
    langs: list[str]
    twins: list[tuple[str, str]]


@dataclass(frozen=True)
class Scores:
    ari: float
    v_measure: float
    precision: float
    recall: float
    twins_apart: int
    twins_apart_lenient: int
    twins: int
    met: int
    bilingual: int
    groups: int
    themes: int
    mixed: int

    @property
    def objective(self) -> float:
        """B-cubed F0.5: precision counts twice as much as recall."""
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 1.25 * p * r / (0.25 * p + r)


def load_sets() -> dict[str, LabelledSet]:
    """Read every labelled set and its near-twin pairs."""
    twins: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with open(DATA / "consolidation_near_twins.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            twins[row["set"]].append((row["left"], row["right"]))
    sets = {}
    for name in (*TUNING, *HELD_OUT):
        with open(DATA / f"consolidation_{name}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        sets[name] = LabelledSet(
            name, [r["text"] for r in rows], [r["theme"] for r in rows], [r["lang"] for r in rows], twins[name]
        )
    return sets


def score(data: LabelledSet, groups: Sequence[Sequence[int]]) -> Scores:
    """Compare suggested groups with the labelled themes."""
    n = len(data.texts)
    predicted = [0] * n
    for label, group in enumerate(groups):
        for i in group:
            predicted[i] = label
    theme_size = Counter(data.themes)
    precision = recall = 0.0
    mixed = 0
    for group in groups:
        counts = Counter(data.themes[i] for i in group)
        if len(group) > 1 and len(counts) > 1:
            mixed += 1
        for i in group:
            same = counts[data.themes[i]]
            precision += same / len(group)
            recall += same / theme_size[data.themes[i]]
    apart = lenient = 0
    for left, right in data.twins:
        together = [Counter(data.themes[i] for i in g) for g in groups]
        apart += not any(c[left] and c[right] for c in together)
        lenient += not any(c[left] >= 2 and c[right] >= 2 for c in together)
    bilingual = met = 0
    for theme in theme_size:
        langs = {data.langs[i] for i in range(n) if data.themes[i] == theme}
        if {"es", "en"} <= langs:
            bilingual += 1
            met += any(
                {"es", "en"} <= {data.langs[i] for i in g if data.themes[i] == theme} for g in groups
            )
    return Scores(
        ari=adjusted_rand_score(data.themes, predicted),
        v_measure=v_measure_score(data.themes, predicted),
        precision=precision / n,
        recall=recall / n,
        twins_apart=apart,
        twins_apart_lenient=lenient,
        twins=len(data.twins),
        met=met,
        bilingual=bilingual,
        groups=len(groups),
        themes=len(theme_size),
        mixed=mixed,
    )


def line(label: str, s: Scores) -> str:
    return (
        f"  {label:<26} ARI {s.ari:.3f}  V {s.v_measure:.3f}  B3-P {s.precision:.3f}  B3-R {s.recall:.3f}"
        f"  twins apart {s.twins_apart}/{s.twins} (lenient {s.twins_apart_lenient})"
        f"  es/en meet {s.met}/{s.bilingual}  groups {s.groups} for {s.themes} themes, {s.mixed} mixed"
    )


def cluster(features: list[consolidation.DemandFeatures], threshold: float | None, use_encoder: bool):
    return consolidation.suggest_clusters_from_features(features, threshold=threshold, use_encoder=use_encoder)


def confidence_line(data: LabelledSet, features: list[consolidation.DemandFeatures], use_encoder: bool) -> str:
    """Tell how often the groups the workspace pre-selects (confident, two demands or more) are pure."""
    found = [s for s in consolidation.suggest(features, use_encoder=use_encoder) if len(s.members) > 1]
    sure = [s for s in found if s.is_confident]
    pure = sum(len({data.themes[i] for i in s.members}) == 1 for s in sure)
    demands = sum(len(s.members) for s in sure)
    right = sum(max(Counter(data.themes[i] for i in s.members).values()) for s in sure)
    unsure_pure = sum(len({data.themes[i] for i in s.members}) == 1 for s in found if not s.is_confident)
    return (
        f"  {'':<26} pre-selected (confident) groups: {len(sure)} of {len(found)}, {pure} pure,"
        f" {right}/{demands} demands in their group's main theme; unsure groups pure: {unsure_pure}/"
        f"{len(found) - len(sure)}"
    )


def main() -> None:
    """Featurize every set once per mode, then print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="print the objective at every threshold")
    parser.add_argument("--no-encoder", action="store_true", help="lexical features only")
    parser.add_argument("--tuning-only", action="store_true", help="leave the held-out set out (while tuning)")
    args = parser.parse_args()
    sets = load_sets()
    if args.tuning_only:
        sets = {name: s for name, s in sets.items() if name in TUNING}
    modes = [False] + ([True] if consolidation.encoder_available() and not args.no_encoder else [])
    described = (f"{s.name} ({len(s.texts)} demands, {len(set(s.themes))} themes)" for s in sets.values())
    print(f"sets: {', '.join(described)}")
    for use_encoder in modes:
        mode = "lexical+encoder" if use_encoder else "lexical"
        started = time.perf_counter()
        features = {name: consolidation.featurize_many(s.texts, use_encoder=use_encoder) for name, s in sets.items()}
        default = consolidation.default_threshold(features["eval"]) if use_encoder else (
            consolidation.default_threshold([]))
        print(f"\n== {mode} (features {time.perf_counter() - started:.1f} s; default threshold {default}) ==")
        sweep = {
            name: {t: score(sets[name], cluster(features[name], t, use_encoder)) for t in GRID} for name in TUNING
        }
        if args.sweep:
            for name in TUNING:
                print(f"  sweep on {name}: " + " ".join(f"{t}:{s.objective:.3f}/{s.ari:.2f}"
                                                        for t, s in sweep[name].items()))
        print("cross-validation over the tuning sets (threshold chosen on the others, applied to this one):")
        for name in TUNING:
            others = [o for o in TUNING if o != name]
            best = max(GRID, key=lambda t: (sum(sweep[o][t].objective for o in others), -t))
            print(line(f"{name} at {best} (CV)", sweep[name][best]))
        pooled = max(GRID, key=lambda t: (sum(sweep[o][t].objective for o in TUNING), -t))
        print(f"threshold maximising the mean objective over the tuning sets: {pooled}")
        print("at the engine's default threshold:")
        for name in TUNING:
            print(line(f"{name}", score(sets[name], cluster(features[name], None, use_encoder))))
            print(confidence_line(sets[name], features[name], use_encoder))
        for name in () if args.tuning_only else HELD_OUT:
            print("held-out set (never used for a choice), at the default threshold:")
            print(line(f"{name}", score(sets[name], cluster(features[name], None, use_encoder))))
            print(confidence_line(sets[name], features[name], use_encoder))


if __name__ == "__main__":
    main()
