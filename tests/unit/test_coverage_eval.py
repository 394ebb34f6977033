"""`pht-eval --coverage`: the figures it prints are computed the way its table says."""

from __future__ import annotations

import numpy as np

from assistant.triage.uncovered_model import COVERED, UncoveredData
from evals.coverage_eval import coverage_figures, grouped_scores
from tests.unit.test_uncovered_model import toy_data, toy_vectors


def test_figures_count_model_rules_and_union_per_label() -> None:
    data = UncoveredData(
        ("a", "b", "c", "d"), ("cost", "cost", COVERED, COVERED), ("f1", "f2", "f3", "f4")
    )
    scores = [("cost", 0.9), ("cost", 0.2), (None, 0.8), (None, 0.1)]
    regex = [None, "cost", None, "cost"]
    figures = coverage_figures(data, scores, regex, threshold=0.5)
    # Uncovered: the model finds "a", the rules find "b", the union both.
    assert figures["recall"] == {"model": 0.5, "rules": 0.5, "union": 1.0}
    # Covered: the model wrongly flags "c", the rules "d"; the union leaves neither alone.
    assert figures["specificity"] == {"model": 0.5, "rules": 0.5, "union": 0.0}
    assert figures["labels"]["cost"]["model_right_rule"] == 0.5
    assert coverage_figures(data, scores, regex, threshold=0.95)["recall"]["model"] == 0.0


def test_grouped_scores_hold_families_out_and_keep_the_examples_in_training() -> None:
    data = toy_data()
    # The rules' reviewed examples are always in training, so every fold knows every label even
    # when GroupKFold holds out all of one label's families.
    extra = UncoveredData((), (), ()).with_examples(
        [("cost", ["what cost or price"], ["help me with sitting"]), ("imaging", ["mri?"], [])]
    )
    vectors = np.asarray(toy_vectors([*data.texts, *extra.texts]), dtype=np.float64)
    scores = grouped_scores(data, vectors, extra, folds=3)
    assert len(scores) == len(data.texts)
    assert all(0.0 <= p <= 1.0 for _, p in scores)
    # Both cost families held out together are still named from the example alone.
    assert [rule for rule, _ in scores[:3]] == ["cost"] * 3
    covered = [p for (_, p), label in zip(scores, data.labels, strict=True) if label == COVERED]
    uncovered = [p for (_, p), label in zip(scores, data.labels, strict=True) if label != COVERED]
    assert max(covered) < min(uncovered)
