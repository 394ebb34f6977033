"""Triage parts: per-language lexicons, the classifier on a fake embedding, languages, wording."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.disclaimer import DISCLAIMER
from assistant.errors import RulesError
from assistant.triage.classifier import (
    EVERYDAY_WEIGHT,
    WINDOW_FLOOR,
    TrainingSet,
    TriageClassifier,
    _choose_threshold,
    _fit,
    _read_cache,
    _write_cache,
    train_model,
    training_set,
    windows,
)
from assistant.triage.conversation import is_general_question, says_assessed
from assistant.triage.dataset import CATEGORIES, Item
from assistant.triage.language import detect_languages
from assistant.triage.lexicon import fold, load_lexicon, load_lexicons
from assistant.triage.replies import load_replies

LEXICONS = load_lexicons(categories=CATEGORIES)


def _examples(kind: str) -> list[tuple[str, str, str]]:
    return [
        (lang, rule.id, text)
        for lang, lexicon in LEXICONS.items()
        for rule in lexicon.rules
        for text in getattr(rule, kind)
    ]


def test_every_language_has_every_category() -> None:
    for lexicon in LEXICONS.values():
        assert {rule.id for rule in lexicon.rules} == set(CATEGORIES)


@pytest.mark.parametrize(("lang", "rule_id", "text"), _examples("positive_examples"))
def test_lexicon_positive_examples_trip_their_rule(lang: str, rule_id: str, text: str) -> None:
    assert rule_id in LEXICONS[lang].categories([text])


@pytest.mark.parametrize(("lang", "rule_id", "text"), _examples("negative_examples"))
def test_lexicon_negative_examples_trip_nothing(lang: str, rule_id: str, text: str) -> None:
    assert LEXICONS[lang].categories([text]) == []


def test_fold_removes_accents_case_and_apostrophes() -> None:
    assert fold("Ich hätte GRÖẞE Füße, l'ischio") == "ich hatte grosse fusse, l ischio"


def test_a_bad_lexicon_is_one_named_error(tmp_path: Path) -> None:
    path = tmp_path / "redflags_es.yaml"
    path.write_text(
        "version: 1\nlanguage: es\nnegation: {cues: ['no'], window: 4}\nrules:\n"
        "  - id: fracture\n    patterns: ['(x']\n    positive_examples: [a, b]\n"
        "    negative_examples: [c, d]\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match="redflags_es.yaml: rule 'fracture' pattern 1"):
        load_lexicon(path)


# --- the classifier, on a fake embedding with meaning: bag of hashed words ------------------


def _embed(texts: Sequence[str]) -> np.ndarray:
    rows = np.zeros((len(texts), 64))
    for i, text in enumerate(texts):
        for word in text.lower().split():
            rows[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def _training() -> TrainingSet:
    red = [f"I can't pee at all since {d}, my bladder is full" for d in ("monday", "friday")]
    red += [f"my calf is swollen and hot after the {w} flight" for w in ("long", "night")]
    calm = [f"why does sitting on a {c} chair hurt my sit bone" for c in ("hard", "soft")]
    calm += [f"which {e} exercises help tendon pain" for e in ("loading", "isometric")]
    texts = (red + calm) * 3
    labels = (["cauda-equina"] * 2 + ["blood-clot"] * 2 + ["none"] * 4) * 3
    families = [f"f{i % 8}-{i // 8}" for i in range(len(texts))]
    return TrainingSet(tuple(texts), tuple(labels), tuple(families), _embed(texts))


def test_the_classifier_learns_and_scores_a_buried_sentence() -> None:
    model = train_model(_training(), target=0.9)
    assert 0.0 < model.threshold < 1.0
    model.threshold = 0.5  # the inner-CV choice on 24 toy texts is not what is tested here
    classifier = TriageClassifier(model, _embed)
    hit = classifier.classify(
        "Long story, sorry about that. Work has been really busy for the last few weeks and the "
        "kids are off school. I can't pee at all, my bladder is full. Anyway, thanks for reading."
    )
    assert hit.urgent and hit.category == "cauda-equina"
    assert hit.window.startswith("I can't pee")
    assert not classifier.classify("why does a hard chair hurt my sit bone").urgent


def test_everyday_messages_weigh_more_and_folds_keep_their_weights() -> None:
    items = [
        Item.model_validate({"id": f"r{i}", "text": t, "label": label, "language": "en",
                             "register": "plain", "source": "test", "family": f"f{i}",
                             "kind": kind, "variant": "written"})
        for i, (t, label, kind) in enumerate([
            ("I can't pee at all since monday", "cauda-equina", "redflag"),
            ("I wet myself laughing at a joke", "none", "benign_context"),
        ])
    ]  # fmt: skip
    data = training_set(items, ["the weather is mild today"], _embed, [("ev-1", "what is PHT")])
    assert data.weights == (1.0, 1.0, 1.0, EVERYDAY_WEIGHT)
    assert EVERYDAY_WEIGHT > 1.0
    part = data.subset(np.array([0, 3]))
    assert part.texts == ("I can't pee at all since monday", "what is PHT")
    assert part.weights == (1.0, EVERYDAY_WEIGHT) and part.vectors.shape == (2, 64)


def test_a_weighted_row_pulls_the_model_towards_its_label() -> None:
    texts = ["sharp pain sitting", "sharp pain sitting"] * 4 + ["numb saddle", "calm chair"] * 4
    labels = ["cauda-equina", "none"] * 4 + ["cauda-equina", "none"] * 4
    vectors = _embed(texts)
    plain = _fit(texts, vectors, labels)
    weights = [1.0, 6.0] * 4 + [1.0, 1.0] * 4
    heavy = _fit(texts, vectors, labels, weights)
    probe = ["sharp pain sitting"]
    none = plain.labels.index("none")
    assert heavy.probabilities(probe, _embed(probe))[0, none] > (
        plain.probabilities(probe, _embed(probe))[0, none] + 0.05
    )


def test_threshold_keeps_the_target_sensitivity() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.95])
    red = np.array([False, False, True, True, True, True])
    threshold = _choose_threshold(scores, red, 0.75)
    assert (scores[red] >= threshold).mean() >= 0.75
    assert threshold == 0.4


def test_windows_split_long_messages_and_unpunctuated_rambles() -> None:
    assert windows("Why does sitting hurt?") == ["Why does sitting hurt?"]
    pieces = windows(
        "The first sentence is here. The second one is here! The third one is here, but then "
        "a fourth one comes along. And a fifth sentence closes it, to make it long enough now."
    )
    assert pieces[0].startswith("The first") and len(pieces) >= 4
    assert windows("why does it hurt? it is a deep ache on the bone") == [
        "why does it hurt? it is a deep ache on the bone"
    ]
    ramble = " ".join(["word"] * 200)
    assert all(len(p.split()) <= 200 for p in windows(ramble)) and len(windows(ramble)) > 3


def test_model_cache_round_trip_and_a_broken_file_is_ignored(tmp_path: Path) -> None:
    model = train_model(_training(), target=0.9)
    model.dataset = "key1"
    path = tmp_path / "triage" / "m.pkl"
    _write_cache(path, model)
    assert _read_cache(path, "key1") is not None
    assert _read_cache(path, "other-key") is None
    path.write_bytes(b"not a pickle")
    assert _read_cache(path, "key1") is None


# --- languages, conversation cues, wording ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Why does sitting make my buttock hurt?", "en"),
     ("Mi padre no puede orinar desde anoche", "es"),
     ("Je ne sens plus le papier toilette quand je m'essuie", "fr"),
     ("Ich kann seit gestern nicht mehr pinkeln", "de"),
     ("Non riesco a urinare da ieri sera", "it"),
     ("Não consigo urinar desde ontem à noite", "pt")],
)  # fmt: skip
def test_language_detection(text: str, lang: str) -> None:
    assert detect_languages(text)[0] == lang


def test_assessed_and_general_question_cues() -> None:
    assert says_assessed("I went to A&E and the MRI was clear")
    assert says_assessed("fui a urgencias y me vio el médico")
    assert not says_assessed("I went for a run and it was fine")
    assert is_general_question("Can PHT cause bladder problems?")
    assert not is_general_question("Can I still run now that my foot drags?")


def test_disclaimer_carries_the_one_line_safety_net() -> None:
    assert load_replies().safety_net("en") in DISCLAIMER


def test_negation_marks_the_words_a_denial_governs_in_every_language() -> None:
    from assistant.language.normalise import normalise_for_matching as fold
    from assistant.triage.classifier import mark_negation

    assert mark_negation(fold("No numbness at all, but my leg is weak.")) == (
        "no neg_numbness neg_at neg_all but my leg is weak"
    )
    assert mark_negation(fold("I can't pee since this morning")) == (
        "i can't pee since this morning"  # a stated symptom, not a denial
    )
    assert "neg_febre" in mark_negation(fold("Não tenho febre, mas dói"))
    assert "neg_taubheit" in mark_negation(fold("Keine Taubheit im Gesäß"))
    assert "neg_fièvre" in mark_negation(fold("Je n'ai pas de fièvre")) or "neg_fievre" in (
        mark_negation(fold("Je n'ai pas de fièvre"))
    )


def test_category_thresholds_lower_only_where_a_category_falls_short() -> None:
    from assistant.triage.classifier import MIN_CATEGORY_POSITIVES, category_thresholds

    n = MIN_CATEGORY_POSITIVES
    # Category "a" scores high, "b" low; "c" has too few examples for its own threshold.
    scores = np.array([0.9] * n + [0.4] * n + [0.5] * 3 + [0.1] * n)
    predicted = np.array(["a"] * n + ["b"] * n + ["c"] * 3 + ["a"] * n, dtype=object)
    red = np.array([True] * (2 * n + 3) + [False] * n)
    found = category_thresholds(scores, predicted, red, 0.9)
    assert set(found) == {"a", "b"}
    assert found["a"] == pytest.approx(0.9) and found["b"] == pytest.approx(0.4)


class _AlarmedVectors:
    """A vector regression that reads nothing: every text is most likely cauda equina."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.row = np.full(len(labels), 0.02)
        self.row[list(labels).index("cauda-equina")] = 1.0 - 0.02 * (len(labels) - 1)

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        return np.tile(self.row, (len(vectors), 1))


