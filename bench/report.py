"""The bench's result: targets checked, a plain-text table, and the JSON shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TARGETS", "REQUIRED_KEYS", "check_targets", "format_table", "render"]

TARGETS = {
    "ingest_overhead_ratio": 1.2,
    "ask_p50_ms": 30.0,
    "ask_p95_ms": 80.0,
    "cold_start_ratio": 1.3,
}
"""Upper bounds from the performance issue (the shipped corpus, a warm process)."""

REQUIRED_KEYS = (
    "machine", "load_average", "config", "ingest", "latency", "cold_start", "scale", "backend",
    "targets",
)  # fmt: skip
"""Top-level keys of `pht-bench --json` (a section that was skipped holds null)."""


def _get(data: Mapping[str, Any] | None, *path: str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def check_targets(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {target: {value, limit, met}} for each target the result has a value for."""
    shipped = next((i for i in result.get("ingest") or [] if i.get("corpus") == "shipped"), None)
    values = {
        "ingest_overhead_ratio": _get(shipped, "ingest_overhead_ratio"),
        "ask_p50_ms": _get(result.get("latency"), "ask_ms", "total", "p50"),
        "ask_p95_ms": _get(result.get("latency"), "ask_ms", "total", "p95"),
        "cold_start_ratio": _get(result.get("cold_start"), "ratio"),
    }
    return {
        name: {"value": value, "limit": TARGETS[name], "met": value <= TARGETS[name]}
        for name, value in values.items()
        if value is not None
    }


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return rows as aligned text columns (first column left-aligned, the others right)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        parts = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(parts).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _pp(stats: Mapping[str, Any] | None) -> str:
    if not stats or not stats.get("n"):
        return "-"
    return f"{stats['p50']:g} / {stats['p95']:g}"


def _ingest(rows: Sequence[Mapping[str, Any]]) -> str:
    return format_table(
        ["ingest", "chunks", "words/chunk", "ingest s", "encode s", "chunks/s", "overhead",
         "encode in slices"],
        [
            [r["corpus"], r["chunks"], r["mean_words_per_chunk"], r["ingest_s"], r["encode_s"],
             r["chunks_per_s"], r["ingest_overhead_ratio"], r.get("slices_ratio")]
            for r in rows
        ],
    )


def _latency(data: Mapping[str, Any]) -> str:
    ask = data["ask_ms"]
    retrieved = data["ask_retrieved_ms"]
    rows = [
        [f"ask: {stage}", _pp(retrieved[stage])] for stage in ("safety", "retrieve", "compose")
    ]
    rows += [
        ["ask: total, questions that retrieved", _pp(retrieved["total"])],
        ["ask: total, all questions", _pp(ask["total"])],
        ["LangChain Chroma.similarity_search top-4", _pp(data["langchain_top4_ms"])],
        ["one query embedding (the floor)", _pp(data["query_embedding_ms"])],
    ]
    for threads, stats in (data.get("query_embedding_by_torch_threads_ms") or {}).items():
        rows.append([f"  same, torch threads = {threads} (separate loop)", _pp(stats)])
    title = f"warm latency, ms p50 / p95 ({data['questions']} questions x {data['passes']})"
    return format_table([title, "ms"], rows)


def _cold(data: Mapping[str, Any]) -> str:
    phases = data.get("pht_ask_phases_s") or {}
    rows = [
        ["pht-ask: process start to first answer", data["pht_ask_s"]],
        ["import sentence-transformers + load model", data["reference_s"]],
        ["ratio", data["ratio"]],
        ["pht-ask phases: " + ", ".join(phases), " / ".join(f"{v:g}" for v in phases.values())],
    ]
    return format_table([f"cold start, s (median of {data['repeats']})", "s"], rows)


def _scale(rows: Sequence[Mapping[str, Any]]) -> str:
    return format_table(
        ["scale (synthetic vectors)", "chunks", "vocab", "upsert s", "start-up s", "hybrid ms",
         "chroma ms", "bm25 ms", "peak RSS MB"],
        [
            [r["store"], r["size"], r.get("vocabulary"), r["upsert_s"],
             round(r["read_back_s"] + r["lexical_build_s"], 2), _pp(r["hybrid_ms"]),
             _pp(r["dense_ms"]), _pp(r["lexical_ms"]),
             f"{r['peak_rss_mb']:g}"
             + (f" + server {r['server_peak_rss_mb']:g}" if r.get("server_peak_rss_mb") else "")]
            for r in rows
        ],
    )


def _backend(data: Mapping[str, Any]) -> str:
    if not data.get("available"):
        return f"embedding backend (ONNX): not available: {data.get('reason', '?')}"
    k = data.get("k", 6)
    return format_table(
        ["embedding backend", "query ms", "encode s", f"same top-{k}", "same set",
         "same top-1", "min cos", "export s"],
        [[name, _pp(v.get("query_ms")), v.get("encode_s"), v.get("same_top_k"),
          v.get("same_top_k_set"), v.get("same_top_1"), v.get("min_cosine_to_torch"),
          v.get("export_s", "")]
         for name, v in data["backends"].items()],
    )


def render(result: Mapping[str, Any]) -> str:
    """Return the whole result as the table `pht-bench` prints."""
    machine = result["machine"]
    load = result["load_average"]
    parts = [
        f"PHT Guide performance, {machine['date']}: {machine['cores']} cores, "
        f"{machine['memory_gb']} GiB, {machine['cpu']}; load average "
        f"{load['start'][0]:g} at start, {load['end'][0]:g} at end",
    ]
    if result.get("ingest"):
        parts.append(_ingest(result["ingest"]))
    if result.get("latency"):
        parts.append(_latency(result["latency"]))
    if result.get("cold_start"):
        parts.append(_cold(result["cold_start"]))
    if result.get("scale"):
        parts.append(_scale(result["scale"]["results"]))
    if result.get("backend"):
        parts.append(_backend(result["backend"]))
    targets = result.get("targets") or {}
    if targets:
        parts.append(
            "targets: "
            + "; ".join(
                f"{name} {t['value']:g} <= {t['limit']:g} {'met' if t['met'] else 'MISSED'}"
                for name, t in targets.items()
            )
        )
    return "\n\n".join(parts)
