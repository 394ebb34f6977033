"""Ask the product every dev case in LLM mode and record what reached the model.

    .venv/bin/python -m evals.llm_dev.capture            # writes evals/llm_dev/captured.json
    .venv/bin/python -m evals.llm_dev.capture --sheet /tmp/sheet.txt --split test

Runs the real assistant (the index of `PHT_CHROMA_PATH`) in LLM mode against a recording
OpenAI-compatible server on loopback, once per dev case (its question, history and audience),
and stores its status, the retrieval hits it composed from and the numbered passages of the
request, mapped back to their chunks. Cases the product refuses before composing (urgent,
out_of_scope, not_covered without context) send no request and store no passages. `--sheet`
writes what a reply writer sees for each case that sent passages: question, history, passages.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from evals.dev.build import DEV_DIR
from evals.llm_dev.search import FixedSearch
from evals.llm_dev.store import (
    CAPTURE_PATH,
    Capture,
    CapturedCase,
    StoreError,
    hit_to_dict,
    load_capture,
    passages_hash,
    save_capture,
)
from evals.models import EvalCase, load_cases

__all__ = [
    "SPLITS", "dev_cases", "capture", "updated", "writing_order", "sheet", "main",
]  # fmt: skip

SPLITS = ("train", "test")


def dev_cases(splits: Sequence[str] = SPLITS) -> list[tuple[str, EvalCase]]:
    """Return (split, case) for every dev case of `splits`, in file order."""
    return [(split, case) for split in splits for case in load_cases([DEV_DIR / split])]


def capture(cases: Sequence[tuple[str, EvalCase]]) -> Capture:
    """Return what the product did with each case in LLM mode (passages mapped to chunks)."""
    from assistant.factory import build_static_assistant
    from assistant.settings import Settings
    from evals.llm_bench.server import ScriptedServer, sent_passages

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    server = ScriptedServer().start()  # a silent server: every request falls back, recorded
    try:
        base = Settings.from_env().with_(answer_log=False)
        assistant = build_static_assistant(server.settings(base, timeout_s=5.0))
        search = FixedSearch.install(assistant)
        chunks = {}
        out = []
        for split, case in cases:
            server.requests.clear()
            search.reset()
            answer = assistant.ask(case.question, case.history_dicts(), audience=case.audience)
            hits = search.last or []
            by_text = {hit.chunk.text: hit.chunk for hit in hits}
            passages: list[str] = []
            sent: list[tuple[int, str]] = []
            if server.requests:
                sent = sent_passages(server.requests[-1]["body"])
                for number, text in sent:
                    if text not in by_text or number != len(passages) + 1:
                        raise StoreError(f"case {case.id}: passage {number} is not a hit")
                    passages.append(by_text[text].chunk_id)
            if not passages:
                hits = []  # nothing was composed: the replay has nothing to compose from
            for hit in hits:
                chunks[hit.chunk.chunk_id] = hit.chunk
            out.append(CapturedCase(
                id=case.id, split=split, family=case.family or case.id,
                question=case.question, audience=case.audience,
                history=tuple((t.role, t.content) for t in case.history), status=answer.status,
                hits=tuple(hit_to_dict(h) for h in hits), passages=tuple(passages),
                passages_hash=passages_hash(sent) if sent else "",
            ))  # fmt: skip
        return Capture(tuple(out), chunks)
    finally:
        server.stop()


def updated(stored: Capture, ids: set[str]) -> Capture:
    """Return `stored` with the cases `ids` captured again (in place; new ones at the end)."""
    fresh = capture([(split, case) for split, case in dev_cases() if case.id in ids])
    by_id = {case.id: case for case in fresh.cases}
    missing = ids - set(by_id)
    if missing:
        raise StoreError(f"no dev case {sorted(missing)[0]!r}")
    known = {case.id for case in stored.cases}
    cases = tuple(by_id.get(case.id, case) for case in stored.cases) + tuple(
        case for case in fresh.cases if case.id not in known
    )
    named = {h["chunk_id"] for case in cases for h in case.hits} | {
        cid for case in cases for cid in case.passages
    }
    chunks = {**stored.chunks, **fresh.chunks}
    return Capture(cases, {cid: chunks[cid] for cid in named})


def writing_order(captured: Capture, split: str) -> list[CapturedCase]:
    """Return the split's cases that sent passages in rounds: each family's first, second, ...

    Within a family the order is that of a hash of the case id, so "the first n of each family"
    is a fixed subset that does not depend on which cases happen to be listed first.
    """
    sent = [c for c in captured.cases if c.split == split and c.sent]
    rank: dict[str, int] = {}
    by_family: dict[str, list[CapturedCase]] = {}
    for case in sent:
        by_family.setdefault(case.family, []).append(case)
    for members in by_family.values():
        members.sort(key=lambda c: hashlib.sha256(c.id.encode()).hexdigest())
        rank.update({c.id: i for i, c in enumerate(members)})
    return sorted(sent, key=lambda c: (rank[c.id], c.family))


def sheet(captured: Capture, split: str) -> str:
    """Return, for each case of `split` that sent passages, what its reply is written from."""
    blocks = []
    for case in writing_order(captured, split):
        lines = [f"=== {case.id}  [{case.audience}]  hash {case.passages_hash}"]
        lines += [f"  {role}: {content}" for role, content in case.history]
        lines.append(f"Q: {case.question}")
        for number, text in captured.sent_passages(case):
            lines.append(f"[{number}] {text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Capture every dev case (or write the reply sheet of a stored capture)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CAPTURE_PATH)
    parser.add_argument("--sheet", type=Path, help="write the reply sheet of --out instead")
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument(
        "--only", nargs="+", metavar="CASE_ID",
        help="re-capture these cases only, replacing them in --out (e.g. the stale ones)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.sheet:
        args.sheet.write_text(sheet(load_capture(args.out), args.split), encoding="utf-8")
        sys.stdout.write(f"wrote {args.sheet}\n")
        return 0
    if args.only:
        captured = updated(load_capture(args.out), set(args.only))
    else:
        captured = capture(dev_cases())
    save_capture(captured.cases, captured.chunks, args.out)
    for split in SPLITS:
        mine = [c for c in captured.cases if c.split == split]
        sent = sum(1 for c in mine if c.sent)
        sys.stdout.write(f"{split}: {len(mine)} cases, {sent} sent passages to the model\n")
    sys.stdout.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