def test_a_window_counts_only_as_far_as_the_calmer_regression() -> None:
    model = train_model(_training(), target=0.9)
    model.vector_model = _AlarmedVectors(model.labels)  # type: ignore[assignment]
    texts = ["why does sitting on a hard chair hurt my sit bone", "which loading exercises help"]
    probs = model.window_probabilities(texts, _embed(texts))
    folded = model.ngram_features.transform(texts)
    sparse = model.ngram_model.predict_proba(folded)
    none = model.labels.index("none")
    assert np.allclose(probs[0], (model.vector_model.predict_proba(_embed(texts[:1]))[0]
                                  + sparse[0]) / 2)  # fmt: skip
    assert np.allclose(probs[1], sparse[1]) and probs[1, none] > probs[0, none]
    model.threshold = 0.5
    chatty = (
        "Long story, sorry about that. Work has been really busy for the last few weeks. "
        "Why does sitting on a hard chair hurt my sit bone. Which loading exercises help "
        "tendon pain. Anyway, thanks for reading all of this, I know it is a lot."
    )
    pieces = windows(chatty)
    vectors = _embed(pieces)
    averaged = 1.0 - model.probabilities(pieces, vectors)[:, none]
    calmer = 1.0 - model.window_probabilities(pieces, vectors)[:, none]
    assert len(pieces) > 2 and calmer[0] == pytest.approx(averaged[0])
    assert (calmer[1:] < averaged[1:]).all()
    result = TriageClassifier(model, _embed).classify(chatty)
    assert result.score == pytest.approx(calmer.max())


