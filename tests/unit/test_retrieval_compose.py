"""Retrieval and composition with fakes: rankings you can reason about."""

from __future__ import annotations

import math

import pytest

from assistant.compose import LEAD_INS, ExtractiveComposer
from assistant.core import Assistant, _retrieval_query
from assistant.disclaimer import DISCLAIMER
from assistant.errors import InvalidQuestion
from assistant.retrieval import (
    HybridSearch,
    PHTRetriever,
    QueryCorrector,
    QueryExpansions,
    document_to_hit,
    hit_to_document,
    search_terms,
)
from assistant.settings import Settings
from assistant.types import Chunk
from tests.fakes import KeywordEmbeddings

TEXTS = [
    ("Anatomy", "Sitting compresses the tendon against the sit bone. This makes sitting painful."),
    ("Options", "Shockwave therapy reduces pain in chronic cases."),
    ("Options", "Surgery is reserved for cases where conservative care fails."),
    ("Loading", "Aggressive stretching can hinder healing of the tendon."),
    ("Medicine", "NSAIDs give short-term pain relief but do not change long-term outcomes."),
    ("Recovery", "Recovery takes several months of progressive loading."),
]


def _chunks() -> list[Chunk]:
    return [
        Chunk(chunk_id=f"doc:{i}", doc_id="doc", text=text, section=section, start=i * 100,
              end=i * 100 + len(text), kind="paragraph",
              metadata={"title": "Test doc", "publisher": "Tester", "review_status": "x"})
        for i, (section, text) in enumerate(TEXTS)
    ]


def _dense(embeddings: KeywordEmbeddings, chunks: list[Chunk]):  # type: ignore[no-untyped-def]
    vectors = {c.chunk_id: embeddings.embed_query(c.text) for c in chunks}

    def search(vector: list[float], k: int) -> list[tuple[str, float]]:
        scored = [
            (cid, sum(a * b for a, b in zip(vector, v, strict=True))) for cid, v in vectors.items()
        ]
        return sorted(scored, key=lambda item: -item[1])[:k]

    return search


@pytest.fixture()
def assistant() -> Assistant:
    embeddings = KeywordEmbeddings()
    chunks = _chunks()
    search = HybridSearch(chunks, _dense(embeddings, chunks), embeddings.embed_query)
    composer = ExtractiveComposer(
        embeddings.embed_documents, idf=search.lexical.idf, unseen_idf=search.lexical.unseen_idf,
        min_cosine=0.1,
    )
    return Assistant(search, composer, Settings(top_k=3), corpus_version="v1")


def test_search_terms_stem_and_drop_stopwords() -> None:
    assert search_terms("The stretching of tendons") == ["stretch", "tendon"]
    assert set(search_terms("diagnosis")) == set(search_terms("diagnosed"))


def test_corrector_fixes_typos_but_not_real_short_words() -> None:
    corrector = QueryCorrector({"tendinopathy", "running", "needs", "option", "hamstring"})
    assert corrector.correct("tendonopathy runing hamstirng") == "tendinopathy running hamstring"
    assert corrector.correct("I need an operation") == "I need an operation"


def test_expansions_map_patient_words() -> None:
    expansions = QueryExpansions.load()
    assert "surgery" in expansions.extra_terms("Will I need an operation?")
    assert "ischial tuberosity" in expansions.extra_terms("pain at my sit bone")
    assert expansions.extra_terms("Tell me about the tendon") == ""


def test_hybrid_search_ranks_the_matching_chunk_first(assistant: Assistant) -> None:
    hits = assistant._search.search("Is shockwave any use?", 3)
    assert hits[0].chunk.text.startswith("Shockwave therapy")
    assert hits[0].dense_rank == 1 and hits[0].lexical_rank == 1
    fused = [h.fused for h in hits]
    assert fused == sorted(fused, reverse=True)
    assert math.isclose(hits[0].fused, 2 / 61)


def test_near_duplicates_are_removed() -> None:
    embeddings = KeywordEmbeddings()
    chunks = _chunks()
    twin = Chunk(chunk_id="doc:twin", doc_id="doc2", text=chunks[1].text, section="Copy",
                 start=0, end=10)
    all_chunks = [*chunks, twin]
    search = HybridSearch(all_chunks, _dense(embeddings, all_chunks), embeddings.embed_query)
    texts = [h.chunk.text for h in search.search("shockwave therapy", 5)]
    assert texts.count(chunks[1].text) == 1


