"""`python -m evals.ranker_train`: learn the composer's sentence ranker on the dev train split.

Every train case with expected statements is asked through the real assistant; what retrieval
handed the composer is kept, and each sentence of those hits becomes one example: its features
(`assistant.compose.ranker.features`) and a label, positive when the eval's frozen matcher says
the sentence alone conveys one of the case's statements. A logistic regression (scikit-learn,
lbfgs, deterministic) is fitted on standardised features; the standardisation is folded into the
stored weights so the product needs no scaler. The fit is pairwise (an answering sentence against
each other sentence of the same case: what the composer needs is the order within a question),
then calibrated to log-odds. The regularisation is chosen by the mean reciprocal rank of the first
answering sentence in cross-validation grouped by phrasing family. Only the train split is
read: the test split stays unseen.

The file written (assistant/compose/data/ranker.yaml) records the train set's hash, so a test
fails when the train cases change and the weights were not relearnt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.compose.ranker import FEATURES, RANKER_FILE, RankerFile
from evals.dev.build import DEV_DIR
from evals.matcher import conveys
from evals.models import EvalCase, load_cases

__all__ = [
    "TRAIN_DIR",
    "REGULARISATION_GRID",
    "Example",
    "train_set_hash",
    "label_units",
    "fit",
    "top_precision",
    "reciprocal_rank",
    "main",
]

TRAIN_DIR = DEV_DIR / "train"
REGULARISATION_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
"""scikit-learn C values tried; the grouped cross-validation picks one."""
FOLDS = 5
HAND_WEIGHTS = {
    "cosine": 1.0,
    "overlap": 0.3,
    "question": 0.6,
    "hit_prior": 0.05,
    "low_information": -0.1,
    "denied": -0.3,
}
"""The hand-weighted score the ranker replaces (session 5), for the comparison figures."""


@dataclass(frozen=True)
class Example:
    """The sentences one train case's retrieval offered, with their features and labels."""

    case_id: str
    family: str
    texts: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]
    labels: tuple[bool, ...]


def train_set_hash(directory: Path = TRAIN_DIR) -> str:
    """Return sha256 over the train split's case files (names and bytes, sorted by name)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def label_units(statements: Sequence[str], texts: Sequence[str]) -> list[bool]:
    """Return, per sentence, whether it alone conveys one of the statements (frozen matcher)."""
    return [any(conveys(s, text).supported for s in statements) for text in texts]


def _capture(cases: Sequence[EvalCase], progress: bool) -> dict[str, Any]:
    """Ask every case; return, per case id, what retrieval handed the composer."""
    from assistant import Settings, build_assistant

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env().with_(answer_log=False, mode="extractive")
    assistant = build_assistant(settings)
    composer = assistant._composer
    seen: list[Any] = []
    original = composer.choose

    def recording(retrieved: Any, audience: str) -> Any:
        seen.append(retrieved)
        return original(retrieved, audience)

    composer.choose = recording  # type: ignore[method-assign]
    captured: dict[str, Any] = {}
    for n, case in enumerate(cases, start=1):
        seen.clear()
        assistant.ask(case.question, case.history_dicts(), audience=case.audience)
        if seen:
            captured[case.id] = seen[-1]
        if progress and n % 50 == 0:
            print(f"asked {n}/{len(cases)}", file=sys.stderr)
    return {"captured": captured, "composer": composer.extractive}


def examples_of(
    cases: Sequence[EvalCase], captured: dict[str, Any], composer: Any
) -> list[Example]:
    """Return one Example per captured case: its scored sentences' features and labels."""
    found: list[Example] = []
    for case in cases:
        retrieved = captured.get(case.id)
        if retrieved is None or not case.statements:
            continue
        scored = composer.score(
            retrieved.focus, retrieved.vector, retrieved.hits, denied=retrieved.denied
        )
        if not scored:
            continue
        texts = tuple(s.unit.text for s in scored)
        found.append(
            Example(
                case_id=case.id,
                family=case.family or case.id,
                texts=texts,
                rows=tuple(s.features for s in scored),
                labels=tuple(label_units(case.statements, texts)),
            )
        )
    return found


