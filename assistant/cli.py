"""`pht-ask`: ask PHT Guide a question from the shell (or a batch of them)."""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from assistant.errors import InvalidQuestion, PHTError
from assistant.settings import Settings
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

__all__ = ["main", "format_answer", "read_batch"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pht-ask",
        description="Ask a question about proximal hamstring tendinopathy. Answers quote and "
        "cite the curated guidance.",
    )
    parser.add_argument("question", nargs="?", help="the question (quote it)")
    parser.add_argument("--json", action="store_true", help="print the Answer as JSON")
    parser.add_argument(
        "--batch", metavar="FILE", type=Path,
        help="one question per line, or JSONL of {id, question, history}; '-' reads stdin; "
        "prints one JSON line per input line",
    )
    parser.add_argument(
        "--audience", choices=("patient", "clinician"), default="patient",
        help="clinician answers carry more detail and the sources' reference lists",
    )
    return parser


def format_answer(answer: Answer) -> str:
    """Return an Answer as readable text: answer, numbered sources, disclaimer."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            section = f", section \"{c.section}\"" if c.section else ""
            lines.append(f"  [{c.marker}] {c.title}{section} ({c.publisher})")
    lines.append(f"\n{answer.disclaimer}")
    return "\n".join(lines)


def read_batch(stream: TextIO) -> Iterator[tuple[Any, str, list[dict[str, str]], str | None]]:
    """Yield (id, question, history, problem) for each line: plain text or a JSONL object."""
    for number, line in enumerate(stream, start=1):
        text = line.removesuffix("\n").removesuffix("\r")
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                item = json.loads(stripped)
            except json.JSONDecodeError as exc:
                yield number, "", [], f"line {number}: not valid JSON ({exc.msg})"
                continue
            if not isinstance(item, dict):
                yield number, "", [], f"line {number}: expected a JSON object"
                continue
            history = item.get("history") or []
            valid_history = isinstance(history, list) and all(
                isinstance(t, dict) and isinstance(t.get("content", ""), str) for t in history
            )
            if not valid_history:
                yield item.get("id", number), "", [], "history must be a list of {role, content}"
                continue
            question = item.get("question")
            if not isinstance(question, str):
                yield item.get("id", number), "", [], "question must be a string"
                continue
            yield item.get("id", number), question, history, None
        else:
            yield number, text, [], None


# Characters that some line readers (str.splitlines, JavaScript) take for a line break, and lone
# surrogates that UTF-8 cannot encode: written as JSON escapes, so one record stays one line.
_UNSAFE_IN_LINE = re.compile("[\x85\u2028\u2029\ud800-\udfff]")


def _json_line(record: dict[str, Any]) -> str:
    text = json.dumps(record, ensure_ascii=False)
    return _UNSAFE_IN_LINE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _run_batch(assistant: Assistant, source: Path, audience: str) -> int:
    # A line ends at "\n" only ("\r\n" too): a lone "\r" or "\x85" inside a question belongs to
    # its line, so the output has exactly one line per input line.
    stream: TextIO
    if str(source) == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace",
                                  newline="\n")
    else:
        stream = source.open(encoding="utf-8", errors="replace", newline="\n")
    with stream:
        for item_id, question, history, problem in read_batch(stream):
            if problem is None:
                try:
                    answer = assistant.ask(question, history, audience=audience)
                    record: dict[str, Any] = {"id": item_id, **answer.to_dict()}
                except InvalidQuestion as exc:
                    record = {"id": item_id, "error": str(exc)}
            else:
                record = {"id": item_id, "error": problem}
            print(_json_line(record), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run pht-ask; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.batch is None and not args.question:
        parser.print_usage(sys.stderr)
        print("pht-ask: error: give a question, or --batch FILE", file=sys.stderr)
        return 2
    if args.batch is not None and str(args.batch) != "-" and not args.batch.is_file():
        print(f"pht-ask: error: no such file: {args.batch}", file=sys.stderr)
        return 2
    try:
        from assistant.factory import build_assistant

        # One question: embedding every corpus sentence first would only delay its answer.
        assistant = build_assistant(Settings.from_env(), warm=args.batch is not None)
        if args.batch is not None:
            return _run_batch(assistant, args.batch, args.audience)
        answer = assistant.ask(args.question, audience=args.audience)
    except PHTError as exc:
        print(f"pht-ask: error: {exc}", file=sys.stderr)
        return 1
    print(answer.to_json(indent=2) if args.json else format_answer(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
