"""Replay the paraphrase benchmark through LLM mode: a scripted server sends each stored reply.

For every request of bench.jsonl the real `LLMComposer` (built by the factory, talking HTTP to a
scripted OpenAI-compatible server on loopback) is given the stored passages, question and
history; the server answers with the faithful reply, then with each adversarial one. What the
composer keeps is scored: how many faithful replies stay in LLM mode, how many faithful
sentences survive, and how many wrong sentences reach the answer, by type, per split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.compose.extractive import Composition, citation_for
from assistant.types import Chunk, Hit
from evals.llm_bench.data import ADVERSARIAL_TYPES, BenchRecord
from evals.llm_bench.server import Reply, ScriptedServer

if TYPE_CHECKING:
    from assistant.compose.llm import Fluent, LLMComposer

__all__ = ["SplitScore", "replay", "format_scores", "hits_of", "serve_replies"]

SetReply = Callable[[str], None]
"""Makes the model's next reply this text (the scripted server's, or a fake client's)."""


def serve_replies(server: ScriptedServer) -> SetReply:
    """Return a SetReply that scripts `server` to answer the next request with the text."""

    def set_reply(text: str) -> None:
        server.script = lambda request: Reply(text)

    return set_reply


@dataclass
class SplitScore:
    """The benchmark's figures for one split."""

    split: str
    requests: int = 0
    kept_as_llm: int = 0
    faithful_sentences: int = 0
    faithful_kept: int = 0
    tried: Counter[str] = field(default_factory=Counter)
    reached: Counter[str] = field(default_factory=Counter)
    removed_faithful: list[str] = field(default_factory=list)
    """"request id: sentence -> reason" for every faithful sentence removed."""
    leaked: list[str] = field(default_factory=list)
    """"type request id: sentence" for every wrong sentence that reached an answer."""

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready data."""
        return {
            "split": self.split,
            "requests": self.requests,
            "kept_as_llm": self.kept_as_llm,
            "kept_as_llm_rate": _rate(self.kept_as_llm, self.requests),
            "faithful_sentences": self.faithful_sentences,
            "faithful_kept": self.faithful_kept,
            "faithful_kept_rate": _rate(self.faithful_kept, self.faithful_sentences),
            "errors_reaching_answer": {
                t: {"reached": self.reached[t], "tried": self.tried[t],
                    "rate": _rate(self.reached[t], self.tried[t])}
                for t in ADVERSARIAL_TYPES if self.tried[t]
            },  # fmt: skip
            "removed_faithful": self.removed_faithful,
            "leaked": self.leaked,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def hits_of(record: BenchRecord) -> list[Hit]:
    """Return the record's passages as retrieval hits, in passage order."""
    hits = []
    for passage in record.passages:
        meta = {"title": passage.title, "publisher": "", "source": ""}
        chunk = Chunk(passage.chunk_id, passage.doc_id, passage.text, passage.section, 0,
                      len(passage.text), passage.kind, (), meta)  # fmt: skip
        hits.append(Hit(chunk=chunk, fused=1.0, dense=1.0))
    return hits


def _ask(
    composer: LLMComposer, set_reply: SetReply, record: BenchRecord, hits: list[Hit],
    sentences: Sequence[str],
) -> Fluent:  # fmt: skip
    set_reply(" ".join(sentences))
    extractive = Composition(
        "(the extractive answer)", [citation_for(n, hit, []) for n, hit in enumerate(hits, 1)]
    )
    steps = composer.compose(
        record.question, hits, extractive, audience=record.audience,
        history=record.history_dicts(),
    )  # fmt: skip
    return _drain(steps)


def _drain(steps: Generator[str, None, Fluent]) -> Fluent:
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def _kept(fluent: Fluent, sentences: Sequence[str]) -> list[tuple[bool, str]]:
    """Return (kept, reason) per reply sentence, matched by the text the model wrote."""
    checked = fluent.verification.verdicts if fluent.verification else []
    verdicts = {v.sentence: v for v in checked}
    out = []
    for sentence in sentences:
        verdict = verdicts.get(sentence.strip())
        out.append((verdict.kept, verdict.reason) if verdict else (False, "not verified"))
    return out


def replay(
    records: Iterable[BenchRecord], composer: LLMComposer, set_reply: SetReply
) -> dict[str, SplitScore]:
    """Return the figures per split for the records replayed through `composer`."""
    scores = {split: SplitScore(split) for split in ("train", "test")}
    for record in records:
        score = scores[record.split]
        hits = hits_of(record)
        score.requests += 1
        fluent = _ask(composer, set_reply, record, hits, record.faithful.sentences)
        score.kept_as_llm += fluent.mode == "llm"
        for sentence, (kept, reason) in zip(
            record.faithful.sentences, _kept(fluent, record.faithful.sentences), strict=True
        ):
            score.faithful_sentences += 1
            score.faithful_kept += kept
            if not kept:
                score.removed_faithful.append(f"{record.id}: {sentence} -> {reason}")
        for adversarial in record.adversarial:
            score.tried[adversarial.type] += 1
            fluent = _ask(composer, set_reply, record, hits, adversarial.sentences)
            kept, _ = _kept(fluent, adversarial.sentences)[adversarial.wrong]
            if kept and fluent.mode == "llm":
                score.reached[adversarial.type] += 1
                wrong = adversarial.sentences[adversarial.wrong]
                score.leaked.append(f"{adversarial.type} {record.id}: {wrong}")
    return scores


def format_scores(scores: dict[str, SplitScore]) -> str:
    """Return the figures as a plain-text table, train and test side by side."""
    train, test = scores["train"], scores["test"]

    def pct(part: int, whole: int) -> str:
        return f"{part}/{whole} = {part / whole:.1%}" if whole else "-"

    lines = [
        f"{'LLM benchmark':<28} {'train':>22} {'test':>22}",
        f"{'requests':<28} {train.requests:>22} {test.requests:>22}",
        f"{'faithful kept as llm':<28} {pct(train.kept_as_llm, train.requests):>22} "
        f"{pct(test.kept_as_llm, test.requests):>22}",
        f"{'faithful sentences kept':<28} {pct(train.faithful_kept, train.faithful_sentences):>22} "
        f"{pct(test.faithful_kept, test.faithful_sentences):>22}",
        "errors reaching the answer:",
    ]
    for kind in ADVERSARIAL_TYPES:
        lines.append(
            f"  {kind:<26} {pct(train.reached[kind], train.tried[kind]):>22} "
            f"{pct(test.reached[kind], test.tried[kind]):>22}"
        )
    total_train, total_test = sum(train.tried.values()), sum(test.tried.values())
    lines.append(
        f"  {'all types':<26} {pct(sum(train.reached.values()), total_train):>22} "
        f"{pct(sum(test.reached.values()), total_test):>22}"
    )
    return "\n".join(lines)
