"""The learned part of coverage: does a question ask for what the guidance never states?

Logistic regression on the packaged sentence embeddings: the questions of every reviewed
coverage rule (`rules/coverage_rules.yaml`: doses, schedules, prices, populations, scans,
post-operative logistics, other treatments, products) against `covered` ones, questions on
the same topics that the two documents do answer ("is shockwave expensive?" is answered,
"how much is a session?" is not). The rules' regexes stay the precise, readable layer; this
model is meant to read the phrasings nobody wrote a regex for. A second regression, fitted on
the rules' questions alone, names the rule (its message says what is missing and who to ask).

Not in the answer path yet: measured (`pht-eval --coverage`, and in front of the nearest-example
check on the dev set; README "How it works", session 9), it catches uncovered asks the rules
miss but refuses more answerable questions on the dev train split than the rules do, at every
threshold.

Trained deterministically (lbfgs, fixed data order) from `triage/data/uncovered/*.yaml`, whose
messages are grouped in phrasing families (one situation asked many ways, so that evaluation
can hold whole families out: `evals/coverage_eval.py`), plus each rule's reviewed positive and
negative examples. The fitted weights are cached under a hash of the training texts and the
embedding model, like the scope model's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.rulefile import RulesError, read_rules_file
from assistant.triage.model_cache import cached_fit

__all__ = [
    "DATA_DIR",
    "COVERED",
    "REGULARISATION",
    "UNCOVERED_PROBABILITY",
    "UncoveredData",
    "UncoveredModel",
    "load_uncovered_data",
    "train_uncovered_model",
]


DATA_DIR = Path(__file__).parent / "data" / "uncovered"
COVERED = "covered"
"""The label of questions the guidance answers."""
REGULARISATION = 4.0
"""Inverse regularisation strength of the regression (as the scope model's)."""
UNCOVERED_PROBABILITY = 0.5
"""A question is not_covered by the model when P(some rule) reaches this."""

EmbedTexts = Callable[[list[str]], list[list[float]]]


class _Family(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    texts: list[str] = Field(min_length=1)


class _UncoveredFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    families: list[_Family] = Field(min_length=1)


@dataclass(frozen=True)
class UncoveredData:
    """Labelled training questions in file order: a rule id or `COVERED`, and the family."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    families: tuple[str, ...]

    def digest(self, model_id: str) -> str:
        """Return a hash of the texts, labels and the embedding model they are embedded with."""
        payload = json.dumps([model_id, REGULARISATION, self.texts, self.labels])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def with_examples(
        self, rules: Sequence[tuple[str, Sequence[str], Sequence[str]]]
    ) -> UncoveredData:
        """Return the data with each rule's reviewed examples added: (rule id, positive
        examples, negative examples). Each example is a family of its own."""
        texts, labels, families = list(self.texts), list(self.labels), list(self.families)
        for rule_id, positives, negatives in rules:
            for number, text in enumerate(positives):
                texts.append(text)
                labels.append(rule_id)
                families.append(f"example-{rule_id}-{number}")
            for number, text in enumerate(negatives):
                texts.append(text)
                labels.append(COVERED)
                families.append(f"example-{rule_id}-not-{number}")
        return UncoveredData(tuple(texts), tuple(labels), tuple(families))

    def with_covered(self, texts: Sequence[str], family: str) -> UncoveredData:
        """Return the data with more covered questions (the index's reviewed questions), each a
        family of its own named `family`-n."""
        return UncoveredData(
            (*self.texts, *texts),
            (*self.labels, *([COVERED] * len(texts))),
            (*self.families, *(f"{family}-{n}" for n in range(len(texts)))),
        )


def load_uncovered_data(rule_ids: Sequence[str], folder: Path | None = None) -> UncoveredData:
    """Return the labelled questions of every YAML file in `folder` (sorted by name).

    A label must be one of `rule_ids` or `COVERED`, and a family id must be unique across the
    files: either mistake is a RulesError naming the file.
    """
    folder = DATA_DIR if folder is None else Path(folder)
    known = {*rule_ids, COVERED}
    texts: list[str] = []
    labels: list[str] = []
    families: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        spec = read_rules_file(path, _UncoveredFile)
        if spec.label not in known:
            raise RulesError(
                f"{path}: label {spec.label!r} is neither a coverage rule "
                f"({', '.join(sorted(rule_ids))}) nor {COVERED!r}."
            )
        for family in spec.families:
            if family.family in seen:
                raise RulesError(
                    f"{path}: family {family.family!r} is already used in {seen[family.family]}."
                )
            seen[family.family] = path
            texts.extend(family.texts)
            labels.extend([spec.label] * len(family.texts))
            families.extend([family.family] * len(family.texts))
    return UncoveredData(tuple(texts), tuple(labels), tuple(families))


@dataclass(frozen=True)
class UncoveredModel:
    """Two fitted regressions on an embedding: P(not covered) = sigmoid(w . x + b), a binary
    regression of every rule's questions against the covered ones; and which rule, the most
    likely of `rules` under a multinomial regression fitted on the rules' questions alone."""

    weights: tuple[float, ...]
    bias: float
    rules: tuple[str, ...]
    rule_weights: tuple[tuple[float, ...], ...]
    rule_bias: tuple[float, ...]

    def p_uncovered(self, vector: Sequence[float]) -> float:
        """Return the probability that the question asks for what the guidance never states."""
        x = np.asarray(vector, dtype=np.float64)
        z = float(np.dot(x, np.asarray(self.weights, dtype=np.float64))) + self.bias
        return float(1.0 / (1.0 + np.exp(-z)))

    def rule(self, vector: Sequence[float]) -> str:
        """Return the rule whose questions the embedding most resembles."""
        if len(self.rules) == 1:
            return self.rules[0]
        x = np.asarray(vector, dtype=np.float64)
        z = np.asarray(self.rule_weights, dtype=np.float64) @ x + np.asarray(self.rule_bias)
        if len(self.rules) == 2:  # a binary regression has one row: the second rule's
            return self.rules[1] if z[0] > 0 else self.rules[0]
        return self.rules[int(np.argmax(z))]

    def decide(
        self, vector: Sequence[float], threshold: float = UNCOVERED_PROBABILITY
    ) -> tuple[str | None, float]:
        """Return the most likely rule when P(not covered) reaches `threshold` (else None),
        with P(not covered)."""
        p = self.p_uncovered(vector)
        return (self.rule(vector) if p >= threshold else None), p


def fit_uncovered(vectors: np.ndarray, labels: Sequence[str]) -> UncoveredModel:
    """Return the two regressions fitted on embeddings and their labels (deterministic)."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    out = y != COVERED
    gate = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
    gate.fit(vectors, out.astype(int))
    rules = sorted(set(y[out]))
    if len(rules) > 1:
        which = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
        which.fit(vectors[out], y[out])
        rules = [str(c) for c in which.classes_]
        rule_weights = tuple(tuple(float(w) for w in row) for row in which.coef_)
        rule_bias = tuple(float(b) for b in which.intercept_)
    else:
        rule_weights, rule_bias = (), ()
    return UncoveredModel(
        tuple(float(w) for w in gate.coef_[0]), float(gate.intercept_[0]),
        tuple(rules), rule_weights, rule_bias,
    )  # fmt: skip


def train_uncovered_model(
    embed_texts: EmbedTexts, data: UncoveredData, *, model_id: str, cache_dir: Path | None = None
) -> UncoveredModel:
    """Return the model for `data`, from the cache in `cache_dir` when it is fresh."""
    cache = cache_dir / f"uncovered-model-{data.digest(model_id)}.json" if cache_dir else None

    def fit() -> UncoveredModel:
        vectors = np.asarray(embed_texts(list(data.texts)), dtype=np.float64)
        return fit_uncovered(vectors, data.labels)

    return cached_fit(
        cache,
        "coverage model",
        fit,
        lambda stored: UncoveredModel(
            tuple(stored["weights"]),
            float(stored["bias"]),
            tuple(stored["rules"]),
            tuple(tuple(row) for row in stored["rule_weights"]),
            tuple(stored["rule_bias"]),
        ),
        lambda model: {
            "weights": model.weights, "bias": model.bias, "rules": model.rules,
            "rule_weights": model.rule_weights, "rule_bias": model.rule_bias,
        },
    )  # fmt: skip
