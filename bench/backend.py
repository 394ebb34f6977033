"""Can sentence-transformers run the packaged model on its ONNX or OpenVINO backend here?

Both backends need Hugging Face Optimum (`optimum[onnxruntime]`, `optimum-intel[openvino]`)
next to onnxruntime / openvino. This module only checks what is importable and, when a backend
is, measures it against the PyTorch model: query latency, encode time, and whether the top-k
chunks of the eval questions stay the same.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Sequence
from typing import Any

from bench.stats import summarize

__all__ = ["backend_status", "measure_backends"]

_NEEDS = {
    "onnx": ("optimum.onnxruntime", "onnxruntime"),
    "openvino": ("optimum.intel", "openvino"),
}


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def backend_status() -> dict[str, str | None]:
    """Return {backend: None when usable, else what is missing}."""
    status: dict[str, str | None] = {}
    for backend, modules in _NEEDS.items():
        missing = [m for m in modules if not _importable(m)]
        status[backend] = f"missing {', '.join(missing)}" if missing else None
    return status


def _top_ids(vectors: Any, matrix: Any, k: int) -> list[list[int]]:
    import numpy as np

    scores = np.asarray(vectors) @ np.asarray(matrix).T
    return [list(map(int, np.argsort(-row)[:k])) for row in scores]


def measure_backends(
    model_path: str, reference: Any, questions: Sequence[str], texts: Sequence[str], k: int = 6
) -> dict[str, Any]:
    """Return each usable backend's speed next to `reference` (the PyTorch model) and rankings."""
    status = backend_status()
    usable = [name for name, problem in status.items() if problem is None]
    if not usable:
        reason = "; ".join(f"{name}: {problem}" for name, problem in status.items())
        return {"available": False, "reason": reason, "status": status}
    from sentence_transformers import SentenceTransformer

    models = {"torch": reference}
    for name in usable:
        backend: Any = name
        models[name] = SentenceTransformer(
            model_path, device="cpu", backend=backend, local_files_only=True
        )
    results: dict[str, Any] = {}
    base_top: list[list[int]] | None = None
    for name, model in models.items():
        matrix = model.encode(list(texts), batch_size=16, normalize_embeddings=True)
        started = time.perf_counter()
        model.encode(list(texts), batch_size=16, normalize_embeddings=True)
        encode_s = time.perf_counter() - started
        query_ms: list[float] = []
        vectors = []
        for question in questions:
            t0 = time.perf_counter()
            vectors.append(model.encode(question, normalize_embeddings=True))
            query_ms.append((time.perf_counter() - t0) * 1000)
        top = _top_ids(vectors, matrix, k)
        base_top = base_top or top
        same = statistics.mean(a == b for a, b in zip(top, base_top, strict=True))
        results[name] = {
            "query_ms": summarize(query_ms),
            "encode_s": round(encode_s, 3),
            "same_rankings": round(same, 3),
        }
    return {"available": True, "status": status, "backends": results}
