"""Can sentence-transformers run the packaged model on its ONNX or OpenVINO backend here?

Both backends need Hugging Face Optimum (`optimum-onnx[onnxruntime]`, `optimum-intel[openvino]`)
next to onnxruntime / openvino. This module checks what is importable and, for each backend that
is, exports the packaged weights (offline), saves and reloads the export as a deployment would,
and measures it against the PyTorch model in the same process: one-query latency (the questions
interleaved across backends), batch encode time, and whether each eval question's top-k chunks
by cosine stay the same.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path
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


def top_k(vectors: Any, matrix: Any, k: int) -> list[list[int]]:
    """Return, per query vector, the row indices of `matrix` with the highest dot product."""
    import numpy as np

    scores = np.asarray(vectors) @ np.asarray(matrix).T
    return [list(map(int, np.argsort(-row, kind="stable")[:k])) for row in scores]


def _export(model_path: str, backend: str, target: Path) -> tuple[Any, float, float]:
    from sentence_transformers import SentenceTransformer

    kind: Any = backend
    started = time.perf_counter()
    exported = SentenceTransformer(model_path, device="cpu", backend=kind, local_files_only=True)
    exported.save_pretrained(str(target))
    export_s = time.perf_counter() - started
    started = time.perf_counter()
    model = SentenceTransformer(str(target), device="cpu", backend=kind, local_files_only=True)
    return model, export_s, time.perf_counter() - started


def measure_backends(
    model_path: str,
    reference: Any,
    questions: Sequence[str],
    texts: Sequence[str],
    workdir: Path,
    *,
    k: int = 6,
) -> dict[str, Any]:
    """Return each usable backend's speed next to `reference` (the PyTorch model) and rankings."""
    import numpy as np

    status = backend_status()
    usable = [name for name, problem in status.items() if problem is None]
    if not usable:
        reason = "; ".join(f"{name}: {problem}" for name, problem in status.items())
        return {"available": False, "reason": reason, "status": status}
    models: dict[str, Any] = {"torch": reference}
    results: dict[str, dict[str, Any]] = {"torch": {}}
    for name in usable:
        models[name], export_s, load_s = _export(model_path, name, workdir / f"model-{name}")
        results[name] = {"export_s": round(export_s, 2), "load_s": round(load_s, 2)}
    matrices: dict[str, Any] = {}
    for name, model in models.items():
        model.encode(list(texts[:16]), batch_size=16)  # first call allocates
        started = time.perf_counter()
        matrices[name] = model.encode(list(texts), batch_size=16, normalize_embeddings=True)
        results[name]["encode_s"] = round(time.perf_counter() - started, 3)
    query_ms: dict[str, list[float]] = {name: [] for name in models}
    vectors: dict[str, list[Any]] = {name: [] for name in models}
    for question in questions:
        for name, model in models.items():
            started = time.perf_counter()
            vectors[name].append(model.encode(question, normalize_embeddings=True))
            query_ms[name].append((time.perf_counter() - started) * 1000)
    base_top = top_k(vectors["torch"], matrices["torch"], k)
    for name in models:
        top = top_k(vectors[name], matrices[name], k)
        agreement = np.sum(np.asarray(vectors[name]) * np.asarray(vectors["torch"]), axis=1)
        results[name].update(
            query_ms=summarize(query_ms[name]),
            same_top_k=round(sum(a == b for a, b in zip(top, base_top, strict=True))
                             / len(base_top), 3),
            same_top_k_set=round(sum(set(a) == set(b) for a, b in zip(top, base_top, strict=True))
                                 / len(base_top), 3),
            same_top_1=round(sum(a[0] == b[0] for a, b in zip(top, base_top, strict=True))
                             / len(base_top), 3),
            min_cosine_to_torch=round(float(agreement.min()), 5),
        )
    return {"available": True, "status": status, "k": k, "backends": results}
