"""`pht-bench`: measure PHT Guide and print a table (or, with --json, one JSON object)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import PHTError
from assistant.settings import Settings

__all__ = ["BenchConfig", "run", "main", "SECTIONS"]

log = logging.getLogger(__name__)

SECTIONS = ("ingest", "latency", "cold", "scale", "backend")


@dataclass
class BenchConfig:
    """How much to measure; the defaults finish in a few minutes on 2 cores."""

    ingest_repeats: int = 3
    synthetic_chunks: int = 400
    synthetic_repeats: int = 2
    passes: int = 3
    max_questions: int | None = None
    cold_repeats: int = 3
    scale_sizes: tuple[int, ...] = (1000,)
    scale_stores: tuple[str, ...] = ("embedded", "server")
    scale_passes: int = 2
    sections: tuple[str, ...] = SECTIONS
    workdir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pht-bench",
        description="Measure ingest throughput, warm and cold answer latency, retrieval at "
        "larger corpus sizes and the embedding backend; print a table.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--scale", action="store_true", help="also run 10k and 100k chunk corpora (slow)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny configuration (checks that it runs)"
    )
    parser.add_argument(
        "--only", metavar="SECTIONS",
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--passes", type=int, help="passes over the eval questions")
    parser.add_argument("--sizes", help="scale sizes, comma-separated (e.g. 1000,10000)")
    parser.add_argument("--workdir", type=Path, help="keep indexes here (default: a temp dir)")
    return parser


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Return the BenchConfig the command-line arguments ask for."""
    config = BenchConfig()
    if args.quick:
        config = BenchConfig(
            ingest_repeats=1, synthetic_chunks=0, passes=1, max_questions=4, cold_repeats=1,
            scale_sizes=(200,), scale_stores=("embedded",), scale_passes=1,
        )
    if args.scale:
        config.scale_sizes = (1000, 10_000, 100_000)
        config.synthetic_chunks = max(config.synthetic_chunks, 1000)
    if args.sizes:
        config.scale_sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    if args.passes:
        config.passes = args.passes
    if args.only:
        wanted = tuple(s.strip() for s in args.only.split(",") if s.strip())
        unknown = sorted(set(wanted) - set(SECTIONS))
        if unknown:
            raise SystemExit(f"pht-bench: unknown section(s) {', '.join(unknown)}")
        config.sections = wanted
    config.workdir = args.workdir
    return config


def _questions(limit: int | None) -> list[Any]:
    from bench.latency import Question
    from evals.models import load_cases

    questions = [
        Question(case.question, tuple(case.history_dicts()), case.audience)
        for case in load_cases()
    ]
    return questions[:limit] if limit else questions


def _synthetic_corpus(workdir: Path, chunks: Sequence[Any], count: int) -> Path:
    from bench.synthetic import synthetic_texts, word_pool, write_corpus

    pool = word_pool([c.text for c in chunks])
    lengths = [len(c.text.split()) for c in chunks]
    return write_corpus(workdir / "synthetic-corpus", synthetic_texts(pool, count, lengths))


def run(config: BenchConfig, settings: Settings, workdir: Path) -> dict[str, Any]:
    """Run the configured sections and return the result (the `--json` object)."""
    from bench.machine import load_average, machine_info
    from bench.report import check_targets

    load_start = load_average()
    result: dict[str, Any] = {name: None for name in ("ingest", "latency", "cold_start",
                                                       "scale", "backend")}
    result["machine"] = machine_info()
    config_data = asdict(config)
    config_data["workdir"] = str(workdir)
    result["config"] = config_data

    from assistant.index.embeddings import embedding_model_path, load_embeddings, token_counter
    from ingest.pipeline import build_chunks

    embeddings = load_embeddings(settings)
    model_path = embedding_model_path(settings)
    shipped = build_chunks(
        settings.corpus_dir, token_counter(embeddings), settings.max_chunk_tokens
    ).chunks
    index = settings.with_(chroma_path=workdir / "shipped-0", data_dir=workdir / "data",
                           answer_log=False)
    questions = _questions(config.max_questions)

    if "ingest" in config.sections or "latency" in config.sections or "cold" in config.sections:
        from bench.ingest_speed import measure_ingest

        repeats = config.ingest_repeats if "ingest" in config.sections else 1
        result["ingest"] = [
            measure_ingest(
                settings, embeddings, workdir, label="shipped", repeats=repeats, warmup=True
            )
        ]
        if "ingest" in config.sections and config.synthetic_chunks:
            corpus = _synthetic_corpus(workdir, shipped, config.synthetic_chunks)
            result["ingest"].append(
                measure_ingest(
                    settings.with_(corpus_dir=corpus), embeddings, workdir,
                    label=f"synthetic-{config.synthetic_chunks}",
                    repeats=config.synthetic_repeats,
                )
            )

    if "latency" in config.sections:
        from langchain_chroma import Chroma

        from assistant.factory import build_assistant
        from assistant.index.chroma import chroma_client
        from bench.latency import measure_latency

        assistant = build_assistant(index)
        store = Chroma(
            client=chroma_client(index), collection_name=index.collection,
            embedding_function=embeddings,
        )
        result["latency"] = measure_latency(
            assistant, store, embeddings, questions, passes=config.passes
        )
        result["latency"]["load_average"] = load_average()

    if "cold" in config.sections:
        from bench.coldstart import measure_cold_start

        env = {
            "PHT_CORPUS_DIR": str(Path(settings.corpus_dir).resolve()),
            "PHT_CHROMA_PATH": str(index.chroma_path),
            "PHT_DATA_DIR": str(index.data_dir),
            "PHT_ANSWER_LOG": "0",
            "HF_HUB_OFFLINE": "1",
        }
        result["cold_start"] = measure_cold_start(
            env, model_path, questions[0].text, repeats=config.cold_repeats
        )
        result["cold_start"]["load_average"] = load_average()

    if "scale" in config.sections:
        from bench.scale import growth, measure_scale, write_spec
        from bench.synthetic import word_pool

        texts = [q.text for q in questions]
        spec = write_spec(
            workdir / "scale-spec.json",
            pool=word_pool([c.text for c in shipped]),
            lengths=[len(c.text.split()) for c in shipped],
            questions=texts,
            vectors=embeddings.embed_documents(texts),
        )
        results = measure_scale(
            config.scale_sizes, spec, workdir, stores=config.scale_stores,
            passes=config.scale_passes,
        )
        result["scale"] = {"results": results, "growth": growth(results),
                           "load_average": load_average()}

    if "backend" in config.sections:
        from assistant.index.embeddings import sentence_transformer
        from bench.backend import measure_backends

        result["backend"] = measure_backends(
            model_path, sentence_transformer(embeddings), [q.text for q in questions],
            [c.text for c in shipped], workdir,
        )

    result["load_average"] = {"start": load_start, "end": load_average()}
    result["targets"] = check_targets(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run pht-bench; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = config_from_args(args)
    try:
        settings = Settings.from_env()
        if config.workdir is not None:
            config.workdir.mkdir(parents=True, exist_ok=True)
            result = run(config, settings, config.workdir.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="pht-bench-") as tmp:
                result = run(config, settings, Path(tmp))
    except PHTError as exc:
        print(f"pht-bench: error: {exc}", file=sys.stderr)
        return 1
    from bench.report import render

    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
