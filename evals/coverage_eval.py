"""`pht-eval --coverage`: the learned coverage model under grouped cross-validation.

Each fold holds out whole phrasing families of `assistant/triage/data/uncovered/` (one situation
asked many ways), trains the regression on the rest (with every rule's reviewed examples, as the
product does) and scores the held-out questions. Reported per rule: the share of its held-out
questions called not covered (recall) and the share given the right rule; for the `covered`
look-alikes, the share left alone (specificity); and, beside the model, the reviewed rules'
regexes on the same questions, and their union.

The model is not in the answer path (assistant/triage/uncovered_model.py says why); this report
is how a next version of it is measured before it is.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.triage.uncovered_model import (
    COVERED,
    UNCOVERED_PROBABILITY,
    UncoveredData,
    fit_uncovered,
    load_uncovered_data,
)

__all__ = [
    "FOLDS", "grouped_scores", "coverage_figures", "format_coverage", "run_coverage_eval",
    "run_cli",
]  # fmt: skip

FOLDS = 5
Embed = Callable[[list[str]], list[list[float]]]


def grouped_scores(
    data: UncoveredData, vectors: np.ndarray, extra: UncoveredData, folds: int = FOLDS
) -> list[tuple[str | None, float]]:
    """Return, per question of `data`, the out-of-fold (rule, P(not covered)) of the model
    trained on the other folds' families plus `extra` (always in training)."""
    from sklearn.model_selection import GroupKFold

    extra_vectors = vectors[len(data.texts) :]
    vectors = vectors[: len(data.texts)]
    out: list[tuple[str | None, float]] = [(None, 0.0)] * len(data.texts)
    splitter = GroupKFold(n_splits=folds)
    for train, test in splitter.split(vectors, groups=list(data.families)):
        x = np.vstack([vectors[train], extra_vectors])
        y = [data.labels[i] for i in train] + list(extra.labels)
        model = fit_uncovered(x, y)
        for i in test:
            out[i] = model.decide(vectors[i], threshold=0.0)
    return out


def coverage_figures(
    data: UncoveredData,
    scores: Sequence[tuple[str | None, float]],
    rule_hits: Sequence[str | None],
    threshold: float = UNCOVERED_PROBABILITY,
) -> dict[str, Any]:
    """Return recall per rule and specificity on covered questions: model, rules, union."""
    per: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for label, (rule, p), regex in zip(data.labels, scores, rule_hits, strict=True):
        model_says = rule if p >= threshold else None
        union = regex or model_says
        row = per[label]
        if label == COVERED:
            row["model"].append(model_says is None)
            row["rules"].append(regex is None)
            row["union"].append(union is None)
        else:
            row["model"].append(model_says is not None)
            row["model_right_rule"].append(model_says == label)
            row["rules"].append(regex is not None)
            row["union"].append(union is not None)
    figures: dict[str, Any] = {"threshold": threshold, "labels": {}}
    for label in sorted(per):
        figures["labels"][label] = {
            "n": len(per[label]["model"]),
            **{k: round(float(np.mean(v)), 3) for k, v in per[label].items()},
        }
    uncovered = [
        (p >= threshold, regex is not None)
        for label, (_, p), regex in zip(data.labels, scores, rule_hits, strict=True)
        if label != COVERED
    ]
    covered = [
        (p < threshold, regex is None)
        for label, (_, p), regex in zip(data.labels, scores, rule_hits, strict=True)
        if label == COVERED
    ]
    figures["recall"] = {
        "model": round(float(np.mean([m for m, _ in uncovered])), 3),
        "rules": round(float(np.mean([r for _, r in uncovered])), 3),
        "union": round(float(np.mean([m or r for m, r in uncovered])), 3),
    }
    figures["specificity"] = {
        "model": round(float(np.mean([m for m, _ in covered])), 3),
        "rules": round(float(np.mean([r for _, r in covered])), 3),
        "union": round(float(np.mean([m and r for m, r in covered])), 3),
    }
    return figures


def format_coverage(figures: dict[str, Any], sweep: dict[float, dict[str, Any]]) -> str:
    """Return the report as text: per label, then the totals, then a threshold sweep."""
    lines = [
        f"coverage model, {FOLDS}-fold grouped CV (families held out), threshold "
        f"{figures['threshold']}",
        f"{'label':<24} {'n':>5} {'model':>7} {'rule ok':>8} {'regex':>7} {'union':>7}",
    ]
    for label, row in figures["labels"].items():
        right = row.get("model_right_rule")
        lines.append(
            f"{label:<24} {row['n']:>5} {row['model']:>7.3f} "
            f"{'-' if right is None else f'{right:.3f}':>8} {row['rules']:>7.3f} "
            f"{row['union']:>7.3f}"
        )
    lines.append("(covered: share left alone; a rule: share called not covered)")
    for name in ("recall", "specificity"):
        r = figures[name]
        lines.append(
            f"{name:<24} {'':>5} {r['model']:>7.3f} {'':>8} {r['rules']:>7.3f} {r['union']:>7.3f}"
        )
    lines.append("threshold sweep (model alone / union): recall, specificity")
    for t, f in sweep.items():
        lines.append(
            f"  {t:.2f}: {f['recall']['model']:.3f} / {f['recall']['union']:.3f}, "
            f"{f['specificity']['model']:.3f} / {f['specificity']['union']:.3f}"
        )
    return "\n".join(lines)


def reviewed_questions(corpus_dir: Path = Path("corpus")) -> list[str]:
    """Return the reviewed questions of the corpus's sidecars: questions the guidance answers,
    always in training as covered examples (never scored: they are not phrasing families)."""
    from ingest.questions import parse_sidecar

    texts: list[str] = []
    for path in sorted((corpus_dir / "questions").glob("*.yaml")):
        sidecar = parse_sidecar(path, path.read_text(encoding="utf-8"))
        texts.extend(" ".join(t.split()) for p in sidecar.passages for _, t in p.questions.items())
    return texts


def run_coverage_eval(embed: Embed | None = None) -> dict[str, Any]:
    """Embed the data, score it out of fold, and return the figures (and a sweep)."""
    from assistant.triage.coverage import default_rules, detect_uncovered

    rules = default_rules()
    data = load_uncovered_data([r.id for r in rules])
    extra = (
        UncoveredData((), (), ())
        .with_examples([(r.id, r.positive_examples, r.negative_examples) for r in rules])
        .with_covered(reviewed_questions(), "reviewed-question")
    )
    if embed is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from assistant.index.embeddings import load_embeddings
        from assistant.settings import Settings

        embed = load_embeddings(Settings.from_env()).embed_documents
    vectors = np.asarray(embed([*data.texts, *extra.texts]), dtype=np.float64)
    scores = grouped_scores(data, vectors, extra)
    regex = [(hit.id if (hit := detect_uncovered(text, rules)) else None) for text in data.texts]
    figures = coverage_figures(data, scores, regex)
    sweep = {t: coverage_figures(data, scores, regex, t) for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)}
    return {"figures": figures, "sweep": sweep, "text": format_coverage(figures, sweep)}


def run_cli(out: Path | None) -> int:
    """Print the report (and write its figures to `out` as JSON); return the exit code."""
    report = run_coverage_eval()
    print(report["text"])
    if out is not None:
        payload = {"figures": report["figures"], "sweep": report["sweep"]}
        out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"wrote {out}")
    return 0
