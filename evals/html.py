"""The eval report as one self-contained HTML page (every text escaped, failing cases first)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["render_html"]

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right}
.ok{color:#176b2c}.bad{color:#a4161a;font-weight:600}.na{color:#888}
details{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.4rem .8rem}
details.fail{border-left:6px solid #a4161a}details.pass{border-left:6px solid #2d9c4a}
summary{cursor:pointer}summary code{font-size:.95em}.tag{background:#eef;border-radius:4px;
padding:0 .3rem;margin-right:.2rem;font-size:.85em}.answer{white-space:pre-wrap;background:#fafafa;
border:1px solid #eee;padding:.5rem}blockquote{margin:.3rem 0 .3rem 1rem;color:#444}
.meta{color:#555}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: object, digits: int = 3) -> str:
    if value is None:
        return '<span class="na">n/a</span>'
    if isinstance(value, float):
        return _e(f"{value:.{digits}f}")
    return _e(value)


def _summary_table(summary: dict[str, Any]) -> str:
    rows = ["<tr><th>metric</th><th>mean</th><th>p95</th><th>n</th><th>at 1.0</th></tr>"]
    for name, s in summary.items():
        passed = "" if s.get("passed") is None else f"{s['passed']}/{s['n']}"
        rows.append(
            f"<tr><td>{_e(name)}</td><td class=num>{_num(s.get('mean'))}</td>"
            f"<td class=num>{_num(s.get('p95'))}</td><td class=num>{_e(s.get('n'))}</td>"
            f"<td class=num>{_e(passed)}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _tag_table(by_tag: dict[str, Any]) -> str:
    metrics = ["status_accuracy", "statement_recall", "forbidden", "citation_support"]
    metrics += ["source_recall", "retrieval_recall", "reading_grade"]
    head = "".join(f"<th>{_e(m)}</th>" for m in metrics)
    rows = [f"<tr><th>tag</th><th>n</th>{head}</tr>"]
    for tag, per in by_tag.items():
        count = max((s.get("n", 0) for s in per.values()), default=0)
        cells = "".join(
            f"<td class=num>{_num(per.get(m, {}).get('mean'), 2)}</td>" for m in metrics
        )
        rows.append(f"<tr><td>{_e(tag)}</td><td class=num>{_e(count)}</td>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _threshold_table(checks: list[dict[str, Any]]) -> str:
    if not checks:
        return "<p class=meta>No thresholds were checked.</p>"
    rows = ["<tr><th>scope</th><th>metric</th><th>bound</th><th>value</th><th>verdict</th></tr>"]
    for c in checks:
        verdict = '<span class="ok">ok</span>' if c["ok"] else '<span class="bad">BELOW</span>'
        rows.append(
            f"<tr><td>{_e(c['scope'])}</td><td>{_e(c['metric'])}</td><td>{_e(c['bound'])}</td>"
            f"<td class=num>{_num(c['value'])}</td><td>{verdict}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _citations(answer: dict[str, Any]) -> str:
    items = []
    for c in answer.get("citations", []):
        where = " · ".join(_e(x) for x in (c.get("doc_id"), c.get("section")) if x)
        items.append(
            f"<li><b>[{_e(c.get('marker'))}]</b> {where} "
            f"<span class=meta>(score {_num(c.get('score'), 2)})</span>"
            f"<blockquote>{_e(c.get('text'))}</blockquote></li>"
        )
    return "<ol style='list-style:none;padding:0'>" + "".join(items) + "</ol>" if items else ""


def _listing(title: str, items: list[str]) -> str:
    if not items:
        return ""
    return f"<p><b>{_e(title)}</b></p><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _case(result: dict[str, Any]) -> str:
    passed = result.get("passed")
    answer = result.get("answer") or {}
    tags = "".join(f"<span class=tag>{_e(t)}</span>" for t in result.get("tags", []))
    status = answer.get("status", "no answer")
    failing = ", ".join(result.get("failures", []))
    head = (
        f"<summary><code>{_e(result['id'])}</code> · expected {_e(result.get('expect_status'))}"
        f", got {_e(status)} {tags}"
        + (f" <span class=bad>fails: {_e(failing)}</span>" if not passed else "")
        + "</summary>"
    )
    history = "".join(
        f"<li><b>{_e(t.get('role'))}:</b> {_e(t.get('content'))}</li>"
        for t in result.get("history", [])
    )
    metric_rows = "".join(
        f"<tr><td>{_e(name)}</td><td class=num>{_num(m.get('value'))}</td>"
        f"<td>{_e(m.get('reason'))}</td></tr>"
        for name, m in result.get("metrics", {}).items()
    )
    body = [
        head,
        f"<p><b>Question:</b> {_e(result.get('question'))}</p>",
        f"<p><b>Earlier turns:</b></p><ul>{history}</ul>" if history else "",
        f"<p class=bad>Error: {_e(result['error'])}</p>" if result.get("error") else "",
        f"<p><b>Answer</b> ({_e(answer.get('mode', ''))}):</p>"
        f"<div class=answer>{_e(answer.get('answer', ''))}</div>",
        _citations(answer),
        _listing("Expected statements", result.get("statements", [])),
        _listing("Forbidden statements", result.get("forbidden", [])),
        "<table><tr><th>metric</th><th>value</th><th>reason</th></tr>" + metric_rows + "</table>",
    ]
    css = "pass" if passed else "fail"
    anchor = f"id='case-{_e(result['id'])}'"
    return (
        f"<details {anchor} class={css}{'' if passed else ' open'}>" + "".join(body) + "</details>"
    )


def render_html(report: dict[str, Any]) -> str:
    """Return the report as a complete HTML document with no external resources."""
    meta = report.get("meta", {})
    results = sorted(report.get("results", []), key=lambda r: (bool(r.get("passed")), r["id"]))
    meta_line = " · ".join(f"{_e(k)}: {_e(v)}" for k, v in meta.items())
    checks = report.get("thresholds", [])
    failed = [c for c in checks if not c["ok"]]
    if not checks:
        verdict = "<p class=meta>Thresholds were not checked in this run.</p>"
    elif failed:
        verdict = f'<p class="bad">{len(failed)} threshold(s) not met.</p>'
    else:
        verdict = '<p class="ok">All thresholds met.</p>'
    failing = [r for r in results if not r.get("passed")]
    index = ", ".join(f"<a href='#case-{_e(r['id'])}'>{_e(r['id'])}</a>" for r in failing)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width, initial-scale=1'>",
        f"<title>PHT Guide eval: {_e(report.get('passed_cases'))}/"
        f"{_e(report.get('total_cases'))} cases passed</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>PHT Guide evaluation</h1>",
        f"<p class=meta>{meta_line}</p>",
        f"<p><b>{_e(report.get('passed_cases'))}</b> of <b>{_e(report.get('total_cases'))}</b>"
        " cases passed every ratio metric.</p>",
        verdict,
        f"<p><b>Failing cases:</b> {index}</p>" if failing else "",
        "<h2>Thresholds</h2>",
        _threshold_table(report.get("thresholds", [])),
        "<h2>Metrics</h2>",
        _summary_table(report.get("summary", {})),
        "<h2>By tag</h2>",
        _tag_table(report.get("by_tag", {})),
        "<h2>Cases (failing first)</h2>",
        *(_case(r) for r in results),
        "</body></html>",
    ]
    return "\n".join(parts)
