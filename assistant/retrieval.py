"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, typo tolerant.

The BM25 index is built once per corpus_version from the chunks stored in Chroma, never per query.
`PHTRetriever` exposes the search as a LangChain `BaseRetriever`, so it composes with runnables.
"""

from __future__ import annotations

import difflib
import functools
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant import support
from assistant.errors import ConfigError
from assistant.types import Chunk

__all__ = [
    "Hit",
    "LexicalIndex",
    "HybridSearch",
    "PHTRetriever",
    "chunk_from_record",
    "search_terms",
    "QueryCorrector",
    "FILLER",
    "SPECIFIC_IDF",
]

log = logging.getLogger(__name__)

RRF_K = 60
SPECIFIC_IDF = 1.9
"""Terms at least this rare (BM25 idf) name a topic; commoner ones ("pain") do not."""
_CONDITION = re.compile(
    r"\b(?:(?:my|the|a|this|with|for|of|about)\s+)?(?:proximal\s+)?hamstrings?\s+"
    r"(?:tendin|tendon|tendonopath)\w*|\bPHT\b",
    re.IGNORECASE,
)
_VECTOR_CACHE = 512
_EXPANSIONS_PATH = Path(__file__).with_name("query_expansions.yaml")
_DUPLICATE_JACCARD = 0.85
_DOC_META_KEYS = ("section", "kind", "start", "end", "refs", "doc_id", "meta_hash")

DenseSearch = Callable[[list[float], int], list[tuple[str, float]]]
"""(query vector, k) -> [(chunk_id, cosine similarity)], best first."""


def _term(token: str) -> str:
    term = support.stem(token)
    # "diagnosis" and "diagnosed" should meet: drop the Greek "-is" the stemmer keeps.
    return term[:-2] if term.endswith("sis") and len(term) > 6 else term


def _terms(text: str) -> tuple[str, ...]:
    return tuple(_term(word) for word in support.content_words(text))


# Every question tokenises its retrieved passages and their sentences again (duplicate checks,
# sentence scoring, repeat checks): the same few hundred texts, so remember them.
_cached_terms = functools.lru_cache(maxsize=8192)(_terms)


def search_terms(text: str) -> list[str]:
    """Return the stemmed content words of `text`, in order, repeats kept (for BM25)."""
    return list(_cached_terms(text))


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    """Return the Chunk stored in Chroma as (id, document, metadata)."""
    doc_meta = {k: v for k, v in meta.items() if k not in _DOC_META_KEYS}
    refs = str(meta.get("refs", "") or "")
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta.get("doc_id", "")),
        text=text,
        section=str(meta.get("section", "")),
        start=int(meta.get("start", 0) or 0),
        end=int(meta.get("end", 0) or 0),
        kind=str(meta.get("kind", "paragraph")),
        refs=tuple(r for r in refs.split(",") if r),
        metadata=doc_meta,
    )


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its scores."""

    chunk: Chunk
    fused: float
    dense: float = 0.0
    """Cosine similarity of the query and the chunk (0 when only BM25 found it)."""
    lexical: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None


# Words that carry the question's tone, not its topic ("is it any good", "does it help").
FILLER = frozenset(
    search_terms(
        "good bad best better worse worst help helpful work works thing things way ways get "
        "take make need know tell really try use option options idea ok okay fine right "
        "hurt hurts hurting ache aching sore feel feels feeling still again now day days week "
        "weeks doing safe normal should would could much many long hard rid easy quick keep ever "
        "completely totally fully playing play"
    )
)


class QueryCorrector:
    """Corrects misspelt query words to the nearest word of the corpus vocabulary."""

    def __init__(self, vocabulary: set[str], cutoff: float = 0.84, min_length: int = 6) -> None:
        self._vocabulary = vocabulary
        self._sorted = sorted(vocabulary)
        self._cutoff = cutoff
        self._min_length = min_length
        # Bounded: users keep typing new words, and a shared assistant lives for days.
        self._nearest = functools.lru_cache(maxsize=4096)(self._find_nearest)

    def correct_word(self, word: str) -> str:
        """Return `word`, or the corpus word it is most likely a misspelling of."""
        lower = word.lower()
        # Short words are too often a different real word ("need" is not "needs").
        if len(lower) < self._min_length or lower in self._vocabulary or not lower.isalpha():
            return word
        return self._nearest(lower) or word

    def _find_nearest(self, lower: str) -> str | None:
        close = difflib.get_close_matches(lower, self._sorted, n=1, cutoff=self._cutoff)
        return close[0] if close else None

    def correct(self, text: str) -> str:
        """Return `text` with each misspelt word replaced."""
        return re.sub(r"[A-Za-z]+", lambda m: self.correct_word(m.group(0)), text)


