"""The extractive composer: the best corpus sentences for a question, each with its [n] marker.

Apart from the fixed lead-in phrases below, every sentence of an answer is the corpus's own text
(reference markers removed); a table row is rendered from its own cells (the chunk's `display`).
Nothing here invents a word of medical content.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.compose.answer_first import (
    direction,
    is_yes_no,
    lead_in,
    negated_terms,
    topic_words,
)
from assistant.compose.ranker import Candidate, Ranker, features, load_ranker, question_form
from assistant.language.sentences import sentence_spans
from assistant.language.tokens import terms
from assistant.retrieval.lexical import Vocabulary
from assistant.types import Chunk, Citation, Hit

__all__ = [
    "Unit",
    "ScoredUnit",
    "Composition",
    "ExtractiveComposer",
    "LEAD_INS",
    "citation_for",
    "units_of",
]

EmbedTexts = Callable[[list[str]], list[list[float]]]

LEAD_INS = {
    "patient": "",
    "clinician": "",
    "not_covered_context": "What the guidance does say on this topic:",
}
"""Fixed lead-ins. Answers get none by default: `ExtractiveComposer.lead_in` writes one that
says something (the topic, or a yes/no direction). Everything else is corpus text."""

NAMES_TOPIC_OVERLAP = 0.5
"""A sentence with at least this share of the question's specific words names its topic."""
REPEAT_SHARE = 0.6
"""Two sentences sharing this share of the shorter one's terms say the same thing."""
REDUNDANT_COSINE = 0.8
"""Two sentences whose embeddings are this similar say the same thing: the second is dropped
(a similarity cut, the simple form of MMR). On this corpus 0.8 separates restatements from
sentences that only share a subject ("Proximal hamstring tendinopathy is ...")."""
MIN_PATIENT_WORDS = 40
"""A patient answer shorter than this takes one more on-topic sentence if there is one."""
FILL_MARGIN = 3.0
"""That extra sentence (and, for a question weighing options, the best sentence naming each
option) may score down to this much below the best one (log-odds)."""
MIN_COSINE = 0.25
"""Below this cosine a sentence passes only when it names what was asked about."""
RELATIVE_MARGIN = 1.5
"""A patient answer keeps sentences whose ranker log-odds are at most this much below the best
one's (a gap of 1 is odds e times smaller; scores are log-odds, so a gap, not a share, compares
across questions). Dev train split, answered cases simulated on the captured retrievals
(statement recall, mean patient words): 1.0 -> 0.801, 54; 1.5 -> 0.814, 59; 2.0 -> 0.817, 63.
An absolute floor on later sentences (log-odds -3.5) kept a PRP answer off surgery on train but
cost test recall (0.791 -> 0.756 in `pht-eval --dev`): not used."""
CLINICIAN_MARGIN = 2.0
"""Clinicians get more detail: a wider gap below the best score still counts."""
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
"""A word as a reader counts it: "6–12" is two, "return-to-sport" one, a marker "[1]" none."""
_ANAPHORA = re.compile(r"^(This|These|That|Those|It|They|Such|Its|Their)\b")


@dataclass(frozen=True)
class Unit:
    """A sentence of a retrieved chunk (a whole table row counts as one)."""

    text: str
    """What the answer says: the sentence, or the row's plain rendering."""
    passage_text: str
    """The span of the chunk text it comes from (highlighted in the sources)."""
    hit_index: int
    position: int


@dataclass(frozen=True)
class ScoredUnit:
    """A unit with its relevance to the question."""

    unit: Unit
    score: float
    cosine: float
    overlap: float
    question: float = 0.0
    """Cosine of the user's question and the nearest reviewed question of the unit's passage."""
    denied: bool = False
    """The unit names a term the question denies ("without an op": a surgery sentence)."""
    named: frozenset[str] = frozenset()
    """The question's specific terms that the unit contains."""
    features: tuple[float, ...] = ()
    """The ranker's feature values (`ranker.FEATURES` order) that `score` comes from."""

    @property
    def evidence(self) -> float:
        """Return how closely the unit answers the question: its own cosine, or its passage's
        reviewed-question match when the user's wording is far from the passage's."""
        return max(self.cosine, self.question)


@dataclass(frozen=True)
class Composition:
    """The composed answer text and its citations, in marker order."""

    text: str
    citations: list[Citation]


def _units(hits: Sequence[Hit]) -> list[Unit]:
    units: list[Unit] = []
    for index, hit in enumerate(hits):
        chunk = hit.chunk
        display = str(chunk.metadata.get("display", "") or "")
        if chunk.kind == "table_row" and display:
            units.append(Unit(display, chunk.text, index, 0))
            continue
        for position, (s, e) in enumerate(sentence_spans(chunk.text)):
            units.append(Unit(chunk.text[s:e], chunk.text[s:e], index, position))
    return units


