"""`pht-eval --llm-bench`: replay the paraphrase benchmark and print (and write) its figures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evals.llm_bench.data import BENCH_PATH, load_bench
from evals.llm_bench.replay import format_scores, replay, serve_replies
from evals.llm_bench.server import ScriptedServer
from evals.report import write_json

__all__ = ["run_llm_bench"]


def run_llm_bench(
    out: Path | None = None, *, bench: Path = BENCH_PATH, similarity: bool = True
) -> int:
    """Replay the benchmark through LLM mode on a scripted loopback server; return 0."""
    from assistant.factory import build_llm_composer
    from assistant.settings import Settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    records = load_bench(bench)
    embeddings = None
    if similarity:
        from assistant.index.embeddings import load_embeddings

        embeddings = load_embeddings(Settings.from_env())
    server = ScriptedServer().start()
    try:
        # The judge cannot be replayed (the server sends the stored reply to every call).
        base = Settings.from_env().with_(llm_verify="deterministic")
        settings = server.settings(base, timeout_s=10.0)
        composer = build_llm_composer(settings, embeddings)
        scores = replay(records, composer, serve_replies(server))
    finally:
        server.stop()
    sys.stdout.write(format_scores(scores) + "\n")
    if out is not None:
        write_json({split: score.as_dict() for split, score in scores.items()}, out)
        sys.stdout.write(f"wrote {out}\n")
    return 0
