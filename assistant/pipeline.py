"""The answer path, stage by stage: safety -> scope -> coverage -> retrieval -> compose -> Answer.

Each stage lives in its own package, takes the typed `Request` (plus what the stage before
handed on) and returns a typed decision:

    triage.safety.SafetyGate.decide        -> SafetyDecision   (urgent: the answer is final)
    triage.scope.ScopeClassifier.decide    -> ScopeDecision    (not in scope: final)
    triage.coverage.CoverageCheck.before   -> CoverageDecision (a reviewed rule; unknown words)
    retrieval.search.retrieve              -> Retrieved
    compose.answer.AnswerComposer.choose   -> chosen sentences
    triage.coverage.CoverageCheck.relevant -> does a sentence answer it? (no: not_covered, or
                                              out_of_scope when the scope model leans off topic;
                                              leaning further, out_of_scope also when no sentence
                                              is close; unknown words need a closer sentence)
    compose.answer.AnswerComposer.compose  -> Composed         (text, citations, mode)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from typing import Any

from assistant.compose.answer import AnswerComposer, Composed
from assistant.compose.extractive import LEAD_INS, ExtractiveComposer
from assistant.compose.llm import LLMComposer
from assistant.compose.stream import AnswerStream, drain
from assistant.disclaimer import DISCLAIMER
from assistant.language.normalise import clean_history, clean_question
from assistant.retrieval.retriever import PHTRetriever
from assistant.retrieval.search import HybridSearch, retrieve
from assistant.settings import Settings
from assistant.triage.coverage import (
    CoverageCheck,
    NearestExamples,
    covered_topics_text,
    default_rules,
)
from assistant.triage.safety import SafetyDecision, SafetyGate
from assistant.triage.scope import ScopeClassifier, default_classifier
from assistant.triage.scope_model import load_scope_data
from assistant.types import Answer, Candidate, Chunk, DocumentView, History, Hit, Request

__all__ = ["Assistant", "make_request"]

log = logging.getLogger(__name__)


def make_request(
    question: str,
    history: History,
    audience: str,
    max_chars: int,
    settings: Settings | None = None,
) -> Request:
    """Return the Request for a raw question (InvalidQuestion if it cannot be asked)."""
    return Request(
        question=clean_question(question, max_chars),
        # Every turn, however old: a red flag mentioned ten turns ago still counts. Limits and
        # roles are checked before anything reads the text (clean_history).
        history=clean_history(
            history,
            max_turns=settings.max_history_turns,
            max_turn_chars=settings.max_history_turn_chars,
        )
        if settings
        else tuple(map(dict, history)),
        audience="clinician" if audience == "clinician" else "patient",
    )


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
        scope: ScopeClassifier | None = None,
        llm: LLMComposer | None = None,
    ) -> None:
        self.settings = settings
        self.corpus_version = corpus_version
        self._search = search
        self._gate = gate or SafetyGate()
        self._scope = scope or default_classifier()
        views = self.documents()
        self._composer = AnswerComposer(
            composer, llm, references={v.doc_id: v.metadata["references"] for v in views}
        )
        topics = [topic for view in views for topic in view.metadata["topics"]]
        scope_data = load_scope_data()
        covered = [t for t, out in zip(scope_data.texts, scope_data.labels, strict=True) if not out]
        self._coverage = CoverageCheck(
            search.vocabulary, search.prepare, settings,
            covered_topics=covered_topics_text(topics),
            examples=NearestExamples(default_rules(), covered, composer.vectors),
            vector_of=search.vector,
            correct=search.corrector.correct,
        )  # fmt: skip
        self.retriever = PHTRetriever(search=search, k=settings.top_k)
        """The same search as a LangChain retriever, for LangChain users."""

    # ----------------------------------------------------------------------------- public API
    def warm(self) -> None:
        """Do now the one-off work a first question would otherwise wait for."""
        self._coverage.warm()

    def ask(self, question: str, history: History = (), audience: str = "patient") -> Answer:
        """Return the Answer to one question (InvalidQuestion if it cannot be asked)."""
        return drain(self._answer(question, history, audience, stream=False))

    def ask_stream(
        self, question: str, history: History = (), audience: str = "patient"
    ) -> AnswerStream:
        """Return the answer's verified text as it is written; `.answer` is the final Answer."""
        return AnswerStream(self._answer(question, history, audience, stream=True))

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
            for listed in ("references", "topics"):
                meta[listed] = [r for r in str(meta.get(listed, "")).split("\n") if r]
            views.append(DocumentView(doc_id=doc_id, metadata=meta, chunks=chunks))
        return sorted(views, key=lambda v: v.doc_id)

    # ------------------------------------------------------------------------- the stages
    def _answer(
        self, question: str, history: History, audience: str, *, stream: bool
    ) -> Generator[str, None, Answer]:
        clock = _Clock()
        request = make_request(
            question, history, audience, self.settings.max_question_chars, self.settings
        )
        q = request.question

        safety = self._gate.decide(request)
        clock.lap("safety")
        if safety.urgent:
            # The category's reply in each language of the message; nothing else.
            answer = Answer(q, "urgent", safety.message, [], DISCLAIMER, rule_id=safety.category)
            return self._finish(answer, request, clock)

        scope = self._scope.decide(request)
        if not scope.in_scope:
            answer = Answer(q, "out_of_scope", scope.reply or "", [], DISCLAIMER)
            return self._finish(answer, request, clock, safety)

        coverage = self._coverage.before(request)
        clock.start()
        retrieved = retrieve(self._search, request, coverage.query(request), self.settings.top_k)
        clock.lap("retrieve")

        chosen = self._composer.choose(retrieved, request.audience)
        relevant = self._coverage.relevant(chosen)
        composed: Composed | None = None
        evidence = chosen[0].evidence if chosen else 0.0
        off_topic = self._scope.unanswered(scope, relevant=relevant, evidence=evidence)
        if off_topic is not None and coverage.uncovered is None:
            # It leans towards another topic and nothing retrieved answers it (or is close to
            # it): out_of_scope.
            answer = Answer(q, "out_of_scope", off_topic.reply or "", [], DISCLAIMER)
            return self._finish(answer, request, clock, safety)
        if coverage.uncovered is None and not self._coverage.answers_unknown(coverage, chosen):
            # Only words the corpus never uses, and nothing retrieved is close to the question.
            answer = Answer(q, "not_covered", self._coverage.unknown_text(coverage), [], DISCLAIMER)
            return self._finish(answer, request, clock, safety)
        if coverage.uncovered is not None:
            # The guidance never gives this; say so, then what it does say on the topic.
            if relevant:
                lead, preamble = LEAD_INS["not_covered_context"], coverage.uncovered.message
                chosen = self._composer.extractive.fit(
                    chosen, f"{preamble} {lead}", request.audience
                )
                composed = yield from self._composer.compose(
                    request, retrieved, chosen, lead_in=lead, preamble=preamble, stream=stream
                )
            answer = Answer(
                q, "not_covered", composed.text if composed else coverage.uncovered.message,
                composed.composition.citations if composed else [], DISCLAIMER,
            )  # fmt: skip
        elif not relevant:
            answer = Answer(q, "not_covered", self._coverage.not_relevant_text(), [], DISCLAIMER)
        else:
            lead = self._composer.extractive.lead_in(q, chosen, request.audience)
            chosen = self._composer.extractive.fit(chosen, lead, request.audience)
            composed = yield from self._composer.compose(
                request, retrieved, chosen, lead_in=lead, references=True, stream=stream
            )
            citations = composed.composition.citations
            answer = Answer(q, "answered", composed.text, citations, DISCLAIMER)
        if composed is not None:
            answer.mode, answer.notice = composed.mode, composed.notice
        answer.retrieved = _candidates(retrieved.hits, composed)
        clock.lap("compose")
        return self._finish(answer, request, clock, safety)

    def _finish(
        self, answer: Answer, request: Request, clock: _Clock, safety: SafetyDecision | None = None
    ) -> Answer:
        if safety is not None and not safety.urgent:
            # An earlier red flag's reminder on top; the language's safety net below.
            answer.answer = safety.wrap(answer.answer)
        answer.corpus_version = self.corpus_version
        answer.audience = request.audience
        answer.timings_ms = clock.timings()
        return answer


class _Clock:
    """Milliseconds per stage, and in total."""

    def __init__(self) -> None:
        self._started = self._lap = time.perf_counter()
        self._timings: dict[str, float] = {}

    def start(self) -> None:
        self._lap = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self._timings[stage] = round((now - self._lap) * 1000, 2)
        self._lap = now

    def timings(self) -> dict[str, float]:
        timings = dict(self._timings)
        timings.setdefault("retrieve", 0.0)
        timings.setdefault("compose", 0.0)
        timings["total"] = round((time.perf_counter() - self._started) * 1000, 2)
        return timings


def _candidates(hits: Sequence[Hit], composed: Composed | None) -> list[Candidate]:
    cited = {c.chunk_id for c in composed.composition.citations} if composed else set()
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
