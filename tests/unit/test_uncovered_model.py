"""The learned coverage model: its data files, the fit, the cache, and its place in coverage."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.rulefile import RulesError
from assistant.triage.coverage import load_coverage_rules
from assistant.triage.uncovered_model import (
    COVERED,
    UncoveredData,
    fit_uncovered,
    load_uncovered_data,
    train_uncovered_model,
)

WORDS = ["cost", "price", "scan", "mri", "shockwave", "help", "pain", "sitting"]


def toy_vectors(texts: list[str]) -> list[list[float]]:
    """One axis per word of a small vocabulary, plus a constant."""
    return [[float(w in t.lower()) for w in WORDS] + [0.1] for t in texts]


def toy_data() -> UncoveredData:
    texts = [
        "what is the cost", "price of a session", "cost and price",
        "do i need a scan", "mri or scan?", "scan results mri",
        "does shockwave help", "help with sitting pain", "pain when sitting, help",
    ]  # fmt: skip
    labels = ["cost"] * 3 + ["imaging"] * 3 + [COVERED] * 3
    families = ["c1", "c1", "c2", "i1", "i1", "i2", "v1", "v2", "v2"]
    return UncoveredData(tuple(texts), tuple(labels), tuple(families))


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_the_packaged_data_parses_with_families_for_every_rule() -> None:
    rules = load_coverage_rules()
    data = load_uncovered_data([r.id for r in rules])
    families = {label: set() for label in data.labels}
    for label, family in zip(data.labels, data.families, strict=True):
        families[label].add(family)
    for rule in rules:
        assert len(families.get(rule.id, ())) >= 10, rule.id
    assert len(families[COVERED]) >= 40
    # A family belongs to one label, and no text is listed twice.
    owners = {f: {lab for lab, g in zip(data.labels, data.families, strict=True) if g == f}
              for f in set(data.families)}  # fmt: skip
    assert all(len(labels) == 1 for labels in owners.values())
    repeated = [t for t, n in Counter(t.lower() for t in data.texts).items() if n > 1]
    assert repeated == []


def test_a_label_that_is_no_rule_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "label: prices\nfamilies:\n  - family: x\n    texts: [a]\n")
    with pytest.raises(RulesError, match="neither a coverage rule"):
        load_uncovered_data(["cost"], tmp_path)


def test_a_family_used_twice_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "label: cost\nfamilies:\n  - family: x\n    texts: [a]\n")
    write(tmp_path, "b.yaml", "label: covered\nfamilies:\n  - family: x\n    texts: [b]\n")
    with pytest.raises(RulesError, match="already used"):
        load_uncovered_data(["cost"], tmp_path)


def test_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "label: cost\nfamilies:\n  - family: x\n    text: [a]\n")
    with pytest.raises(RulesError):
        load_uncovered_data(["cost"], tmp_path)


def test_the_model_names_the_rule_and_leaves_covered_questions_alone() -> None:
    data = toy_data()
    model = fit_uncovered(np.asarray(toy_vectors(list(data.texts))), data.labels)
    rule, p = model.decide(toy_vectors(["how much does it cost, what price"])[0])
    assert rule == "cost" and p >= 0.5
    rule, p = model.decide(toy_vectors(["is an mri scan needed"])[0])
    assert rule == "imaging"
    rule, p = model.decide(toy_vectors(["does it help the pain of sitting"])[0])
    assert rule is None and p < 0.5
    # The threshold is the caller's: at 1.0 nothing is ever not covered.
    assert model.decide(toy_vectors(["what is the cost"])[0], threshold=1.0)[0] is None


def test_rule_examples_join_the_data_as_families_of_their_own() -> None:
    data = toy_data().with_examples([("cost", ["how expensive"], ["is it expensive?"])])
    assert data.labels[-2:] == ("cost", COVERED)
    assert data.families[-2] != data.families[-1]
    assert data.digest("m") != toy_data().digest("m")


def test_the_fit_is_cached_and_a_corrupt_cache_retrains(tmp_path: Path) -> None:
    calls: list[int] = []

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(len(texts))
        return toy_vectors(texts)

    data = toy_data()
    first = train_uncovered_model(embed, data, model_id="toy", cache_dir=tmp_path)
    again = train_uncovered_model(embed, data, model_id="toy", cache_dir=tmp_path)
    assert len(calls) == 1 and again == first
    cache = next(tmp_path.glob("uncovered-model-*.json"))
    cache.write_text("{not json", encoding="utf-8")
    retrained = train_uncovered_model(embed, data, model_id="toy", cache_dir=tmp_path)
    assert len(calls) == 2 and retrained.rules == first.rules
