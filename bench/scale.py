"""Retrieval cost and memory as the corpus grows: one fresh process per size and store."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.machine import process_memory_mb
from bench.server import chroma_server

__all__ = ["write_spec", "run_worker", "measure_scale", "growth"]

log = logging.getLogger(__name__)


def write_spec(
    path: Path,
    *,
    pool: Sequence[str],
    lengths: Sequence[int],
    questions: Sequence[str],
    vectors: Sequence[Sequence[float]],
    seed: int = 7,
) -> Path:
    """Write what every worker needs to rebuild the same corpus and queries; return the path."""
    spec = {
        "pool": list(pool),
        "lengths": list(lengths),
        "questions": list(questions),
        "vectors": [list(map(float, v)) for v in vectors],
        "dim": len(vectors[0]) if vectors else 384,
        "seed": seed,
    }
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def run_worker(args: Sequence[str], env: Mapping[str, str], timeout: float) -> dict[str, Any]:
    """Run `python -m bench.scale_worker ARGS` and return the JSON it prints."""
    command = [sys.executable, "-m", "bench.scale_worker", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **env}
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"scale worker failed ({done.returncode}): {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure_scale(
    sizes: Sequence[int],
    spec: Path,
    workdir: Path,
    *,
    stores: Sequence[str] = ("embedded", "server"),
    passes: int = 2,
    timeout: float = 3600,
) -> list[dict[str, Any]]:
    """Return one result per (size, store): build times, retrieval p50/p95, peak memory."""
    env = {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    results: list[dict[str, Any]] = []
    for size in sizes:
        common = ["--spec", str(spec), "--size", str(size), "--passes", str(passes)]
        for store in stores:
            log.info("scale: %d chunks, %s store", size, store)
            if store == "embedded":
                result = run_worker(
                    [*common, "--path", str(workdir / f"scale-{size}")], env, timeout
                )
            else:
                with chroma_server(workdir / f"server-{size}") as server:
                    result = run_worker(
                        [*common, "--host", server.host, "--port", str(server.port)], env, timeout
                    )
                    memory = process_memory_mb(server.pid)
                result["server_rss_mb"] = memory.get("rss")
                result["server_peak_rss_mb"] = memory.get("peak")
            results.append(result)
    return results


def growth(results: Sequence[Mapping[str, Any]], key: str = "hybrid_ms") -> dict[str, Any]:
    """Return, per store, how p50 of `key` grew from the smallest to the largest size."""
    by_store: dict[str, list[Mapping[str, Any]]] = {}
    for result in results:
        by_store.setdefault(str(result["store"]), []).append(result)
    out: dict[str, Any] = {}
    for store, rows in by_store.items():
        rows = sorted(rows, key=lambda r: int(r["size"]))
        first, last = rows[0], rows[-1]
        base = float(first[key]["p50"]) or 1e-9
        out[store] = {
            "from_size": first["size"],
            "to_size": last["size"],
            "size_factor": round(int(last["size"]) / int(first["size"]), 1),
            "p50_factor": round(float(last[key]["p50"]) / base, 1),
        }
    return out
