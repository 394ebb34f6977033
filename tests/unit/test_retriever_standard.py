"""LangChain's standard retriever tests on `PHTRetriever`, plus what they leave out (issue 16):
`k` must be honoured at any size (it was capped at 22 by the candidate pool), validated (0 and -1
returned one document) and accepted by `invoke` (it was dropped)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retrieval.retriever import PHTRetriever
from assistant.retrieval.search import HybridSearch
from assistant.types import Chunk
from tests.fakes import VOCABULARY, KeywordEmbeddings

_FILLER = ("garden soil compost tomato seedling watering mulch trellis harvest pruning sunlight "
           "drainage greenhouse frost basil pepper cucumber weeding fertiliser rainfall").split()


def _chunks(count: int = 60) -> list[Chunk]:
    rng = random.Random(16)
    chunks = []
    for n in range(count):
        words = [VOCABULARY[n % len(VOCABULARY)], *rng.sample(_FILLER, 8), f"item{n}"]
        text = f"Passage {n} about {' '.join(words)}."
        chunks.append(Chunk(chunk_id=f"c{n}", doc_id=f"doc{n % 3}", text=text,
                            section=f"S{n}", start=0, end=len(text), kind="paragraph"))  # fmt: skip
    return chunks


def _search(chunks: list[Chunk]) -> HybridSearch:
    embeddings = KeywordEmbeddings()
    vectors = {c.chunk_id: embeddings.embed_query(c.text) for c in chunks}

    def dense(vector: list[float], k: int) -> list[tuple[str, float]]:
        scored = [(cid, sum(a * b for a, b in zip(vector, v, strict=True)))
                  for cid, v in vectors.items()]  # fmt: skip
        return sorted(scored, key=lambda item: -item[1])[:k]

    return HybridSearch(chunks, dense, embeddings.embed_query)


_SEARCH = _search(_chunks())


class TestPHTRetrieverStandard(RetrieversIntegrationTests):
    """The suite langchain-tests ships for every retriever."""

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return PHTRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"search": _SEARCH}

    @property
    def retriever_query_example(self) -> str:
        return "Is shockwave therapy good for tendon pain when sitting?"


@pytest.mark.parametrize("k", [1, 3, 22, 23, 40, 60])
def test_k_is_honoured_at_any_size(k: int) -> None:
    retriever = PHTRetriever(search=_SEARCH)
    found = retriever.invoke("tendon pain sitting", k=k)
    assert len(found) == k
    assert len({doc.id for doc in found}) == k
    assert len(PHTRetriever(search=_SEARCH, k=k).invoke("tendon pain sitting")) == k


def test_k_larger_than_the_index_returns_the_whole_index() -> None:
    assert len(PHTRetriever(search=_SEARCH).invoke("tendon", k=500)) == 60


@pytest.mark.parametrize("k", [0, -1, 2.5, "3", True])
def test_invalid_k_is_a_clear_error(k: object) -> None:
    with pytest.raises(ValueError, match="k must be a whole number of at least 1"):
        PHTRetriever(search=_SEARCH).invoke("tendon", k=k)
    with pytest.raises(ValueError, match="k must be a whole number of at least 1"):
        PHTRetriever(search=_SEARCH, k=k)  # type: ignore[arg-type]


def test_invoke_k_does_not_change_the_retriever_default() -> None:
    retriever = PHTRetriever(search=_SEARCH, k=4)
    assert len(retriever.invoke("tendon", k=2)) == 2
    assert len(retriever.invoke("tendon")) == 4
