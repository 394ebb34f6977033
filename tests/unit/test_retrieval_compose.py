"""Retrieval and composition with fakes: rankings you can reason about."""

from __future__ import annotations

import math

import pytest

from assistant.compose.extractive import LEAD_INS, ExtractiveComposer
from assistant.disclaimer import DISCLAIMER
from assistant.errors import InvalidQuestion
from assistant.language.tokens import terms as search_terms
from assistant.pipeline import Assistant
from assistant.retrieval.query import QueryCorrector, QueryExpansions, retrieval_query
from assistant.retrieval.retriever import PHTRetriever
from assistant.retrieval.search import HybridSearch
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
              metadata={"title": "Test doc", "publisher": "Tester", "review_status": "x",
                        "topics": "sitting\nshockwave therapy\nrecovery time"})
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
    composer = ExtractiveComposer(embeddings.embed_documents, search.vocabulary, min_cosine=0.1)
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


def test_langchain_retriever_gives_the_search_hits_as_documents(assistant: Assistant) -> None:
    retriever = assistant.retriever
    assert isinstance(retriever, PHTRetriever)
    documents = retriever.invoke("stretching")
    hits = retriever.search.search("stretching", retriever.k)
    assert [d.id for d in documents] == [h.chunk.chunk_id for h in hits]
    assert documents[0].id == "doc:3"
    assert documents[0].metadata["section"] == "Loading"
    assert documents[0].page_content == hits[0].chunk.text
    assert documents[0].metadata["fused"] == hits[0].fused


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
    scored = assistant._composer.extractive.score("sitting", [1.0] * 15, hits)
    this = next(s for s in scored if s.unit.text.startswith("This makes"))
    # Put "This makes sitting painful." first: alone it would dangle.
    ranked = [this, *[s for s in scored if s is not this]]
    texts = [s.unit.text for s in assistant._composer.extractive.select(ranked, "patient")]
    assert texts[:2] == [
        "Sitting compresses the tendon against the sit bone.", "This makes sitting painful."
    ]


def test_unknown_topic_is_not_covered(assistant: Assistant) -> None:
    # Decided after retrieval: nothing retrieved is close to a question about kombucha (the
    # keyword fake embeds only its vocabulary, so the question names nothing else).
    answer = assistant.ask("Does kombucha help?")
    assert answer.status == "not_covered"
    assert "kombucha" in answer.answer
    assert answer.citations == [] and answer.disclaimer == DISCLAIMER


def test_an_unknown_word_beside_a_close_sentence_is_answered(assistant: Assistant) -> None:
    # "zorbly" is no word of the corpus, but a sentence answers the rest closely.
    answer = assistant.ask("zorbly shockwave therapy pain chronic?")
    assert answer.status == "answered", answer.answer
    assert "Shockwave therapy reduces pain in chronic cases. [1]" in answer.answer


def test_a_denied_topic_is_not_searched_or_said(assistant: Assistant) -> None:
    from assistant.language.negation import negated_words
    from assistant.retrieval.query import denied_terms

    assert negated_words("Can this get better without surgery?") == ["surgery"]
    expansions = assistant._search.prepare.expansions
    surgery_terms = set(search_terms("surgery"))
    assert surgery_terms <= denied_terms("better without surgery?", expansions)
    # The guidance's word for a denied patient word is denied too ("an op" is surgery).
    assert surgery_terms <= denied_terms("can it get better without an op?", expansions)
    assert denied_terms("can it get better with an op?", expansions) == set()
    # The denied word stays as typed, but its expansion is not searched.
    assert "surgery" in assistant._search.prepare("does it get better with an op")
    assert "surgery" not in assistant._search.prepare("does it get better without an op")
    hits = assistant._search.search("conservative care and surgery", 3)
    vector = assistant._search.vector("conservative care and surgery")
    scored = assistant._composer.extractive.score(
        "conservative care without surgery", vector, hits,
        denied=frozenset(denied_terms("without surgery", expansions)),
    )  # fmt: skip
    surgery = [s for s in scored if "Surgery" in s.unit.text]
    assert surgery and all(s.denied for s in surgery)
    chosen = assistant._composer.extractive.select(scored, "patient")
    assert all(not s.denied for s in chosen[1:])


def test_red_flag_skips_retrieval(assistant: Assistant) -> None:
    answer = assistant.ask("I felt a pop at the top of my hamstring and now I can't walk")
    assert answer.status == "urgent" and answer.rule_id
    assert answer.citations == [] and answer.retrieved == []
    assert answer.timings_ms["retrieve"] == 0.0
    assert answer.answer.lower().startswith(("please", "call", "seek", "go "))
    for word in ("stretch", "exercise", "ice", "loading"):
        assert word not in answer.answer.lower()


