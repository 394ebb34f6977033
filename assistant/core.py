"""The Assistant: safety gate -> scope -> coverage -> hybrid retrieval -> composer -> Answer.

Safety, scope and coverage are plain Python decisions that run before (or instead of) any
retrieval; retrieval is a LangChain runnable chain; the composer only quotes the corpus.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.compose import LEAD_INS, Composition, ExtractiveComposer
from assistant.coverage import detect_uncovered
from assistant.disclaimer import DISCLAIMER
from assistant.llm import AnswerStream, LLMComposer, drain
from assistant.question import clean_question
from assistant.retrieval import Hit, HybridSearch, PHTRetriever, document_to_hit
from assistant.safety import SafetyGate
from assistant.scope import classify_scope
from assistant.settings import Settings
from assistant.types import Answer, Candidate, Chunk, DocumentView, Status

__all__ = ["Assistant", "History", "NOT_COVERED_MESSAGE"]

log = logging.getLogger(__name__)

History = Sequence[Mapping[str, str]]

NOT_COVERED_MESSAGE = (
    "The guidance I draw on does not answer this question. A physiotherapist or doctor who can "
    "examine you is the right person to ask."
)
_COVERED_TOPICS = (
    "It covers why proximal hamstring tendinopathy is slow to settle, sitting and load "
    "management, exercise-based loading, stretching, shockwave therapy, injections and "
    "medication, surgery, diagnosis and recovery time."
)
# A retrieved sentence below both of these is not relevant enough to answer with.
_MIN_ANSWER_COSINE = 0.38
_MIN_ANSWER_OVERLAP = 0.5
_FOLLOW_UP = re.compile(
    r"^(and|but|also|so|what about|how about|and what|what if|then)\b|"
    r"\b(that|it|this|those|these|them|there|after that)\b",
    re.IGNORECASE,
)


def _retrieval_query(question: str, history: History) -> str:
    """Return the text to retrieve with: follow-ups carry the previous user question along."""
    previous = [t.get("content", "") for t in history if t.get("role") == "user"]
    if not previous:
        return question
    short = len(re.findall(r"[A-Za-z]{3,}", question)) <= 6
    if short or _FOLLOW_UP.search(question):
        return f"{question} {previous[-1]}"
    return question


class Assistant:
    """Answers questions about PHT from the indexed corpus; safe to share between threads."""

    def __init__(
        self,
        search: HybridSearch,
        composer: ExtractiveComposer,
        settings: Settings,
        *,
        corpus_version: str,
        gate: SafetyGate | None = None,
        llm: LLMComposer | None = None,
    ) -> None:
        self.settings = settings
        self.corpus_version = corpus_version
        self._search = search
        self._composer = composer
        self._gate = gate or SafetyGate()
        self._llm = llm
        self.retriever = PHTRetriever(search=search, k=settings.top_k)
        self._references = {
            view.doc_id: view.metadata["references"] for view in self.documents()
        }
        # The LangChain chain: {question, history} -> retrieval query -> documents -> hits.
        self.retrieval_chain: Runnable[dict[str, Any], list[Hit]] = (
            RunnableLambda(_chain_query) | self.retriever | RunnableLambda(_chain_hits)
        )

    # ----------------------------------------------------------------------------- public API
    def ask(self, question: str, history: History = (), audience: str = "patient") -> Answer:
        """Return the Answer to one question (InvalidQuestion if it cannot be asked)."""
        return drain(self._answer(question, history, audience, stream=False))

    def ask_stream(
        self, question: str, history: History = (), audience: str = "patient"
    ) -> AnswerStream:
        """Return the answer's verified text as it is written; `.answer` is the final Answer."""
        return AnswerStream(self._answer(question, history, audience, stream=True))

    def _answer(
        self, question: str, history: History, audience: str, *, stream: bool
    ) -> Generator[str, None, Answer]:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        cleaned = clean_question(question, self.settings.max_question_chars)
        audience = "clinician" if audience == "clinician" else "patient"
        history = [dict(turn) for turn in history][-10:]

        rule = self._gate.check(cleaned, history)
        timings["safety"] = _ms(started)
        if rule is not None:
            return self._finish(
                Answer(cleaned, "urgent", rule.message, [], DISCLAIMER, rule_id=rule.id),
                started, timings, audience,
            )

        scope = classify_scope(cleaned, history)
        if scope.kind != "in_scope":
            return self._finish(
                Answer(cleaned, "out_of_scope", scope.reply or "", [], DISCLAIMER),
                started, timings, audience,
            )

        uncovered = detect_uncovered(cleaned)
        # A first question that names nothing the corpus covers, but something it never
        # mentions ("Is the pain worse in the morning?"), cannot be answered from it.
        unknown = [] if uncovered or history else self._composer.unknown_words(
            self._search.prepare(cleaned)
        )
        if unknown:
            timings["retrieve"] = 0.0
            # Name the missing topic only when it is one word: a list reads like noise.
            missing = "does not cover this"
            if len(unknown) == 1:
                missing = f"does not mention {unknown[0]}"
            text = (
                f"The guidance I draw on {missing}, so it cannot answer this. A physiotherapist "
                f"or doctor who knows your case can advise you. {_COVERED_TOPICS}"
            )
            return self._finish(
                Answer(cleaned, "not_covered", text, [], DISCLAIMER), started, timings, audience
            )
        query = uncovered.topic_query if uncovered else cleaned
        t0 = time.perf_counter()
        hits = self.retrieval_chain.invoke({"question": query, "history": history})
        prepared = self._search.prepare(_retrieval_query(query, history))
        vector = self._search.vector(prepared)  # cached by the search that just ran
        focus = self._search.prepare(query)
        if focus != prepared and self._composer.is_specific(focus):
            # A follow-up that names its own topic ("what about injections?"): the earlier
            # question helped retrieval, but the sentences must be about this one.
            prepared = focus
        timings["retrieve"] = _ms(t0)

        t0 = time.perf_counter()
        scored = self._composer.score(prepared, vector, hits)
        chosen = self._composer.select(scored, audience)
        relevant = bool(chosen) and (
            chosen[0].cosine >= _MIN_ANSWER_COSINE or chosen[0].overlap >= _MIN_ANSWER_OVERLAP
        )
        status: Status
        mode, notice = "extractive", None
        if uncovered:
            status = "not_covered"
            composition = self._composer.compose(
                hits, chosen, lead_in=LEAD_INS["not_covered_context"], audience=audience
            ) if relevant else None
            text = uncovered.message
            if composition and self._llm is not None:
                fluent = yield from self._llm.compose(
                    cleaned, hits, composition, lead_in=LEAD_INS["not_covered_context"],
                    audience=audience, stream=stream, preamble=f"{text}\n\n",
                )  # fmt: skip
                composition, mode, notice = fluent.composition, fluent.mode, fluent.notice
            if composition:
                text = f"{text}\n\n{composition.text}"
        elif not relevant:
            status = "not_covered"
            composition = None
            text = f"{NOT_COVERED_MESSAGE} {_COVERED_TOPICS}"
        else:
            status = "answered"
            composition = self._composer.compose(
                hits, chosen, lead_in=LEAD_INS[audience], audience=audience
            )
            if self._llm is not None:
                fluent = yield from self._llm.compose(
                    cleaned, hits, composition, lead_in=LEAD_INS[audience], audience=audience,
                    stream=stream,
                )  # fmt: skip
                composition, mode, notice = fluent.composition, fluent.mode, fluent.notice
            text = composition.text + _references(composition, audience, self._references)
        timings["compose"] = _ms(t0)
        answer = Answer(
            cleaned, status, text, composition.citations if composition else [], DISCLAIMER,
            mode=mode, notice=notice,
        )  # fmt: skip
        answer.retrieved = _candidates(hits, composition)
        return self._finish(answer, started, timings, audience)

    def search(self, query: str, k: int = 10) -> list[Candidate]:
        """Return the passages hybrid retrieval finds for `query` (Sources page search box)."""
        cleaned = clean_question(query, self.settings.max_question_chars)
        return _candidates(self._search.search(cleaned, k), None)

    def documents(self) -> list[DocumentView]:
        """Return every indexed document with its metadata and chunks in document order."""
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in self._search.chunks:
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
        views = []
        for doc_id, chunks in by_doc.items():
            chunks.sort(key=lambda c: c.start)
            meta: dict[str, Any] = {
                k: v for k, v in chunks[0].metadata.items() if k != "display"
            }
            meta["references"] = [r for r in str(meta.get("references", "")).split("\n") if r]
            views.append(DocumentView(doc_id=doc_id, metadata=meta, chunks=chunks))
        return sorted(views, key=lambda v: v.doc_id)

    # ------------------------------------------------------------------------------ helpers
    def _finish(
        self, answer: Answer, started: float, timings: dict[str, float], audience: str
    ) -> Answer:
        answer.corpus_version = self.corpus_version
        answer.audience = audience
        timings.setdefault("retrieve", 0.0)
        timings.setdefault("compose", 0.0)
        timings["total"] = _ms(started)
        answer.timings_ms = timings
        return answer