def units_of(chunks: Sequence[Chunk]) -> list[Unit]:
    """Return the sentence units of some chunks (for warming the sentence cache)."""
    return _units([Hit(chunk=chunk, fused=0.0) for chunk in chunks])


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def citation_for(marker: int, hit: Hit, highlights: list[str]) -> Citation:
    """Return the Citation of a retrieved chunk, with its manifest metadata."""
    meta = hit.chunk.metadata
    return Citation(
        marker=marker,
        chunk_id=hit.chunk.chunk_id,
        doc_id=hit.chunk.doc_id,
        title=str(meta.get("title", "")),
        section=hit.chunk.section,
        publisher=str(meta.get("publisher", "")),
        source=str(meta.get("source", "")),
        text=hit.chunk.text,
        score=round(hit.dense, 4),
        date=str(meta.get("doc_stated_date", "") or meta.get("date", "")),
        review_status=str(meta.get("review_status", "")),
        kind=str(meta.get("kind", "")),
        audience=str(meta.get("audience", "")),
        refs=list(hit.chunk.refs),
        highlights=highlights,
        start=hit.chunk.start,
        end=hit.chunk.end,
    )


class ExtractiveComposer:
    """Chooses and orders corpus sentences for a question; embeddings are cached per sentence."""

    def __init__(
        self,
        embed_texts: EmbedTexts,
        vocabulary: Vocabulary,
        *,
        patient_words: int = 150,
        patient_sentences: int = 4,
        clinician_sentences: int = 8,
        min_cosine: float = MIN_COSINE,
        relative_margin: float = RELATIVE_MARGIN,
        clinician_margin: float = CLINICIAN_MARGIN,
        ranker: Ranker | None = None,
    ) -> None:
        self._embed_texts = embed_texts
        self.ranker = ranker if ranker is not None else load_ranker()
        self.vocabulary = vocabulary
        self._cache: dict[str, list[float]] = {}
        self.patient_words = patient_words
        self.patient_sentences = patient_sentences
        self.clinician_sentences = clinician_sentences
        self.min_cosine = min_cosine
        self.relative_margin = relative_margin
        self.clinician_margin = clinician_margin

    def warm(self, texts: Sequence[str]) -> None:
        """Embed and cache sentences ahead of the first question."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        vectors = self._embed_texts(missing) if missing else []
        for text, vector in zip(missing, vectors, strict=True):
            self._cache[text] = vector

    def vectors(self, texts: Sequence[str]) -> list[list[float]]:
        """Return the embeddings of `texts` (cached like the sentences)."""
        self.warm(texts)
        return [self._cache[t] for t in texts]

    def score(
        self,
        question: str,
        vector: Sequence[float],
        hits: Sequence[Hit],
        denied: frozenset[str] | None = None,
    ) -> list[ScoredUnit]:
        """Return every unit of the hits scored against the question, best first.

        `denied`: the stems the question sets aside (retrieval's `Retrieved.denied`; by default
        the ones the question itself denies).
        """
        units = _units(hits)
        self.warm([u.text for u in units])
        weights = self.vocabulary.term_weights(question)
        # "Can this get better without an op?" is not asking about surgery.
        set_aside = negated_terms(question) | (denied or frozenset())
        weights = {t: w for t, w in weights.items() if t not in set_aside} or weights
        total = sum(weights.values())
        rarest = max(weights, key=lambda t: (weights[t], t)) if weights else None
        candidates: list[Candidate] = []
        measured: list[tuple[float, float, bool, frozenset[str]]] = []
        for unit in units:
            cosine = _cosine(vector, self._cache[unit.text])
            found = set(terms(unit.text))
            # Share of the question's specific words (weighted by rarity) the unit contains.
            overlap = sum(w for t, w in weights.items() if t in found) / total if total else 0.0
            is_denied = bool(set_aside & found)
            hit = hits[unit.hit_index]
            named = frozenset(t for t in weights if t in found)
            measured.append((cosine, overlap, is_denied, named))
            candidates.append(
                Candidate(
                    text=unit.text, cosine=cosine, overlap=overlap,
                    rarest=rarest is not None and rarest in found, question=hit.question,
                    hit_index=unit.hit_index, position=unit.position, dense=hit.dense,
                    lexical=hit.lexical, fused=hit.fused,
                    table_row=hit.chunk.kind == "table_row", denied=is_denied,
                )
            )  # fmt: skip
        rows = features(candidates, question_form(question, yes_no=is_yes_no(question)))
        scored: list[ScoredUnit] = []
        for unit, (cosine, overlap, is_denied, named), row in zip(
            units, measured, rows, strict=True
        ):
            value = self.ranker.log_odds(row)
            matched = hits[unit.hit_index].question
            scored.append(
                ScoredUnit(unit, value, cosine, overlap, matched, is_denied, named, tuple(row))
            )
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def select(
        self, scored: Sequence[ScoredUnit], audience: str, *, each_option: bool = False
    ) -> list[ScoredUnit]:
        """Return the units worth saying, the most direct answer first.

        After the best sentence, a sentence is added (in score order) only when its log-odds are
        within the audience's margin of the best one's, it is not about what the question sets
        aside, does not restate a chosen one, and fits the audience's length. (Whether it names
        what was asked about is one of the ranker's features; a hard rule that dropped every
        sentence without the question's words cut answers worded differently from the question,
        "Insufficient activity weakens the tissue" for "does resting make it weaker?".)
        `each_option` (a question that weighs options,
        "shockwave or an injection?"): right after the best sentence, the best sentence naming
        each option the chosen ones do not name yet, down to `FILL_MARGIN` below the best.
        """
        if not scored:
            return []
        limit = self.clinician_sentences if audience == "clinician" else self.patient_sentences
        margin = self.clinician_margin if audience == "clinician" else self.relative_margin
        best = scored[0]
        by_place = {(s.unit.hit_index, s.unit.position): s for s in scored}
        chosen: list[ScoredUnit] = []
        words = 0

        def take(candidate: ScoredUnit, gap: float) -> bool:
            nonlocal words
            if candidate in chosen or len(chosen) >= limit:
                return False
            if chosen and candidate.score < best.score - gap:
                return False
            # Low similarity passes only when the sentence names what was asked about.
            if candidate.evidence < self.min_cosine and candidate.overlap < NAMES_TOPIC_OVERLAP:
                return False
            if chosen and candidate.denied:
                return False
            group = [candidate]
            if _ANAPHORA.match(candidate.unit.text) and candidate.unit.position > 0:
                before = by_place.get((candidate.unit.hit_index, candidate.unit.position - 1))
                if before is not None and before not in chosen:
                    group.insert(0, before)
            if any(self._restates(g, c) for g in group for c in chosen):
                return False
            extra = sum(_word_count(g.unit.text) for g in group)
            if audience != "clinician" and chosen and words + extra > self.patient_words:
                return False
            chosen.extend(group)
            words += extra
            return True

        take(best, margin)
        if each_option:
            options = set().union(*(s.named for s in scored)) - set().union(
                *(c.named for c in chosen)
            )
            for candidate in scored:
                if candidate.named & options and take(candidate, FILL_MARGIN):
                    options -= candidate.named
        for candidate in scored:
            take(candidate, margin)
        if audience != "clinician" and words < MIN_PATIENT_WORDS:
            for candidate in scored:
                if take(candidate, FILL_MARGIN):
                    break
        return chosen

    def fit(
        self, chosen: Sequence[ScoredUnit], framing: str, audience: str
    ) -> list[ScoredUnit]:
        """Return `chosen` cut from the end so that a patient answer, with the words around the
        sentences (`framing`: the lead-in, and a not_covered message before it), stays within
        `patient_words`. `select` budgets the sentences alone; the first one is always kept."""
        kept = list(chosen)
        if audience == "clinician":
            return kept
        budget = self.patient_words - _word_count(framing)
        while len(kept) > 1 and sum(_word_count(s.unit.text) for s in kept) > budget:
            kept.pop()
        return kept

    def _restates(self, a: ScoredUnit, b: ScoredUnit) -> bool:
        """Return True when two units say the same thing (embedding or term overlap)."""
        if _repeats(a.unit.text, b.unit.text):
            return True
        va, vb = self._cache.get(a.unit.text), self._cache.get(b.unit.text)
        return va is not None and vb is not None and _cosine(va, vb) >= REDUNDANT_COSINE

    def lead_in(
        self, question: str, chosen: Sequence[ScoredUnit], audience: str
    ) -> str:
        """Return a lead-in that says something: a yes/no direction, the topic, or nothing."""
        if not chosen:
            return ""
        weights = self.vocabulary.term_weights(question)
        first = chosen[0].unit.text
        found = set(terms(first))
        topic = topic_words(question, weights, found)
        yes_no = is_yes_no(question)
        answer = direction(question, first, set(weights) & found) if yes_no else None
        return lead_in(topic, answer, yes_no=yes_no, audience=audience)

    def compose(
        self,
        hits: Sequence[Hit],
        chosen: Sequence[ScoredUnit],
        *,
        lead_in: str,
        audience: str,
        first_marker: int = 1,
    ) -> Composition:
        """Return the answer text for the chosen units, with citations in marker order."""
        # Answer first: the order of selection (best first; a sentence that starts "This ..."
        # follows the one it refers to, as `select` put it).
        ordered = list(chosen)
        markers: dict[int, int] = {}
        highlights: dict[int, list[str]] = {}
        sentences: list[str] = []
        for s in ordered:
            index = s.unit.hit_index
            if index not in markers:
                markers[index] = first_marker + len(markers)
            highlights.setdefault(index, []).append(s.unit.passage_text)
            sentences.append(f"{_as_sentence(s.unit.text)} [{markers[index]}]")
        citations = [
            citation_for(marker, hits[index], highlights[index])
            for index, marker in sorted(markers.items(), key=lambda item: item[1])
        ]
        if audience == "clinician":
            body = "\n".join(f"- {sentence}" for sentence in sentences)
        else:
            body = " ".join(sentences)
        text = f"{lead_in}\n\n{body}" if lead_in else body
        return Composition(text=text, citations=citations)


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _repeats(a: str, b: str) -> bool:
    sa, sb = set(terms(a)), set(terms(b))
    if not sa or not sb:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= REPEAT_SHARE
