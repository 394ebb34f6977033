"""`pht-eval --dev`: the dev set's train and test splits through one assistant, side by side.

Tune on train; the test split's figures are the ones to report, and its thresholds
(evals/dev/thresholds.yaml) are what the run enforces. Reports go to OUT-train.json and
OUT-test.json when --out is given.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evals.dev.build import DEV_DIR
from evals.matcher_quality import evaluate, load_pairs
from evals.metrics import MetricContext
from evals.models import load_cases
from evals.report import build_report, write_json
from evals.runner import CaseResult, run_cases
from evals.split_figures import figures, format_side_by_side
from evals.summary import ThresholdCheck, check_thresholds, load_thresholds

__all__ = ["SPLITS", "DEV_THRESHOLDS", "run_dev"]

SPLITS = ("train", "test")
DEV_THRESHOLDS = DEV_DIR / "thresholds.yaml"
"""Bounds for the test split (the issue's targets); the train split is reported, not gated."""
FALSE_REFUSAL_MAX = 0.02
"""At most this share of the test split's answerable questions may be refused."""


def _split_path(out: Path, split: str) -> Path:
    return out.with_name(f"{out.stem}-{split}{out.suffix or '.json'}")


def run_dev(
    out: Path | None = None, *, mode: str | None = None, enforce: bool = True, progress: bool = True
) -> int:
    """Run both splits, print the figures side by side; return 1 if a test bound is not met."""
    from assistant import Settings, build_assistant
    from evals.cli import corpus_texts

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env().with_(answer_log=False)
    if mode:
        settings = settings.with_(mode=mode)
    assistant = build_assistant(settings)
    context = MetricContext(corpus_texts=corpus_texts(assistant), k=settings.top_k)
    results: dict[str, list[CaseResult]] = {}
    for split in SPLITS:
        cases = load_cases([DEV_DIR / split])
        results[split] = run_cases(assistant, cases, context, progress=progress)
    print(format_side_by_side({split: figures(found) for split, found in results.items()}))
    checks: list[ThresholdCheck] = []
    if enforce:
        checks = check_thresholds(results["test"], load_thresholds(DEV_THRESHOLDS))
    if out is not None:
        quality = evaluate(load_pairs()).summary()
        for split, found in results.items():
            meta = {
                "mode": settings.mode,
                "corpus_version": getattr(assistant, "corpus_version", ""),
                "cases": len(found),
                "tags": f"dev-{split}",
                "matcher": quality,
                "figures": figures(found),
            }
            path = _split_path(out, split)
            write_json(build_report(found, checks if split == "test" else [], meta), path)
            print(f"wrote {path}")
    for c in checks:
        mark = "ok   " if c.ok else "BELOW"
        value = "-" if c.value is None else f"{c.value:.3f}"
        print(f"{mark} test {c.scope:<17} {c.metric:<18} {value:>9}  ({c.bound})")
    failed = [c for c in checks if not c.ok]
    refusals = figures(results["test"])["false_refusal_rate"]
    if enforce and refusals is not None:
        ok = refusals <= FALSE_REFUSAL_MAX
        mark = "ok   " if ok else "BELOW"
        print(f"{mark} test {'all':<17} {'false_refusals':<18} {refusals:>9.3f}  (<= 0.02)")
        if not ok:
            print("the dev test split refuses too many answerable questions.", file=sys.stderr)
            return 1
    if failed:
        print(f"{len(failed)} dev test threshold(s) not met.", file=sys.stderr)
        return 1
    return 0
