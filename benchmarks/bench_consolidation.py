"""Measure the consolidation engine: clustering time and peak memory, feature cost, quality.

Run ``.venv/bin/python benchmarks/bench_consolidation.py`` (``--quick`` for a short run). It prints:

- the time and peak memory (``ru_maxrss`` of a fresh subprocess that loads stored features and clusters them) at
  1k, 10k and 50k demands, synthesised by recombining the labelled evaluation set with other places and words;
- the cost of preparing one new demand's features, with and without the sentence encoder;
- the adjusted Rand index and V-measure on the evaluation set, with and without the encoder.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deliberate.domain import consolidation  # noqa: E402

EVAL_PATH = ROOT / "tests" / "data" / "consolidation_eval.csv"
FILLERS = [
    "Lo pedimos desde hace anos.",
    "It has been promised many times.",
    "El club ya junto una parte del dinero.",
    "Our members will volunteer.",
    "Es lo mas urgente para las familias.",
    "This affects hundreds of families.",
    "ojala nos tomen en cuenta",
    "pls consider it",
    "Gracias a la federacion por escuchar.",
    "We can share photos and quotes.",
]


def load_eval() -> tuple[list[str], list[str]]:
    """Read the labelled evaluation set: texts and their themes."""
    with open(EVAL_PATH, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["theme"] for row in rows]


def synthetic_texts(size: int, seed: int = 7) -> list[str]:
    """Build ``size`` demands by recombining eval-set texts with other places, fillers and small typos."""
    texts, themes = load_eval()
    by_theme: dict[str, list[str]] = {}
    for text, theme in zip(texts, themes, strict=True):
        by_theme.setdefault(theme, []).append(text)
    towns = sorted(
        {
            " ".join(tokens).title()
            for tokens, key in consolidation.default_gazetteer().places.items()
            if not key.startswith("region:")
        }
    )
    rng = random.Random(seed)
    result = []
    theme_names = sorted(by_theme)
    for _ in range(size):
        theme = rng.choice(theme_names)
        first = rng.choice(by_theme[theme])
        words = first.split()
        if rng.random() < 0.5:
            second = rng.choice(by_theme[theme]).split()
            words += second[: max(3, len(second) // 2)]
        if rng.random() < 0.6:
            words += ["en", rng.choice(towns)]
        if rng.random() < 0.3:
            position = rng.randrange(len(words))
            word = words[position]
            if len(word) > 4:
                cut = rng.randrange(1, len(word) - 1)
                words[position] = word[:cut] + word[cut + 1 :]
        if rng.random() < 0.3:
            words.append(rng.choice(FILLERS))
        result.append(" ".join(words))
    return result


def write_features(path: Path, features: list[consolidation.DemandFeatures]) -> None:
    """Store features as length-prefixed blobs, the way an app would keep them beside each demand."""
    with open(path, "wb") as handle:
        for item in features:
            blob = item.to_bytes()
            handle.write(struct.pack("<I", len(blob)))
            handle.write(blob)


def read_features(path: Path) -> list[consolidation.DemandFeatures]:
    """Load features written by :func:`write_features`."""
    data = Path(path).read_bytes()
    features, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        features.append(consolidation.DemandFeatures.from_bytes(data[offset : offset + length]))
        offset += length
    return features


def child(path: str) -> None:
    """Load stored features and cluster them; print seconds, peak RSS (MiB) and the number of groups."""
    started, cpu = time.perf_counter(), time.process_time()
    features = read_features(Path(path))
    groups = consolidation.suggest(features)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # VmHWM is this process's own peak; ru_maxrss would also count the parent it was forked from.
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    found = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    peak = int(found[0]) / 1024 if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.3f} {peak:.1f} {len(groups)} {cpu:.3f}")


def measure_size(size: int, use_encoder: bool) -> None:
    """Featurize ``size`` synthetic demands, then time their clustering in a fresh process."""
    texts = synthetic_texts(size)
    started, cpu = time.perf_counter(), time.process_time()
    features = consolidation.featurize_many(texts, use_encoder=use_encoder)
    featurize_seconds, featurize_cpu = time.perf_counter() - started, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "features.bin"
        write_features(path, features)
        stored_mib = path.stat().st_size / 2**20
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True
        ).stdout.split()
    seconds, peak, groups, cluster_cpu = float(output[0]), float(output[1]), int(output[2]), float(output[3])
    mode = "lexical+encoder" if use_encoder else "lexical"
    print(
        f"  {size:>6} demands  {mode:<16} from scratch {featurize_seconds + seconds:7.2f} s"
        f"  (featurize {featurize_seconds:6.2f} s, cluster and rate {seconds:6.2f} s)  peak {peak:7.1f} MiB"
        f"  groups {groups:>6}  stored {stored_mib:.1f} MiB"
    )
    print(
        f"  {'':>6}          {'':<16} CPU time   {featurize_cpu + cluster_cpu:7.2f} s"
        f"  (featurize {featurize_cpu:6.2f} s,"
        f" cluster and rate {cluster_cpu:6.2f} s; wall time counts waiting for a shared, loaded machine)"
    )


def feature_cost(use_encoder: bool, repeats: int = 50) -> float:
    """Return the mean seconds to prepare one new demand's features (the encoder already loaded)."""
    texts, _ = load_eval()
    consolidation.featurize(texts[0], use_encoder=use_encoder)
    sample = texts[:repeats]
    started = time.perf_counter()
    for text in sample:
        consolidation.featurize(text, use_encoder=use_encoder)
    return (time.perf_counter() - started) / len(sample)


