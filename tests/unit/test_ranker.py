"""The composer's learnt sentence ranker: features, scoring, and its strictly read data file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from assistant.compose.extractive import ExtractiveComposer
from assistant.compose.ranker import (
    FEATURES,
    RANKER_FILE,
    Candidate,
    QuestionForm,
    Ranker,
    features,
    load_ranker,
    question_form,
    read_ranker_file,
)
from assistant.errors import RulesError
from assistant.retrieval.search import HybridSearch
from assistant.types import Chunk, Hit
from evals.ranker_train import (
    Example,
    fit,
    label_units,
    top_precision,
    train_set_hash,
)
from tests.fakes import KeywordEmbeddings


def _candidate(text: str, **values: object) -> Candidate:
    base: dict[str, object] = {
        "cosine": 0.5, "overlap": 0.0, "rarest": False, "question": 0.0, "hit_index": 0,
        "position": 0, "dense": 0.5, "lexical": 0.0, "fused": 0.02, "table_row": False,
        "denied": False,
    }  # fmt: skip
    base.update(values)
    return Candidate(text=text, **base)  # type: ignore[arg-type]


def _row(row: list[float]) -> dict[str, float]:
    return dict(zip(FEATURES, row, strict=True))


def test_features_are_relative_to_the_best_candidate_of_the_question() -> None:
    rows = features(
        [
            _candidate("Loading helps.", cosine=0.7, overlap=0.5, lexical=4.0, fused=0.03),
            _candidate("It is slow.", cosine=0.4, overlap=0.0, lexical=2.0, position=1),
        ],
        QuestionForm(),
    )
    best, other = _row(rows[0]), _row(rows[1])
    assert best["cosine_gap"] == 0.0 and other["cosine_gap"] == pytest.approx(-0.3)
    assert best["overlap_gap"] == 0.0 and other["overlap_gap"] == -0.5
    assert best["lexical_share"] == 1.0 and other["lexical_share"] == 0.5
    assert best["first_in_passage"] == 1.0 and other["first_in_passage"] == 0.0
    # "It" opens a later sentence: it leans on the one before.
    assert other["anaphora"] == 1.0 and best["anaphora"] == 0.0
    assert best["log_words"] == pytest.approx(math.log1p(2))


def test_question_form_features_apply_only_to_their_form() -> None:
    numbered = _candidate("Recovery takes 6 to 12 months.")
    plain = _candidate("Recovery is gradual.")
    quantity = question_form("How long does recovery take?", yes_no=False)
    assert quantity.quantity and not quantity.definition
    rows = [_row(r) for r in features([numbered, plain], quantity)]
    assert rows[0]["number_for_quantity"] == 1.0 and rows[1]["number_for_quantity"] == 0.0
    other = [_row(r) for r in features([numbered], QuestionForm())]
    assert other[0]["number_for_quantity"] == 0.0
    assert question_form("What is PHT?", yes_no=False).definition
    assert not question_form("Is surgery risky?", yes_no=True).definition


def test_no_candidates_no_rows() -> None:
    assert features([], QuestionForm()) == []


def test_ranker_scores_by_its_weights() -> None:
    weights = dict.fromkeys(FEATURES, 0.0) | {"cosine": 2.0, "denied": -3.0}
    ranker = Ranker(weights, intercept=-1.0)
    rows = features(
        [_candidate("A.", cosine=0.9), _candidate("B.", cosine=0.9, denied=True)], QuestionForm()
    )
    assert ranker.log_odds(rows[0]) == pytest.approx(-1.0 + 1.8)
    assert ranker.log_odds(rows[1]) == pytest.approx(-1.0 + 1.8 - 3.0)
    assert ranker.probability(rows[0]) == pytest.approx(1 / (1 + math.exp(-0.8)))
    assert 0 < ranker.probability(rows[1]) < ranker.probability(rows[0]) < 1
    with pytest.raises(ValueError, match="feature values"):
        ranker.log_odds([1.0])


def test_ranker_without_a_weight_is_refused() -> None:
    with pytest.raises(RulesError, match="no weight for cosine"):
        Ranker({name: 0.0 for name in FEATURES if name != "cosine"}, 0.0)


def _write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(RANKER_FILE.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "ranker.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_ranker_file_is_read_strictly(tmp_path: Path) -> None:
    stored = read_ranker_file()
    weights = dict(stored.weights)
    del weights["cosine"]
    with pytest.raises(RulesError, match="no weight for cosine"):
        read_ranker_file(_write(tmp_path, weights=weights))
    with pytest.raises(RulesError, match="unknown features shoe_size"):
        read_ranker_file(_write(tmp_path, weights=stored.weights | {"shoe_size": 1.0}))
    with pytest.raises(RulesError, match="Extra inputs"):
        read_ranker_file(_write(tmp_path, comment="hand-tuned"))
    with pytest.raises(RulesError, match="finite"):
        read_ranker_file(_write(tmp_path, intercept=float("nan")))
    with pytest.raises(RulesError, match="cannot read"):
        read_ranker_file(tmp_path / "missing.yaml")


def test_the_stored_ranker_was_learnt_from_the_current_train_split() -> None:
    stored = read_ranker_file()
    assert stored.train_set == train_set_hash(), (
        "evals/dev/train changed since the ranker was trained: run `python -m evals.ranker_train`"
    )
    assert stored.trained_by == "python -m evals.ranker_train"
    assert stored.figures["top1"] > stored.figures["top1_hand"]
    load_ranker()  # and the product can load it


def test_train_set_hash_changes_with_a_case_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("- id: x\n", encoding="utf-8")
    first = train_set_hash(tmp_path)
    (tmp_path / "a.yaml").write_text("- id: y\n", encoding="utf-8")
    assert train_set_hash(tmp_path) != first


def test_labels_come_from_the_frozen_matcher() -> None:
    labels = label_units(
        ["Heavy slow loading reduces tendon pain."],
        ["Heavy slow loading reduces tendon pain over 12 weeks.", "Stretching may irritate it."],
    )
    assert labels == [True, False]


def test_fit_learns_which_feature_marks_the_answer() -> None:
    # Two features vary: the answering sentence always has the higher overlap, never the higher
    # cosine. The fitted weights must prefer overlap.
    examples = []
    for n in range(12):
        rows = []
        for cosine, overlap in ((0.8, 0.1), (0.5, 0.9), (0.6, 0.2)):
            values = dict.fromkeys(FEATURES, 0.0) | {"cosine": cosine + n / 100}
            values["overlap"] = overlap
            rows.append(tuple(values[name] for name in FEATURES))
        labels = (False, True, False)
        examples.append(Example(f"c{n}", f"f{n}", ("a", "b", "c"), tuple(rows), labels))
    weights, intercept = fit(examples, 1.0)
    assert weights["overlap"] > 0 > weights["cosine"]
    assert top_precision(examples, weights, intercept) == 1.0
    assert top_precision(examples, dict.fromkeys(FEATURES, 0.0) | {"cosine": 1.0}) == 0.0


def _composer(ranker: Ranker) -> tuple[ExtractiveComposer, list[Hit], KeywordEmbeddings]:
    embeddings = KeywordEmbeddings()
    texts = [
        "Sitting compresses the tendon against the sit bone. This makes sitting painful.",
        "Shockwave therapy reduces pain in chronic cases.",
        "Surgery is reserved for cases where conservative care fails.",
    ]
    chunks = [
        Chunk(chunk_id=f"doc:{i}", doc_id="doc", text=t, section="S", start=i * 100,
              end=i * 100 + len(t))
        for i, t in enumerate(texts)
    ]  # fmt: skip
    search = HybridSearch(chunks, lambda vector, k: [], embeddings.embed_query)
    composer = ExtractiveComposer(embeddings.embed_documents, search.vocabulary, ranker=ranker)
    hits = [Hit(chunk=c, fused=0.03 - i / 100, dense=0.5) for i, c in enumerate(chunks)]
    return composer, hits, embeddings


def test_the_composer_scores_each_sentence_with_the_ranker() -> None:
    # A ranker that only values the question's rarest word and penalises later hits.
    weights = dict.fromkeys(FEATURES, 0.0) | {"rarest": 4.0, "hit_prior": 1.0}
    composer, hits, embeddings = _composer(Ranker(weights, intercept=-2.0))
    question = "does shockwave help the pain?"
    scored = composer.score(question, embeddings.embed_query(question), hits)
    assert scored[0].unit.text.startswith("Shockwave")
    first = _row(list(scored[0].features))
    assert first["rarest"] == 1.0 and first["hit_prior"] == pytest.approx(1 / 2)
    # The score is the ranker's log-odds (select compares gaps between them).
    assert scored[0].score == pytest.approx(-2.0 + 4.0 + 0.5)
    assert [s.score for s in scored] == sorted((s.score for s in scored), reverse=True)


def test_a_ranker_that_penalises_denied_sentences_ranks_them_last() -> None:
    weights = dict.fromkeys(FEATURES, 0.0) | {"cosine": 1.0, "denied": -5.0}
    composer, hits, embeddings = _composer(Ranker(weights, intercept=0.0))
    question = "can it get better without surgery?"
    scored = composer.score(question, embeddings.embed_query(question), hits)
    assert scored[-1].unit.text.startswith("Surgery") and scored[-1].denied
