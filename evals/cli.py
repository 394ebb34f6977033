"""`pht-eval`: run the eval cases, print the summary, write reports, enforce the thresholds."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import PHTError
from evals import matcher_quality
from evals.metrics import MetricContext
from evals.models import load_cases
from evals.report import (
    build_report,
    compare,
    format_comparison,
    format_table,
    load_report,
    write_html,
    write_json,
)
from evals.summary import (
    check_thresholds,
    default_thresholds_path,
    load_thresholds,
    summarize,
    summarize_by_tag,
)

__all__ = ["main", "corpus_texts"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pht-eval", description="Run PHT Guide's offline answer-quality evaluation."
    )
    parser.add_argument("--cases", type=Path, nargs="+", help="case files or directories")
    parser.add_argument("--tag", action="append", default=[], help="only cases with this tag")
    parser.add_argument("--mode", choices=["extractive", "llm"], help="composer (default: env)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--html", type=Path, help="write the HTML report here")
    parser.add_argument("--compare", type=Path, help="an earlier JSON report to compare with")
    parser.add_argument("--thresholds", type=Path, default=None, help="thresholds YAML")
    parser.add_argument("--no-thresholds", action="store_true", help="do not enforce thresholds")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--dev", action="store_true",
        help="run the dev set's train and test splits (evals/dev) and print them side by side",
    )  # fmt: skip
    parser.add_argument(
        "--matcher-quality", action="store_true", help="only report the statement matcher's"
        " precision and recall on evals/labelled_pairs.jsonl",
    )  # fmt: skip
    parser.add_argument(
        "--llm-bench", action="store_true", help="only replay the LLM paraphrase benchmark"
        " (evals/llm_bench) through a scripted loopback server; --out writes its figures",
    )  # fmt: skip
    parser.add_argument(
        "--llm-dev", action="store_true", help="only LLM mode against extractive on the dev"
        " cases with reviewed replies (evals/llm_dev), stored passages; --out writes JSON",
    )  # fmt: skip
    parser.add_argument(
        "--triage", action="store_true", help="only the red-flag triage eval: grouped CV by"
        " phrasing family, new gate against the old one (evals/triage_eval.py); --out: JSON",
    )  # fmt: skip
    parser.add_argument(
        "--coverage", action="store_true", help="only the learned coverage model: grouped CV"
        " by phrasing family against the reviewed rules (evals/coverage_eval.py); --out: JSON",
    )  # fmt: skip
    return parser


def corpus_texts(assistant: Any) -> frozenset[str]:
    """Return the text of every indexed chunk the assistant can show (empty if it cannot)."""
    documents = getattr(assistant, "documents", None)
    if documents is None:
        return frozenset()
    return frozenset(chunk.text for doc in documents() for chunk in doc.chunks)


def _run(args: argparse.Namespace) -> int:
    from assistant import Settings, build_assistant

    cases = load_cases(args.cases, tags=args.tag)
    if not cases:
        print("No cases to run (check --cases and --tag).", file=sys.stderr)
        return 2
    thresholds = None
    if not args.no_thresholds:
        thresholds = load_thresholds(args.thresholds or default_thresholds_path())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Eval questions are not user traffic: keep them out of the answer log.
    settings = Settings.from_env().with_(answer_log=False)
    if args.mode:
        settings = settings.with_(mode=args.mode)
    assistant = build_assistant(settings)
    context = MetricContext(corpus_texts=corpus_texts(assistant), k=settings.top_k)

    from evals.runner import run_cases

    results = run_cases(assistant, cases, context, progress=not args.no_progress)
    checks = check_thresholds(results, thresholds) if thresholds else []
    quality = matcher_quality.evaluate(matcher_quality.load_pairs())
    meta = {
        "mode": settings.mode,
        "corpus_version": getattr(assistant, "corpus_version", ""),
        "cases": len(cases),
        "tags": ",".join(args.tag) or "all",
        "matcher": quality.summary(),
    }
    report = build_report(results, checks, meta)
    print(format_table(summarize(results), summarize_by_tag(results)))
    print(f"\n{report['passed_cases']}/{report['total_cases']} cases passed every ratio metric")
    print(quality.summary())
    if args.out:
        write_json(report, args.out)
        print(f"wrote {args.out}")
    if args.html:
        write_html(report, args.html)
        print(f"wrote {args.html}")
    if args.compare:
        print("\n" + format_comparison(compare(load_report(args.compare), report)))
    failed = [c for c in checks if not c.ok]
    for c in checks:
        mark = "ok   " if c.ok else "BELOW"
        value = "-" if c.value is None else f"{c.value:.3f}"
        print(f"{mark} {c.scope:<22} {c.metric:<18} {value:>9}  ({c.bound})")
    if failed:
        print(f"{len(failed)} threshold(s) not met.", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run `pht-eval` with `argv` (sys.argv by default); return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.triage:
            from evals.triage_eval import run_cli

            return run_cli(args.out, enforce=not args.no_thresholds)
        if args.coverage:
            from evals.coverage_eval import run_cli as run_coverage

            return run_coverage(args.out)
        if args.llm_bench:
            from evals.llm_bench.run import run_llm_bench

            return run_llm_bench(args.out)
        if args.llm_dev:
            from evals.llm_dev.run import run_llm_dev

            return run_llm_dev(args.out)
        if args.dev:
            from evals.dev_run import run_dev

            return run_dev(
                args.out, mode=args.mode, enforce=not args.no_thresholds,
                progress=not args.no_progress,
            )  # fmt: skip
        if args.matcher_quality:
            print(matcher_quality.report(matcher_quality.evaluate(matcher_quality.load_pairs())))
            return 0
        return _run(args)
    except PHTError as exc:
        print(f"pht-eval: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