def hint_cost(stored: int, repeats: int = 20) -> float:
    """Return the mean seconds to featurize one new demand and rank ``stored`` stored demands against it."""
    features = consolidation.featurize_many(synthetic_texts(stored), use_encoder=False)
    texts, _ = load_eval()
    consolidation.similar_from_features(consolidation.featurize(texts[0]), features, 5)
    started = time.perf_counter()
    for text in texts[:repeats]:
        consolidation.similar_from_features(consolidation.featurize(text), features, 5)
    return (time.perf_counter() - started) / repeats


def quality(use_encoder: bool) -> tuple[float, float, int]:
    """Return adjusted Rand index, V-measure and the number of groups on the evaluation set."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    texts, themes = load_eval()
    groups = consolidation.suggest_clusters(texts, use_encoder=use_encoder)
    predicted = [0] * len(texts)
    for label, group in enumerate(groups):
        for index in group:
            predicted[index] = label
    return adjusted_rand_score(themes, predicted), v_measure_score(themes, predicted), len(groups)


def main() -> None:
    """Parse the arguments and print every measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1k and 10k only, encoder at 1k only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    encoder = consolidation.encoder_available()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    texts, themes = load_eval()
    print(f"evaluation set: {len(texts)} demands, {len(set(themes))} themes; encoder installed: {encoder}")
    print("quality on the evaluation set (default thresholds):")
    for use in (False, True) if encoder else (False,):
        ari, v_measure, groups = quality(use)
        label = "lexical+encoder" if use else "lexical"
        print(f"  {label:<16} ARI {ari:.3f}  V-measure {v_measure:.3f}  groups {groups}")
    print("preparing one new demand's features:")
    for use in (False, True) if encoder else (False,):
        label = "lexical+encoder" if use else "lexical"
        print(f"  {label:<16} {feature_cost(use) * 1000:.1f} ms per demand")
    print("one new demand's features and its similar-demands hint (lexical, the default):")
    for stored in [1_000, 10_000] if args.quick else [1_000, 10_000, 50_000]:
        print(f"  against {stored:>6} stored demands: {hint_cost(stored) * 1000:.1f} ms")
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 50_000]
    print("from scratch: featurize, then load the stored features, cluster and rate them in a fresh process")
    print("(peak = that process's own peak resident memory, interpreter included):")
    for size in sizes:
        measure_size(size, use_encoder=False)
    if encoder:
        for size in [1_000] if args.quick else [1_000, 10_000]:
            measure_size(size, use_encoder=True)


if __name__ == "__main__":
    main()
