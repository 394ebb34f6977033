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

OVERLAP_WEIGHT = 0.3
"""How much naming the question's specific words adds to a sentence's cosine."""
RANK_PRIOR = 0.05
"""A small bonus for sentences of better-ranked passages (divided by 1 + the passage's rank)."""
LOW_INFORMATION_PENALTY = 0.1
"""Sign-off sentences ("In conclusion", "For more information") rarely answer anything."""
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
FILL_FLOOR = 0.55
"""That extra sentence may score down to this share of the best one."""
MIN_COSINE = 0.25
"""Below this cosine a sentence passes only when it names what was asked about."""
RELATIVE_FLOOR = 0.72
"""A patient answer keeps sentences scoring at least this share of the best one's score."""
CLINICIAN_FLOOR = 0.6
"""Clinicians get more detail: a lower share of the best score still counts."""
QUESTION_WEIGHT = 0.6
"""How much a passage's reviewed-question match (the user's question is worded like a question
the passage answers) adds to each of its sentences' scores. Dev train split: 0.3 -> statement
recall 0.738, 0.6 -> 0.753, status accuracy 0.923 both."""
DENIED_PENALTY = 0.3
"""A sentence about what the question sets aside ("without an op": surgery) scores this much
less, and is said only when nothing else is left."""

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
"""A word as a reader counts it: "6–12" is two, "return-to-sport" one, a marker "[1]" none."""
_ANAPHORA = re.compile(r"^(This|These|That|Those|It|They|Such|Its|Their)\b")
_LOW_INFORMATION = re.compile(r"^(In conclusion|For more information|If you are struggling)\b")


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
        relative_floor: float = RELATIVE_FLOOR,
        clinician_floor: float = CLINICIAN_FLOOR,
    ) -> None:
        self._embed_texts = embed_texts
        self.vocabulary = vocabulary
        self._cache: dict[str, list[float]] = {}
        self.patient_words = patient_words
        self.patient_sentences = patient_sentences
        self.clinician_sentences = clinician_sentences
        self.min_cosine = min_cosine
        self.relative_floor = relative_floor
        self.clinician_floor = clinician_floor

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
        scored: list[ScoredUnit] = []
        for unit in units:
            cosine = _cosine(vector, self._cache[unit.text])
            found = set(terms(unit.text))
            # Share of the question's specific words (weighted by rarity) the unit contains.
            overlap = sum(w for t, w in weights.items() if t in found) / total if total else 0.0
            rank_prior = RANK_PRIOR / (1 + unit.hit_index)
            penalty = LOW_INFORMATION_PENALTY if _LOW_INFORMATION.match(unit.text) else 0.0
            is_denied = bool(set_aside & found)
            if is_denied:
                penalty += DENIED_PENALTY
            matched = hits[unit.hit_index].question
            value = cosine + OVERLAP_WEIGHT * overlap + QUESTION_WEIGHT * matched
            value += rank_prior - penalty
            named = frozenset(t for t in weights if t in found)
            scored.append(ScoredUnit(unit, value, cosine, overlap, matched, is_denied, named))
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def select(
        self, scored: Sequence[ScoredUnit], audience: str, *, each_option: bool = False
    ) -> list[ScoredUnit]:
        """Return the units worth saying, the most direct answer first.

        After the best sentence, a sentence is added (in score order) only when it scores near
        the best, names what was asked about whenever the best one does (a PRP question gets no
        surgery sentence), is not about what the question sets aside, does not restate a chosen
        one, and fits the audience's length. `each_option` (a question that weighs options,
        "shockwave or an injection?"): right after the best sentence, the best sentence naming
        each option the chosen ones do not name yet, down to `FILL_FLOOR` of the best score.
        """
        if not scored:
            return []
        limit = self.clinician_sentences if audience == "clinician" else self.patient_sentences
        floor = self.clinician_floor if audience == "clinician" else self.relative_floor
        best = scored[0]
        by_place = {(s.unit.hit_index, s.unit.position): s for s in scored}
        chosen: list[ScoredUnit] = []
        words = 0

        def take(candidate: ScoredUnit, share: float) -> bool:
            nonlocal words
            if candidate in chosen or len(chosen) >= limit:
                return False
            if chosen and candidate.score < best.score * share:
                return False
            # Low similarity passes only when the sentence names what was asked about.
            if candidate.evidence < self.min_cosine and candidate.overlap < NAMES_TOPIC_OVERLAP:
                return False
            if chosen and candidate.denied:
                return False
            if chosen and best.overlap > 0 and candidate.overlap == 0:
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

        take(best, floor)
        if each_option:
            options = set().union(*(s.named for s in scored)) - set().union(
                *(c.named for c in chosen)
            )
            for candidate in scored:
                if candidate.named & options and take(candidate, FILL_FLOOR):
                    options -= candidate.named
        for candidate in scored:
            take(candidate, floor)
        if audience != "clinician" and words < MIN_PATIENT_WORDS:
            for candidate in scored:
                if take(candidate, FILL_FLOOR):
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
        topic = topic_words(question, weights, first)
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