def test_out_of_scope_and_greeting(assistant: Assistant) -> None:
    # Reviewed other-topic words decide without a model; "bake bread" needs the classifier
    # (tests/unit/test_scope.py), which this fake assistant does not have.
    assert assistant.ask("How do I treat my sprained ankle?").status == "out_of_scope"
    hello = assistant.ask("hello")
    assert hello.status == "out_of_scope" and hello.disclaimer == DISCLAIMER


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 2001])
def test_unaskable_questions_raise_one_clear_error(assistant: Assistant, question: str) -> None:
    with pytest.raises(InvalidQuestion):
        assistant.ask(question)


def test_follow_up_carries_the_previous_topic() -> None:
    history = [{"role": "user", "content": "Is shockwave therapy any good?"},
               {"role": "assistant", "content": "..."}]
    assert "shockwave" in retrieval_query("how long after that?", history)
    long_new_question = "Why does sitting on hard chairs at work make my buttock pain worse?"
    assert retrieval_query(long_new_question, history) == long_new_question
    assert retrieval_query("what about that?", []) == "what about that?"


def test_clinician_answers_use_a_list(assistant: Assistant) -> None:
    answer = assistant.ask("What do NSAIDs do?", audience="clinician")
    assert answer.status == "answered" and answer.audience == "clinician"
    assert answer.answer.startswith(LEAD_INS["clinician"])
    assert "\n- NSAIDs give short-term pain relief" in answer.answer


def test_documents_view_orders_chunks(assistant: Assistant) -> None:
    (view,) = assistant.documents()
    assert view.doc_id == "doc" and view.metadata["title"] == "Test doc"
    assert [c.start for c in view.chunks] == sorted(c.start for c in view.chunks)


def test_a_red_flag_many_turns_ago_still_makes_the_answer_urgent(assistant: Assistant) -> None:
    history = [{"role": "user", "content": "I have numbness in my saddle area"}]
    for n in range(12):
        history += [
            {"role": "assistant", "content": "Please seek urgent care."},
            {"role": "user", "content": f"Does sitting hurt the tendon, question {n}?"},
        ]
    answer = assistant.ask("Is stretching good for it?", history)
    assert answer.status == "urgent"
    assert answer.rule_id == "cauda-equina"


def test_what_the_corpus_covers_comes_from_the_documents_topics(assistant: Assistant) -> None:
    answer = assistant.ask("Does kombucha help?")
    assert answer.status == "not_covered"
    assert answer.answer.endswith("It covers sitting, shockwave therapy and recovery time.")


def test_answer_length_comes_from_settings(assistant: Assistant) -> None:
    embeddings = KeywordEmbeddings()
    chunks = _chunks()
    search = HybridSearch(chunks, _dense(embeddings, chunks), embeddings.embed_query)
    settings = Settings(top_k=3, answer_sentences=1)
    composer = ExtractiveComposer(
        embeddings.embed_documents, search.vocabulary, min_cosine=0.1,
        patient_sentences=settings.answer_sentences,
    )  # fmt: skip
    short = Assistant(search, composer, settings, corpus_version="v1")
    question = "Tell me about the tendon"
    assert assistant.ask(question).answer.count("[") == 2
    assert short.ask(question).answer.count("[") == 1


def test_a_question_that_weighs_options_hears_about_each(assistant: Assistant) -> None:
    from assistant.compose.answer_first import is_choice

    assert is_choice("Shockwave or surgery, which is better?")
    assert is_choice("compare shockwave and surgery")
    assert not is_choice("Which exercises help?") and not is_choice("Is shockwave any good?")
    question = "shockwave or surgery for chronic pain?"
    hits = assistant._search.search(question, 6)
    vector = assistant._search.vector(assistant._search.prepare(question))
    scored = assistant._composer.extractive.score(question, vector, hits)
    composer = assistant._composer.extractive
    both = [s.unit.text for s in composer.select(scored, "patient", each_option=True)]
    assert any("Shockwave" in t for t in both) and any("Surgery" in t for t in both)


def test_fit_keeps_a_patient_answer_within_its_words_with_the_lead_in(
    assistant: Assistant,
) -> None:
    question = "Tell me about the tendon"
    hits = assistant._search.search(question, 6)
    vector = assistant._search.vector(assistant._search.prepare(question))
    composer = assistant._composer.extractive
    chosen = composer.select(composer.score(question, vector, hits), "patient")
    assert len(chosen) >= 2
    words = sum(len(s.unit.text.replace('-', ' ').split()) for s in chosen)
    composer.patient_words = words + 3
    assert composer.fit(chosen, "On the tendon:", "patient") == chosen
    shorter = composer.fit(chosen, "The guidance says, on the tendon:", "patient")
    assert shorter == chosen[: len(shorter)] and len(shorter) < len(chosen)
    # The first sentence stays whatever the budget; clinicians are not cut.
    composer.patient_words = 1
    assert composer.fit(chosen, "On the tendon:", "patient") == chosen[:1]
    assert composer.fit(chosen, "On the tendon:", "clinician") == chosen