def _chain_query(inputs: dict[str, Any]) -> str:
    return _retrieval_query(inputs["question"], inputs.get("history", ()))


def _chain_hits(documents: list[Document]) -> list[Hit]:
    return [document_to_hit(d) for d in documents]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def _references(
    composition: Composition, audience: str, references: Mapping[str, list[str]]
) -> str:
    """Return, for clinicians, the reference lists of the cited sources (verbatim)."""
    if audience != "clinician":
        return ""
    lines: list[str] = []
    for doc_id in dict.fromkeys(c.doc_id for c in composition.citations):
        markers = sorted(
            {r for c in composition.citations if c.doc_id == doc_id for r in c.refs}, key=int
        )
        if not markers or not references.get(doc_id):
            continue
        publisher = next(c.publisher for c in composition.citations if c.doc_id == doc_id)
        lines.append(
            f"\n\nReferences listed by {publisher} (the cited passages carry the source's "
            f"markers {', '.join(markers)}):\n"
            + "\n".join(f"- {ref}" for ref in references[doc_id])
        )
    return "".join(lines)


def _candidates(hits: Sequence[Any], composition: Composition | None) -> list[Candidate]:
    cited = {c.chunk_id for c in composition.citations} if composition else set()
    return [
        Candidate(
            chunk_id=hit.chunk.chunk_id,
            doc_id=hit.chunk.doc_id,
            section=hit.chunk.section,
            score=round(hit.dense, 4),
            text=hit.chunk.text,
            dense_rank=hit.dense_rank,
            lexical_rank=hit.lexical_rank,
            cited=hit.chunk.chunk_id in cited,
        )
        for hit in hits
    ]