def _rows(labels: Sequence[str], alarm: Sequence[float], category: str) -> np.ndarray:
    """Return one probability row per score in `alarm`: 1 - P(none) of it, all on `category`."""
    rows = np.zeros((len(alarm), len(labels)))
    rows[:, list(labels).index("none")] = [1.0 - a for a in alarm]
    rows[:, list(labels).index(category)] = alarm
    return rows


def test_a_window_counts_only_when_the_whole_message_is_not_calm() -> None:
    model = train_model(_training(), target=0.9)
    none = model.labels.index("none")
    texts = ["a long message", "one sentence of it", "another sentence"]
    for whole, expected in ((WINDOW_FLOOR - 0.05, None), (WINDOW_FLOOR + 0.05, 0.9)):
        dense = _rows(model.labels, [whole, 0.95, 0.9], "cauda-equina")
        sparse = _rows(model.labels, [whole, 0.9, 0.92], "cauda-equina")
        model._regressions = lambda t, v, d=dense, s=sparse: (d, s)  # type: ignore[method-assign]
        probs = model.window_probabilities(texts, np.zeros((3, 4)))
        assert probs[0, none] == pytest.approx(1.0 - whole)
        if expected is None:  # calm as a whole: its windows read as the whole message
            assert np.allclose(probs[1:], probs[0])
        else:  # the calmer regression of each window
            assert 1.0 - probs[1:, none] == pytest.approx([0.9, 0.9])