class QueryExpansions:
    """Patient words mapped to the words the guidance uses ("operation" -> "surgery")."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._patterns = [
            (re.compile(rf"\b{re.escape(phrase)}(?:s|es)?\b", re.IGNORECASE), extra)
            for phrase, extra in sorted(mapping.items(), key=lambda item: -len(item[0]))
        ]

    @classmethod
    def load(cls, path: Path = _EXPANSIONS_PATH) -> QueryExpansions:
        """Return the expansions in `path` (query_expansions.yaml beside this module)."""
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            mapping = _ExpansionFile.model_validate(raw).expansions
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"{path}: invalid query expansions ({exc}).") from exc
        return cls(mapping)

    def extra_terms(self, query: str) -> str:
        """Return " " + the guidance's words for the patient words in `query` (or "")."""
        extra = [words for pattern, words in self._patterns if pattern.search(query)]
        return (" " + " ".join(extra)) if extra else ""


class _ExpansionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expansions: dict[str, str]


class LexicalIndex:
    """BM25 over chunk texts (with their sections), built once."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import, which puts a line on every CLI's stderr.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.chunks = list(chunks)
        # Uncached: each text is indexed once, and must not push the per-question texts out.
        corpus = [list(_terms(f"{c.section} {c.text}")) or ["_empty_"] for c in self.chunks]
        self._vocabulary = {term for terms in corpus for term in terms}
        n = len(corpus)
        df: dict[str, int] = {}
        for terms in corpus:
            for term in set(terms):
                df[term] = df.get(term, 0) + 1
        self.idf: dict[str, float] = {
            term: math.log(1 + (n - count + 0.5) / (count + 0.5)) for term, count in df.items()
        }
        """Inverse document frequency of each term; unseen terms get `unseen_idf`."""
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Return [(chunk position, BM25 score)] for the query, best first, scores > 0 only."""
        terms = [t for t in search_terms(query) if t in self._vocabulary]
        if not terms or not self.chunks:
            return []
        k = min(k, len(self.chunks))
        positions, scores = self._bm25.retrieve([terms], k=k, show_progress=False)
        return [
            (int(p), float(s)) for p, s in zip(positions[0], scores[0], strict=True) if s > 0
        ]


