"""Ask the product every benchmark question and record the numbered passages it sends the model.

    .venv/bin/python -m evals.llm_bench.capture captured.json

Runs the real assistant (the index of `PHT_CHROMA_PATH`) in LLM mode against a recording
OpenAI-compatible server on loopback, once per question and audience, and writes what reached
the server: the passages of the last user message, verbatim, mapped back to their chunks.
Requests the product refuses (out of scope, not covered without context) record no passages.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


def capture(questions: Path) -> list[dict[str, Any]]:
    """Return one record per question x audience: its status and the passages sent."""
    from assistant.factory import build_assistant
    from assistant.settings import Settings
    from evals.llm_bench.server import ScriptedServer, sent_passages

    families = yaml.safe_load(questions.read_text(encoding="utf-8"))
    server = ScriptedServer().start()
    try:
        settings = server.settings(Settings.from_env(), timeout_s=5.0)
        assistant = build_assistant(settings)
        chunks = {c.text: c for view in assistant.documents() for c in view.chunks}
        out: list[dict[str, Any]] = []
        for family in families:
            for question in family["questions"]:
                for audience in ("patient", "clinician"):
                    server.requests.clear()
                    answer = assistant.ask(
                        question, history=family.get("history", []), audience=audience
                    )
                    record: dict[str, Any] = {
                        "family": family["family"], "question": question,
                        "audience": audience, "status": answer.status, "passages": [],
                    }  # fmt: skip
                    if server.requests:
                        for number, text in sent_passages(server.requests[-1]["body"]):
                            chunk = chunks[text]
                            record["passages"].append({
                                "number": number, "chunk_id": chunk.chunk_id,
                                "doc_id": chunk.doc_id,
                                "title": str(chunk.metadata.get("title", "")),
                                "section": chunk.section, "kind": chunk.kind, "text": text,
                            })  # fmt: skip
                    out.append(record)
        return out
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Write the capture file; print how many requests reached the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--questions", type=Path, default=HERE / "questions.yaml")
    args = parser.parse_args(argv)
    records = capture(args.questions)
    args.out.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    sent = sum(1 for r in records if r["passages"])
    sys.stdout.write(f"{len(records)} requests, {sent} sent passages to the model\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