def _pairs(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Per case, every (answering, other) sentence pair as a feature difference, both ways."""
    x: list[np.ndarray] = []
    y: list[int] = []
    for e in examples:
        rows = np.array(e.rows, dtype=float)
        labels = np.array(e.labels, dtype=bool)
        for good in rows[labels]:
            for other in rows[~labels]:
                x.extend((good - other, other - good))
                y.extend((1, 0))
    return np.array(x, dtype=float).reshape(-1, len(FEATURES)), np.array(y, dtype=int)


def fit(examples: Sequence[Example], c: float) -> tuple[dict[str, float], float]:
    """Return (weights per feature on the raw scale, intercept): a pairwise logistic regression
    ranks the sentences of a case, then a one-feature logistic regression of the labels on that
    ranking score turns it into calibrated log-odds (so answer-length margins mean the same for
    every question)."""
    from sklearn.linear_model import LogisticRegression

    x, y = _pairs(examples)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    ranking = LogisticRegression(C=c, fit_intercept=False, max_iter=5000, solver="lbfgs")
    ranking.fit(x / scale, y)
    coef = ranking.coef_[0] / scale
    rows = np.array([row for e in examples for row in e.rows], dtype=float)
    labels = np.array([label for e in examples for label in e.labels], dtype=int)
    calibration = LogisticRegression(C=100.0, max_iter=5000, solver="lbfgs")
    calibration.fit((rows @ coef).reshape(-1, 1), labels)
    slope = float(calibration.coef_[0][0])
    intercept = float(calibration.intercept_[0])
    return {name: slope * float(w) for name, w in zip(FEATURES, coef, strict=True)}, intercept


def _scores(example: Example, weights: dict[str, float], intercept: float) -> list[float]:
    w = [weights.get(name, 0.0) for name in FEATURES]
    return [intercept + sum(a * b for a, b in zip(w, row, strict=True)) for row in example.rows]


def _first_answer_ranks(
    examples: Sequence[Example], weights: dict[str, float], intercept: float
) -> list[int]:
    """Per answerable example, the 1-based rank of its best-ranked answering sentence."""
    ranks: list[int] = []
    for e in examples:
        if not any(e.labels):
            continue
        scores = _scores(e, weights, intercept)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        ranks.append(next(r for r, i in enumerate(order, start=1) if e.labels[i]))
    return ranks


def top_precision(
    examples: Sequence[Example], weights: dict[str, float], intercept: float = 0.0, k: int = 1
) -> float:
    """Return the share of answerable examples (some sentence positive) with a positive sentence
    among their `k` best-scored ones."""
    ranks = _first_answer_ranks(examples, weights, intercept)
    return sum(r <= k for r in ranks) / len(ranks) if ranks else 0.0


def reciprocal_rank(
    examples: Sequence[Example], weights: dict[str, float], intercept: float = 0.0
) -> float:
    """Return the mean of 1 / rank of the first answering sentence (answerable examples)."""
    ranks = _first_answer_ranks(examples, weights, intercept)
    return sum(1 / r for r in ranks) / len(ranks) if ranks else 0.0


def _folds(examples: Sequence[Example]) -> list[list[int]]:
    """Examples split into FOLDS groups by family (a family never spans two folds)."""
    families = sorted({e.family for e in examples})
    fold_of = {f: n % FOLDS for n, f in enumerate(families)}
    folds: list[list[int]] = [[] for _ in range(FOLDS)]
    for i, e in enumerate(examples):
        folds[fold_of[e.family]].append(i)
    return folds


def cross_validated(examples: Sequence[Example], c: float) -> tuple[float, float]:
    """Return (top-1 precision, mean reciprocal rank) of models fitted without each fold,
    measured on that fold."""
    ranks: list[int] = []
    for held in _folds(examples):
        held_set = set(held)
        train = [e for i, e in enumerate(examples) if i not in held_set]
        weights, intercept = fit(train, c)
        ranks += _first_answer_ranks([examples[i] for i in held], weights, intercept)
    if not ranks:
        return 0.0, 0.0
    return sum(r == 1 for r in ranks) / len(ranks), sum(1 / r for r in ranks) / len(ranks)


def _render(data: RankerFile) -> str:
    header = (
        "# Written by `python -m evals.ranker_train` from the dev train split: do not edit.\n"
        "# Weights are on the raw feature scale (assistant/compose/ranker.py FEATURES);\n"
        "# figures: top-1/top-3 = share of train cases with an answering sentence ranked first /\n"
        "# in the first three; mrr = mean 1/rank of the first answering sentence; cv = grouped\n"
        "# 5-fold by family; hand = the session 5 hand-weighted score on the same sentences.\n"
    )
    body = yaml.safe_dump(data.model_dump(), sort_keys=False, allow_unicode=True)
    return header + body


def main(argv: Sequence[str] | None = None) -> int:
    """Train and write the ranker file; print the figures."""
    parser = argparse.ArgumentParser(prog="python -m evals.ranker_train", description=__doc__)
    parser.add_argument("--out", type=Path, default=RANKER_FILE, help="ranker YAML to write")
    parser.add_argument(
        "--cache", type=Path,
        help="pickle of the captured retrievals: read if it exists, else written",
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    cases = [c for c in load_cases([TRAIN_DIR]) if c.statements]
    if args.cache is not None and args.cache.exists():
        with args.cache.open("rb") as handle:
            state = pickle.load(handle)  # noqa: S301 - a file this command wrote
        from assistant.compose.extractive import ExtractiveComposer

        vectors = state["vectors"]
        composer = ExtractiveComposer(
            lambda texts: [vectors[t] for t in texts], state["vocabulary"]
        )
        captured = state["captured"]
    else:
        run = _capture(cases, progress=not args.no_progress)
        captured, composer = run["captured"], run["composer"]
        if args.cache is not None:
            with args.cache.open("wb") as handle:
                pickle.dump(
                    {"captured": captured, "vocabulary": composer.vocabulary,
                     "vectors": dict(composer._cache)},
                    handle,
                )  # fmt: skip
    examples = examples_of(cases, captured, composer)
    cv = {c: cross_validated(examples, c) for c in REGULARISATION_GRID}
    best_c = max(REGULARISATION_GRID, key=lambda c: (cv[c][1], -c))
    weights, intercept = fit(examples, best_c)
    positives = sum(sum(e.labels) for e in examples)
    figures = {
        "cases": float(len(examples)),
        "sentences": float(sum(len(e.labels) for e in examples)),
        "positive_sentences": float(positives),
        "answerable_cases": float(sum(any(e.labels) for e in examples)),
        "top1": round(top_precision(examples, weights, intercept), 4),
        "top3": round(top_precision(examples, weights, intercept, k=3), 4),
        "top1_cv": round(cv[best_c][0], 4),
        "mrr": round(reciprocal_rank(examples, weights, intercept), 4),
        "mrr_cv": round(cv[best_c][1], 4),
        "mrr_hand": round(reciprocal_rank(examples, HAND_WEIGHTS), 4),
        "top1_hand": round(top_precision(examples, HAND_WEIGHTS), 4),
        "top3_hand": round(top_precision(examples, HAND_WEIGHTS, k=3), 4),
    }
    data = RankerFile(
        model="logistic_regression",
        trained_by="python -m evals.ranker_train",
        date=dt.datetime.now(dt.UTC).date().isoformat(),
        train_set=train_set_hash(),
        regularisation=best_c,
        intercept=round(intercept, 6),
        weights={name: round(w, 6) for name, w in weights.items()},
        figures=figures,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(_render(data), encoding="utf-8")
    for c in REGULARISATION_GRID:
        print(f"C={c:<5} grouped-CV top-1 {cv[c][0]:.3f}, reciprocal rank {cv[c][1]:.3f}")
    for key, value in figures.items():
        print(f"{key:<20} {value}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
