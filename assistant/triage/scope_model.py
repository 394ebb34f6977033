"""The learned part of the scope check: logistic regression on the packaged sentence embeddings.

Trained deterministically (lbfgs, fixed data order) from the labelled messages in
`triage/data/scope/*.yaml` and `triage/data/scope-advice/*.yaml` (`label: in_scope |
out_of_scope`, `texts: [...]`). `scope/` holds everyday messages, which the triage classifier
also reads as its non-red-flag examples (triage/dataset.py); `scope-advice/` holds advice-shaped
messages ("should I buy a new car or lease one?", and PHT questions in the same shapes) that
teach the scope model topic rather than question shape, and only the scope model reads them.
Training embeds a few hundred short texts, so the fitted weights are cached in the data folder
under a hash of the training texts and the embedding model: a changed file or model retrains,
nothing else does.

P(out of scope) is the mean of two readings of the same embedding: the logistic regression (the
topic as a whole) and a similarity-weighted vote of the `NEIGHBOURS` training messages nearest
to it (the reviewed message it most resembles). The regression alone read vague PHT messages
("putting my socks on in the morning is a nightmare. any reason?", 0.71) and vague everyday
ones ("is it a good idea to accept a counter offer?", 0.52) the wrong way round; the vote,
which only local resemblance decides, separates them (see `NEIGHBOUR_SHARE`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.rulefile import read_rules_file
from assistant.triage.model_cache import cached_fit

__all__ = [
    "DATA_DIR",
    "ADVICE_DIR",
    "NEIGHBOURS",
    "NEIGHBOUR_TEMPERATURE",
    "NEIGHBOUR_SHARE",
    "ScopeData",
    "ScopeModel",
    "load_scope_data",
    "scope_training_data",
    "train_scope_model",
]


DATA_DIR = Path(__file__).parent / "data" / "scope"
ADVICE_DIR = Path(__file__).parent / "data" / "scope-advice"
REGULARISATION = 4.0
"""Inverse L2 strength (scikit-learn's C): chosen on the dev train split (1, 4 and 16 tried)."""

NEIGHBOURS = 20
"""How many of the nearest training messages vote (dev train split: 10, 20 and 30 tried)."""
NEIGHBOUR_TEMPERATURE = 0.1
"""A neighbour's vote weighs exp(cosine / this): the nearest ones count most."""
NEIGHBOUR_SHARE = 0.5
"""The vote's share of P(out of scope); the regression has the rest. Dev train split (438
cases, with the after-retrieval cut `scope.LEANING_OUT_OF_SCOPE` at 0.5): 0 -> 5 scope errors
(1 PHT question refused), 0.3 -> 4-5 (0 refused), 0.5 -> 3 (0 refused); the highest PHT
message then scores 0.62 (the before-retrieval cut, `scope.OUT_OF_SCOPE_PROBABILITY`, is 0.7)."""

EmbedTexts = Callable[[list[str]], list[list[float]]]


class _ScopeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Literal["in_scope", "out_of_scope"]
    texts: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class ScopeData:
    """Labelled training messages (1 = out of scope), in file order."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]

    def digest(self, model_id: str) -> str:
        """Return a hash of the texts, labels and the embedding model they are embedded with."""
        knn = [NEIGHBOURS, NEIGHBOUR_TEMPERATURE, NEIGHBOUR_SHARE]
        payload = json.dumps([model_id, REGULARISATION, knn, self.texts, self.labels])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def load_scope_data(folder: Path | None = None) -> ScopeData:
    """Return the labelled messages of every YAML file in `folder` (sorted by name)."""
    folder = DATA_DIR if folder is None else Path(folder)
    texts: list[str] = []
    labels: list[int] = []
    for path in sorted(folder.glob("*.yaml")):
        spec = read_rules_file(path, _ScopeFile)
        texts.extend(spec.texts)
        labels.extend([1 if spec.label == "out_of_scope" else 0] * len(spec.texts))
    return ScopeData(tuple(texts), tuple(labels))


def scope_training_data(folders: Sequence[Path] | None = None) -> ScopeData:
    """Return what the scope model trains on: the messages of each folder, in folder order
    (`DATA_DIR` then `ADVICE_DIR` by default; a missing folder adds nothing)."""
    texts: list[str] = []
    labels: list[int] = []
    for folder in (DATA_DIR, ADVICE_DIR) if folders is None else folders:
        data = load_scope_data(folder)
        texts.extend(data.texts)
        labels.extend(data.labels)
    return ScopeData(tuple(texts), tuple(labels))


@dataclass(frozen=True)
class ScopeModel:
    """A fitted linear model, P = sigmoid(w . x + b) for a normalised embedding, averaged with
    the vote of the nearest training messages (`neighbours`, unit vectors, and their labels)."""

    weights: tuple[float, ...]
    bias: float
    neighbours: tuple[tuple[float, ...], ...] = ()
    neighbour_labels: tuple[int, ...] = ()
    _matrix: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.neighbours) != len(self.neighbour_labels):
            raise ValueError("every neighbour needs its label")
        if self.neighbours:
            object.__setattr__(self, "_matrix", np.asarray(self.neighbours, dtype=np.float64))

    def p_out(self, vector: Sequence[float]) -> float:
        """Return the probability that the message with this embedding is about something else."""
        x = np.asarray(vector, dtype=np.float64)
        z = float(np.dot(x, self._w)) + self.bias
        linear = float(1.0 / (1.0 + np.exp(-z)))
        vote = self.vote(vector)
        if vote is None:
            return linear
        return (1.0 - NEIGHBOUR_SHARE) * linear + NEIGHBOUR_SHARE * vote

    def vote(self, vector: Sequence[float]) -> float | None:
        """Return the similarity-weighted share of off-topic messages among the `NEIGHBOURS`
        training messages nearest to `vector` (None without neighbours)."""
        if self._matrix is None:
            return None
        x = np.asarray(vector, dtype=np.float64)
        x = x / (np.linalg.norm(x) or 1.0)
        similarity = self._matrix @ x
        k = min(NEIGHBOURS, len(similarity))
        # A stable sort on the negated similarity: ties keep file order (reproducible).
        nearest = np.argsort(-similarity, kind="stable")[:k]
        weights = np.exp((similarity[nearest] - similarity[nearest].max()) / NEIGHBOUR_TEMPERATURE)
        labels = np.asarray(self.neighbour_labels, dtype=np.float64)[nearest]
        return float((weights * labels).sum() / weights.sum())

    @property
    def _w(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)


def _fit(vectors: np.ndarray, labels: Sequence[int]) -> ScopeModel:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
    clf.fit(vectors, np.asarray(labels))
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return ScopeModel(
        tuple(float(w) for w in clf.coef_[0]),
        float(clf.intercept_[0]),
        tuple(tuple(float(v) for v in row) for row in unit),
        tuple(int(label) for label in labels),
    )


def train_scope_model(
    embed_texts: EmbedTexts,
    *,
    model_id: str,
    cache_dir: Path | None = None,
    data: ScopeData | None = None,
) -> ScopeModel:
    """Return the scope model for `data` (the packaged files), from the cache when it is fresh."""
    data = scope_training_data() if data is None else data
    cache = cache_dir / f"scope-model-{data.digest(model_id)}.json" if cache_dir else None

    def fit() -> ScopeModel:
        return _fit(np.asarray(embed_texts(list(data.texts)), dtype=np.float64), data.labels)

    return cached_fit(
        cache,
        "scope model",
        fit,
        lambda stored: ScopeModel(
            tuple(stored["weights"]),
            float(stored["bias"]),
            tuple(tuple(row) for row in stored["neighbours"]),
            tuple(stored["neighbour_labels"]),
        ),
        lambda model: {
            "weights": model.weights,
            "bias": model.bias,
            "neighbours": model.neighbours,
            "neighbour_labels": model.neighbour_labels,
        },
    )
