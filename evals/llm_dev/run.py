"""`pht-eval --llm-dev`: LLM mode against extractive on the covered dev cases, side by side."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from evals.llm_dev.capture import SPLITS, dev_cases
from evals.llm_dev.replay import Comparison, ProductComposers, compare, format_comparison
from evals.llm_dev.store import CAPTURE_PATH, REPLIES_PATH, load_capture, load_replies
from evals.metrics import MetricContext
from evals.report import write_json

if TYPE_CHECKING:
    from assistant.settings import Settings

__all__ = ["run_comparison", "run_llm_dev"]


def run_comparison(
    settings: Settings | None = None, *, capture: Path = CAPTURE_PATH,
    replies: Path = REPLIES_PATH, splits: tuple[str, ...] = SPLITS,
) -> dict[str, Comparison]:  # fmt: skip
    """Replay each of `splits` that has replies through both composers; return them by split."""
    from assistant.factory import build_static_assistant
    from assistant.settings import Settings
    from evals.cli import corpus_texts
    from evals.llm_bench.server import ScriptedServer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    captured, written = load_capture(capture), load_replies(replies)
    base = settings or Settings.from_env()
    # The judge cannot be replayed (the server sends the stored reply to every call).
    base = base.with_(answer_log=False, llm_verify="deterministic")
    server = ScriptedServer().start()
    try:
        assistant = build_static_assistant(server.settings(base, timeout_s=10.0))
        composers = ProductComposers(assistant, server)
        context = MetricContext(corpus_texts=corpus_texts(assistant), k=base.top_k)
        split_of = {c.id: c.split for c in captured.cases}
        out = {}
        for split in splits:
            if not any(split_of.get(case_id) == split for case_id in written):
                continue
            cases = [case for s, case in dev_cases([split])]
            out[split] = compare(captured, written, cases, composers, context, split=split)
        return out
    finally:
        server.stop()


def run_llm_dev(out: Path | None = None) -> int:
    """Print (and write) the comparison; return 0."""
    comparisons = run_comparison()
    for comparison in comparisons.values():
        sys.stdout.write(format_comparison(comparison) + "\n")
    if out is not None:
        write_json({split: c.as_dict() for split, c in comparisons.items()}, out)
        sys.stdout.write(f"wrote {out}\n")
    return 0
