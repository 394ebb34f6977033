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
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.rulefile import read_rules_file

__all__ = [
    "DATA_DIR",
    "ADVICE_DIR",
    "ScopeData",
    "ScopeModel",
    "load_scope_data",
    "scope_training_data",
    "train_scope_model",
]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data" / "scope"
ADVICE_DIR = Path(__file__).parent / "data" / "scope-advice"
REGULARISATION = 4.0
"""Inverse L2 strength (scikit-learn's C): chosen on the dev train split (1, 4 and 16 tried)."""

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
        payload = json.dumps([model_id, REGULARISATION, self.texts, self.labels])
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
    """A fitted linear model: P(out of scope) = sigmoid(w . x + b) for a normalised embedding."""

    weights: tuple[float, ...]
    bias: float

    def p_out(self, vector: Sequence[float]) -> float:
        """Return the probability that the message with this embedding is about something else."""
        z = float(np.dot(np.asarray(vector, dtype=np.float64), self._w)) + self.bias
        return float(1.0 / (1.0 + np.exp(-z)))

    @property
    def _w(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)


def _fit(vectors: np.ndarray, labels: Sequence[int]) -> ScopeModel:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
    clf.fit(vectors, np.asarray(labels))
    return ScopeModel(tuple(float(w) for w in clf.coef_[0]), float(clf.intercept_[0]))


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
    if cache is not None and cache.is_file():
        try:
            stored = json.loads(cache.read_text(encoding="utf-8"))
            return ScopeModel(tuple(stored["weights"]), float(stored["bias"]))
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("scope model cache %s is unreadable; retraining", cache)
    vectors = np.asarray(embed_texts(list(data.texts)), dtype=np.float64)
    model = _fit(vectors, data.labels)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps({"weights": model.weights, "bias": model.bias}), "utf-8")
        except OSError as exc:  # a read-only data folder: train again next start
            log.warning("could not cache the scope model in %s: %s", cache, exc)
    return model
