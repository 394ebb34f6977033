"""Add drafted replies to replies.yaml, each with the hash of the passages it was written from.

    .venv/bin/python -m evals.llm_dev.write drafts.txt

A drafts file holds blocks `=== <case id>` followed by the reply text. Every anchor's quote is
checked against its passage (verbatim, whitespace aside) before anything is written; a draft
with a bad anchor, or for a case that sent no passages, stops the write with the reasons.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from evals.llm_dev.store import CAPTURE_PATH, REPLIES_PATH, Capture, load_capture

__all__ = ["parse_drafts", "anchor_problems", "merged", "main"]

_ANCHOR = re.compile(r'\[(\d+):\s*"([^"]*)"\]')
_HEADER = re.compile(r"^=== (\S+)\s*$", re.MULTILINE)


def parse_drafts(text: str) -> dict[str, str]:
    """Return the drafted reply of each case id, whitespace collapsed."""
    parts = _HEADER.split(text)
    return {parts[i]: " ".join(parts[i + 1].split()) for i in range(1, len(parts) - 1, 2)}


def _squash(text: str) -> str:
    return " ".join(text.split())


def anchor_problems(reply: str, passages: Sequence[tuple[int, str]]) -> list[str]:
    """Return what is wrong with the reply's anchors (empty when every quote is verbatim)."""
    texts = {n: _squash(t) for n, t in passages}
    problems = []
    for number, quote in _ANCHOR.findall(reply):
        if int(number) not in texts:
            problems.append(f"[{number}] is not a passage number")
        elif _squash(quote) not in texts[int(number)]:
            problems.append(f'[{number}: "{quote}"] is not in passage {number}')
    if not _ANCHOR.search(reply) and "passages do not" not in reply:
        problems.append("no anchor at all")
    return problems


def merged(
    existing: Mapping[str, Mapping[str, str]], drafts: Mapping[str, str], captured: Capture
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Return the replies with the drafts added (in capture order) and the problems found."""
    by_id = {case.id: case for case in captured.cases}
    problems = []
    out = {k: dict(v) for k, v in existing.items()}
    for case_id, reply in drafts.items():
        case = by_id.get(case_id)
        if case is None or not case.sent:
            problems.append(f"{case_id}: no captured case that sent passages")
            continue
        found = anchor_problems(reply, captured.sent_passages(case))
        problems += [f"{case_id}: {p}" for p in found]
        out[case_id] = {"passages_hash": case.passages_hash, "reply": reply}
    order = {case.id: i for i, case in enumerate(captured.cases)}
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order)))), problems


def main(argv: list[str] | None = None) -> int:
    """Merge a drafts file into the replies file; return 1 (writing nothing) on a problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drafts", type=Path)
    parser.add_argument("--replies", type=Path, default=REPLIES_PATH)
    parser.add_argument("--capture", type=Path, default=CAPTURE_PATH)
    args = parser.parse_args(argv)
    existing: dict[str, dict[str, str]] = {}
    if args.replies.exists():
        existing = yaml.safe_load(args.replies.read_text(encoding="utf-8")) or {}
    drafts = parse_drafts(args.drafts.read_text(encoding="utf-8"))
    replies, problems = merged(existing, drafts, load_capture(args.capture))
    if problems:
        sys.stderr.write("\n".join(problems) + "\n")
        return 1
    header = (
        "# Reviewed model replies to dev cases (evals/llm_dev/README.md), written from the\n"
        "# question, history and passages only; passages_hash: what they were written against.\n"
    )
    body = yaml.safe_dump(replies, sort_keys=False, allow_unicode=True, width=100)
    args.replies.write_text(header + body, encoding="utf-8")
    sys.stdout.write(f"{len(drafts)} drafts merged; {len(replies)} replies in {args.replies}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