def _jaccard(a: str, b: str) -> float:
    sa, sb = set(search_terms(a)), set(search_terms(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


class HybridSearch:
    """Dense + BM25 search fused by reciprocal rank, near-duplicates removed."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        dense: DenseSearch,
        embed_query: Callable[[str], list[float]],
        candidates: int = 20,
        expansions: QueryExpansions | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self._by_id = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}
        self.lexical = LexicalIndex(self.chunks)
        words = {w.lower() for c in self.chunks for w in re.findall(r"[A-Za-z]+", c.text)}
        self.corrector = QueryCorrector(words | _DOMAIN_WORDS)
        self._dense = dense
        self._embed_query = embed_query
        self._candidates = candidates
        self._vectors: dict[str, list[float]] = {}
        self._vectors_lock = threading.Lock()
        self.expansions = expansions or QueryExpansions.load()

    def prepare(self, query: str) -> str:
        """Return the query as it is searched: typos corrected, patient words expanded."""
        corrected = self.corrector.correct(query)
        # Expansions see the words as typed too: "operation" must not be "corrected" first.
        extra = self.expansions.extra_terms(query) or self.expansions.extra_terms(corrected)
        # Every passage is about the condition: naming it tells retrieval nothing, and it pulls
        # the query towards generic sentences. Keep it only when it is all the question says.
        focused = _CONDITION.sub(" ", corrected)
        if focused != corrected and self._names_something(focused + extra):
            corrected = re.sub(r"\s+", " ", focused).strip()
        return corrected + extra

    def _names_something(self, text: str) -> bool:
        """Return True if `text` has a term that only a few passages use."""
        return any(
            self.lexical.idf.get(t, 0.0) >= SPECIFIC_IDF
            for t in search_terms(text)
            if t not in FILLER
        )

    def vector(self, prepared: str) -> list[float]:
        """Return the embedding of a prepared query (cached: the composer reuses it)."""
        cached = self._vectors.get(prepared)
        if cached is None:
            cached = self._embed_query(prepared)
            # Sessions share one assistant: evicting and inserting happen under one lock.
            with self._vectors_lock:
                if len(self._vectors) >= _VECTOR_CACHE:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[prepared] = cached
        return cached

    def search(self, query: str, k: int) -> list[Hit]:
        """Return the top `k` fused hits for `query`."""
        prepared = self.prepare(query)
        n = min(self._candidates, len(self.chunks))
        dense = self._dense(self.vector(prepared), n)
        lexical = self.lexical.search(prepared, n)
        scores: dict[int, dict[str, float]] = {}
        for rank, (chunk_id, similarity) in enumerate(dense, start=1):
            if chunk_id not in self._by_id:
                continue
            entry = scores.setdefault(self._by_id[chunk_id], {})
            entry.update(dense=similarity, dense_rank=rank, fused=1 / (RRF_K + rank))
        for rank, (position, bm25) in enumerate(lexical, start=1):
            entry = scores.setdefault(position, {"fused": 0.0})
            entry.update(lexical=bm25, lexical_rank=rank)
            entry["fused"] = entry.get("fused", 0.0) + 1 / (RRF_K + rank)
        ordered = sorted(scores.items(), key=lambda item: item[1]["fused"], reverse=True)
        hits: list[Hit] = []
        for position, entry in ordered:
            chunk = self.chunks[position]
            if any(_jaccard(chunk.text, kept.chunk.text) >= _DUPLICATE_JACCARD for kept in hits):
                continue
            dense_rank = entry.get("dense_rank")
            lexical_rank = entry.get("lexical_rank")
            hits.append(
                Hit(
                    chunk=chunk,
                    fused=entry["fused"],
                    dense=entry.get("dense", 0.0),
                    lexical=entry.get("lexical", 0.0),
                    dense_rank=int(dense_rank) if dense_rank else None,
                    lexical_rank=int(lexical_rank) if lexical_rank else None,
                )
            )
            if len(hits) >= k:
                break
        return hits


# Words patients use that the corpus does not, kept so the corrector does not "fix" them.
_DOMAIN_WORDS = {
    "buttock", "butt", "bum", "glute", "glutes", "hamstring", "hamstrings", "tendon", "tendons",
    "sit", "bone", "sitbone", "ischial", "pain", "hurt", "hurts", "sore", "ache", "aches",
    "running", "run", "runner", "sitting", "chair", "cushion", "stretch", "stretches", "exercise",
    "exercises", "physio", "physiotherapist", "doctor", "injection", "injections", "shockwave",
    "surgery", "ibuprofen", "naproxen", "paracetamol", "ice", "heat", "squat", "squats",
    "deadlift", "deadlifts", "bridge", "bridges", "recovery", "heal", "healing",
}  # fmt: skip


class PHTRetriever(BaseRetriever):
    """LangChain retriever over `HybridSearch`; scores travel in each Document's metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    k: int = 6

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit_to_document(hit) for hit in self.search.search(query, self.k)]


def hit_to_document(hit: Hit) -> Document:
    """Return a LangChain Document for a hit (chunk fields and scores in the metadata)."""
    meta: dict[str, Any] = dict(hit.chunk.metadata)
    meta.update(
        chunk_id=hit.chunk.chunk_id,
        doc_id=hit.chunk.doc_id,
        section=hit.chunk.section,
        kind=hit.chunk.kind,
        start=hit.chunk.start,
        end=hit.chunk.end,
        refs=",".join(hit.chunk.refs),
        fused=hit.fused,
        dense=hit.dense,
        lexical=hit.lexical,
        dense_rank=hit.dense_rank,
        lexical_rank=hit.lexical_rank,
    )
    return Document(page_content=hit.chunk.text, metadata=meta, id=hit.chunk.chunk_id)


def document_to_hit(document: Document) -> Hit:
    """Return the hit a `hit_to_document` Document came from."""
    meta = dict(document.metadata)
    scores = {key: meta.pop(key, None) for key in
              ("fused", "dense", "lexical", "dense_rank", "lexical_rank")}
    chunk = chunk_from_record(str(meta.pop("chunk_id")), document.page_content, meta)
    return replace(
        Hit(chunk=chunk, fused=float(scores["fused"] or 0.0)),
        dense=float(scores["dense"] or 0.0),
        lexical=float(scores["lexical"] or 0.0),
        dense_rank=scores["dense_rank"],
        lexical_rank=scores["lexical_rank"],
    )