def test_langchain_retriever_round_trips_hits(assistant: Assistant) -> None:
    retriever = assistant.retriever
    assert isinstance(retriever, PHTRetriever)
    documents = retriever.invoke("stretching")
    assert documents[0].metadata["section"] == "Loading"
    hit = document_to_hit(documents[0])
    assert hit.chunk.chunk_id == documents[0].id == "doc:3"
    assert document_to_hit(hit_to_document(hit)) == hit


def test_answer_quotes_the_corpus_and_cites_it(assistant: Assistant) -> None:
    answer = assistant.ask("Should I do stretching?")
    assert answer.status == "answered"
    assert answer.answer.startswith(LEAD_INS["patient"])
    assert "Aggressive stretching can hinder healing of the tendon. [1]" in answer.answer
    assert [c.marker for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.citations[0].text == TEXTS[3][1]
    assert answer.citations[0].highlights == [TEXTS[3][1]]
    assert answer.disclaimer == DISCLAIMER
    assert answer.corpus_version == "v1"
    assert set(answer.timings_ms) == {"safety", "retrieve", "compose", "total"}
    assert any(c.cited for c in answer.retrieved) and len(answer.retrieved) <= 3


def test_anaphora_brings_its_antecedent(assistant: Assistant) -> None:
    hits = assistant._search.search("sitting", 3)
    scored = assistant._composer.score("sitting", [1.0] * 15, hits)
    this = next(s for s in scored if s.unit.text.startswith("This makes"))
    # Put "This makes sitting painful." first: alone it would dangle.
    ranked = [this, *[s for s in scored if s is not this]]
    texts = [s.unit.text for s in assistant._composer.select(ranked, "patient")]
    assert texts[:2] == [
        "Sitting compresses the tendon against the sit bone.", "This makes sitting painful."
    ]


def test_unknown_topic_is_not_covered(assistant: Assistant) -> None:
    answer = assistant.ask("Does kombucha help tendon pain?")
    assert answer.status == "not_covered"
    assert "kombucha" in answer.answer
    assert answer.citations == [] and answer.disclaimer == DISCLAIMER


def test_red_flag_skips_retrieval(assistant: Assistant) -> None:
    answer = assistant.ask("I felt a pop at the top of my hamstring and now I can't walk")
    assert answer.status == "urgent" and answer.rule_id
    assert answer.citations == [] and answer.retrieved == []
    assert answer.timings_ms["retrieve"] == 0.0
    assert answer.answer.lower().startswith(("please", "call", "seek", "go "))
    for word in ("stretch", "exercise", "ice", "loading"):
        assert word not in answer.answer.lower()


def test_out_of_scope_and_greeting(assistant: Assistant) -> None:
    assert assistant.ask("How do I bake bread?").status == "out_of_scope"
    hello = assistant.ask("hello")
    assert hello.status == "out_of_scope" and hello.disclaimer == DISCLAIMER


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 2001])
def test_unaskable_questions_raise_one_clear_error(assistant: Assistant, question: str) -> None:
    with pytest.raises(InvalidQuestion):
        assistant.ask(question)


def test_follow_up_carries_the_previous_topic() -> None:
    history = [{"role": "user", "content": "Is shockwave therapy any good?"},
               {"role": "assistant", "content": "..."}]
    assert "shockwave" in _retrieval_query("how long after that?", history)
    long_new_question = "Why does sitting on hard chairs at work make my buttock pain worse?"
    assert _retrieval_query(long_new_question, history) == long_new_question
    assert _retrieval_query("what about that?", []) == "what about that?"


def test_clinician_answers_use_a_list(assistant: Assistant) -> None:
    answer = assistant.ask("What do NSAIDs do?", audience="clinician")
    assert answer.status == "answered" and answer.audience == "clinician"
    assert answer.answer.startswith(LEAD_INS["clinician"])
    assert "\n- NSAIDs give short-term pain relief" in answer.answer


def test_documents_view_orders_chunks(assistant: Assistant) -> None:
    (view,) = assistant.documents()
    assert view.doc_id == "doc" and view.metadata["title"] == "Test doc"
    assert [c.start for c in view.chunks] == sorted(c.start for c in view.chunks)
