"""The learned red-flag classifier: MiniLM vectors and character n-grams, trained on the dataset.

Two multinomial logistic regressions over the labels (`none` and the nine categories): one on the
packaged all-MiniLM-L6-v2 embedding (the vector retrieval computes anyway), one on character
and word n-grams (typos and the five other languages, where MiniLM is weak). Their probabilities
are averaged. A long message is also scored sentence by sentence, so a buried flag is seen:
its score is the highest of its windows, each window scored by the less alarmed regression.
Training is deterministic and cached by the dataset's hash; the urgent threshold is chosen by
grouped cross-validation on the training data.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion

from assistant.language.normalise import normalise_for_matching
from assistant.rulefile import read_rules_file
from assistant.triage.dataset import (
    Item,
    build_items,
    dataset_hash,
    everyday_messages,
    neutral_sentences,
)

__all__ = [
    "Embedder",
    "ClassifierResult",
    "TriageModel",
    "TriageClassifier",
    "windows",
    "train_model",
    "load_or_train",
    "TARGET_SENSITIVITY",
    "TrainingSet",
    "training_set",
    "model_key",
    "build_classifier",
    "Classifies",
    "EVERYDAY_WEIGHT",
    "WINDOW_FLOOR",
]

logger = logging.getLogger(__name__)

Embedder = Callable[[Sequence[str]], np.ndarray]
"""Returns one L2-normalised embedding row per text."""

TARGET_SENSITIVITY = 0.90
"""The threshold is the highest score that keeps this grouped-CV sensitivity on training data.

Measured (README "Red flags"): at 0.98 the classifier's specificity on look-alikes fell to 0.46,
so ordinary questions would get emergency replies; at 0.90 it is the recall floor of the
classifier alone, and the reviewed rules and lexicons add what it misses (the decision is the
union)."""
_INNER_FOLDS = 3
_MAX_WINDOWS = 24
_WINDOW_WORDS = 40
_LONG_WORDS = 30
"""Messages of at least this many words are also scored sentence by sentence."""
_MIN_WINDOW_WORDS = 4
WINDOW_FLOOR = 0.15
"""A sentence window counts only when the whole message scores at least this (1 - P(none)).

A red flag buried in a long message still lifts the whole message's score: of the long
red flags the gate caught in grouped CV, few had a whole-message score under 0.15. A long
message read as calm whole (an ordinary question with a chatty sentence, a healed event told
at length) is not made urgent by one sentence of it alone. Measured on the triage eval's grouped
CV (README "Red flags", session 8): gate sensitivity 0.937 -> 0.938 (crisis 0.896 -> 0.900, no
category down by more than 0.001), look-alike specificity 0.715 -> 0.732, everyday messages
unchanged; dev ordinary questions with an emergency reply 16 -> 13 (train), 11 -> 10 (test)."""
_SENTENCE_END = re.compile(
    r"(?<=[.!?;:])\s+|\n+|\s+(?:but|and then|then|also|plus|aber|mais|pero|ma|mas)\s+"
)
_CACHE_VERSION = 5
"""2: everyday messages (the scope data) train as `none` too. 3: negation-marked word n-grams.
4: per-category thresholds. 5: everyday messages weigh EVERYDAY_WEIGHT."""
EVERYDAY_WEIGHT = 6.0
"""Sample weight of an everyday message (an ordinary PHT question or another topic) in training.

Most of what people type is an ordinary question, but everyday messages are 385 of about 4,500
`none` rows (the rest are look-alikes written to borrow red-flag words), and
`class_weight="balanced"` spreads `none`'s weight evenly over all of them. Measured on the
triage eval's grouped CV (everyday messages held out in blocks): weight 1 left 4.7% of held-out
everyday messages with an emergency reply, 3 left 2.3%, 6 left 1.0%, with red-flag sensitivity
and look-alike specificity unchanged (0.934/0.683, 0.935/0.682, 0.936/0.682)."""


def windows(text: str) -> list[str]:
    """Return the texts a message is scored on: itself and, when long, each sentence of it.

    A short question is judged whole: its fragments alone ("it's a deep ache right on the
    bone") read like flags they are not part of.
    """
    whole = text.strip()
    if len(whole.split()) < _LONG_WORDS:
        return [whole]
    parts = [part.strip() for part in _SENTENCE_END.split(whole) if part and part.strip()]
    pieces: list[str] = []
    for part in parts:
        words = part.split()
        # An unpunctuated ramble is cut into overlapping runs of words.
        if len(words) > _WINDOW_WORDS:
            step = _WINDOW_WORDS // 2
            pieces += [" ".join(words[i : i + _WINDOW_WORDS]) for i in range(0, len(words), step)]
        else:
            pieces.append(part)
    pieces = [p for p in pieces if len(p.split()) >= _MIN_WINDOW_WORDS and p != whole]
    if len(pieces) > _MAX_WINDOWS:
        # Adjacent pairs keep every sentence inside some window.
        pieces = [" ".join(pieces[i : i + 2]) for i in range(0, len(pieces), 2)][:_MAX_WINDOWS]
    return [whole, *pieces]


class _NegationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    window: int = Field(ge=1, le=12)
    clause_breaks: list[str]
    cues: dict[str, list[str]]


_NEGATION_PATH = Path(__file__).parent / "data" / "negation_cues.yaml"
_NEGATION = read_rules_file(_NEGATION_PATH, _NegationFile)
_CUES = frozenset(normalise_for_matching(c) for cues in _NEGATION.cues.values() for c in cues)
_BREAKS = frozenset(normalise_for_matching(word) for word in _NEGATION.clause_breaks)
_TOKEN_OR_MARK = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[.,;:!?()\n]")


def mark_negation(text: str) -> str:
    """Return folded `text` with each word in a denial's scope prefixed `neg_` (word features).

    "no numbness at all" -> "no neg_numbness neg_at neg_all": the word n-grams then tell a
    denied symptom from a stated one, and the model learns what each weighs. The scope ends at a
    clause mark, a clause-break word ("but") or after `window` words.
    """
    out: list[str] = []
    left = 0
    for token in _TOKEN_OR_MARK.findall(text):
        if not token[0].isalnum():
            left = 0
            continue
        if token in _BREAKS:
            left = 0
            out.append(token)
        elif token in _CUES:
            left = _NEGATION.window
            out.append(token)
        elif left > 0:
            out.append("neg_" + token)
            left -= 1
        else:
            out.append(token)
    return " ".join(out)


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                      sublinear_tf=True, dtype=np.float32)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True,
                                      preprocessor=mark_negation,
                                      token_pattern=r"(?u)\b\w+\b", dtype=np.float32)),
        ]
    )  # fmt: skip


def _regression(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=4000, class_weight="balanced")


@dataclass(frozen=True)
class ClassifierResult:
    """The classifier's view of one message."""

    score: float
    """Probability that the message (or one of its windows) is a red flag: 1 - P(none)."""
    category: str
    """The most likely red-flag category of the highest-scoring window."""
    window: str
    """The text that scored highest (the whole message or one sentence of it)."""
    urgent: bool


class Classifies(Protocol):
    """What the gate needs from a classifier (tests pass small fakes)."""

    def classify(self, text: str, vector: Sequence[float] | None = None) -> ClassifierResult:
        """Return the classifier's view of one message."""
        ...


@dataclass
class TriageModel:
    """A trained classifier: both regressions, the labels, the chosen threshold, provenance."""

    labels: tuple[str, ...]
    vector_model: LogisticRegression
    ngram_features: FeatureUnion
    ngram_model: LogisticRegression
    threshold: float
    dataset: str
    category_thresholds: dict[str, float] = field(default_factory=dict)
    """Lower thresholds for categories whose own recall at `threshold` is below the target."""

    def limit(self, category: str) -> float:
        """Return the urgent threshold for a window whose likeliest red flag is `category`."""
        return min(self.threshold, self.category_thresholds.get(category, self.threshold))

    def _regressions(self, texts: Sequence[str], vectors: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return each text's label probabilities by the vector and by the n-gram regression."""
        folded = [normalise_for_matching(text) for text in texts]
        dense = self.vector_model.predict_proba(np.asarray(vectors, dtype=np.float64))
        sparse = self.ngram_model.predict_proba(self.ngram_features.transform(folded))
        return dense, sparse

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Return the averaged label probabilities of each text (rows follow `labels`)."""
        dense, sparse = self._regressions(texts, vectors)
        return (dense + sparse) / 2.0

    def window_probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Return the label probabilities of a message (row 0, averaged) and of its windows.

        A sentence window counts only as far as the less alarmed of the two regressions (the
        row with the higher P(none)): a bare sentence of small talk in a language MiniLM
        reads poorly ("Ho letto tanto su internet...") scored 0.9-1.0 red flag by the vector
        regression alone, and the highest window decided the long message. Measured on the
        triage eval's grouped CV (README "Red flags"): look-alike specificity of the gate
        0.682 to 0.715, sensitivity 0.936 to 0.938.

        When the whole message scores under WINDOW_FLOOR, its windows are given row 0 (the
        whole message decides): one sentence cannot make a message read as calm urgent.
        """
        dense, sparse = self._regressions(texts, vectors)
        out = (dense + sparse) / 2.0
        none = self.labels.index("none")
        if 1.0 - out[0, none] < WINDOW_FLOOR:
            out[1:] = out[0]
            return out
        calmer = np.where((dense[:, none] >= sparse[:, none])[:, None], dense, sparse)
        out[1:] = calmer[1:]
        return out

    def urgent_scores(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Return 1 - P(none) for each text."""
        return 1.0 - self.probabilities(texts, vectors)[:, self.labels.index("none")]


def _fit(
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: Sequence[str],
    weights: Sequence[float] | None = None,
) -> TriageModel:
    names = tuple(sorted(set(labels)))
    y = np.array([names.index(label) for label in labels])
    sample = None if weights is None else np.asarray(weights, dtype=np.float64)
    vector_model = _regression(4.0).fit(
        np.asarray(vectors, dtype=np.float64), y, sample_weight=sample
    )
    features = _features()
    matrix = features.fit_transform([normalise_for_matching(text) for text in texts])
    ngram_model = _regression(10.0).fit(matrix, y, sample_weight=sample)
    return TriageModel(names, vector_model, features, ngram_model, 0.5, "")


def _choose_threshold(scores: np.ndarray, red: np.ndarray, target: float) -> float:
    """Return the highest threshold whose sensitivity on `scores[red]` is at least `target`."""
    positives = np.sort(scores[red])
    if not len(positives):
        return 0.5
    index = int(np.floor((1.0 - target) * len(positives)))
    return float(positives[min(index, len(positives) - 1)])


MIN_CATEGORY_POSITIVES = 30
"""A category gets its own threshold only with at least this many out-of-fold red flags."""


def category_thresholds(
    scores: np.ndarray, predicted: np.ndarray, red: np.ndarray, target: float
) -> dict[str, float]:
    """Return, per predicted category, the threshold that keeps `target` recall of its red flags.

    One threshold on 1 - P(none) serves the categories unequally: a crisis message shares few
    words with the PHT look-alikes and scores lower than a cauda equina one. Each category's red
    flags (binned by the category the model predicts for them, as at run time) get the quantile
    of their own out-of-fold scores; `TriageModel.limit` uses it only where it is lower than the
    global threshold, so no category loses sensitivity.
    """
    out: dict[str, float] = {}
    for category in sorted(set(predicted[red])):
        mine = red & (predicted == category)
        if int(mine.sum()) >= MIN_CATEGORY_POSITIVES:
            out[str(category)] = _choose_threshold(scores, mine, target)
    return out


@dataclass(frozen=True)
class TrainingSet:
    """The texts a model trains on, their vectors, labels and families."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    families: tuple[str, ...]
    vectors: np.ndarray
    weights: tuple[float, ...] | None = None
    """Per-text sample weights (None: all 1); everyday messages weigh EVERYDAY_WEIGHT."""

    def subset(self, rows: np.ndarray) -> TrainingSet:
        """Return the rows `rows` of this set (an inner cross-validation fold)."""
        return TrainingSet(
            tuple(self.texts[i] for i in rows),
            tuple(self.labels[i] for i in rows),
            tuple(self.families[i] for i in rows),
            self.vectors[rows],
            None if self.weights is None else tuple(self.weights[i] for i in rows),
        )

    def fit(self) -> TriageModel:
        """Return the two regressions fitted on this set (threshold not chosen)."""
        return _fit(self.texts, self.vectors, self.labels, self.weights)


def training_set(
    items: Sequence[Item],
    neutral: Sequence[str],
    embed: Embedder,
    everyday: Sequence[tuple[str, str]] = (),
) -> TrainingSet:
    """Return the written and typo items, the neutral sentences and the everyday messages
    ((family, text) pairs, label `none`), embedded."""
    chosen = [item for item in items if item.variant != "rambling"]
    texts = [item.text for item in chosen] + list(neutral) + [text for _, text in everyday]
    labels = [item.label for item in chosen] + ["none"] * (len(neutral) + len(everyday))
    families = (
        [item.family for item in chosen]
        + [f"neutral-{i}" for i in range(len(neutral))]
        + [family for family, _ in everyday]
    )
    weights = [1.0] * (len(chosen) + len(neutral)) + [EVERYDAY_WEIGHT] * len(everyday)
    return TrainingSet(
        tuple(texts), tuple(labels), tuple(families), embed(texts), tuple(weights)
    )


def train_model(data: TrainingSet, target: float = TARGET_SENSITIVITY) -> TriageModel:
    """Return a model fitted on `data`, its threshold chosen by inner grouped CV for `target`."""
    labels = np.array(data.labels)
    red = labels != "none"
    scores = np.zeros(len(labels))
    predicted = np.array(["none"] * len(labels), dtype=object)
    folds = GroupKFold(n_splits=_INNER_FOLDS)
    for train, test in folds.split(data.vectors, labels, np.array(data.families)):
        inner = data.subset(train).fit()
        probs = inner.probabilities([data.texts[i] for i in test], data.vectors[test])
        none = inner.labels.index("none")
        scores[test] = 1.0 - probs[:, none]
        probs[:, none] = -1.0
        predicted[test] = [inner.labels[j] for j in np.argmax(probs, axis=1)]
    model = data.fit()
    model.threshold = _choose_threshold(scores, red, target)
    model.category_thresholds = category_thresholds(scores, predicted, red, target)
    return model


class TriageClassifier:
    """Scores a message and its sentence windows with a trained model."""

    def __init__(self, model: TriageModel, embed: Embedder) -> None:
        self.model = model
        self._embed = embed

    def classify(self, text: str, vector: Sequence[float] | None = None) -> ClassifierResult:
        """Return the highest-scoring window of `text` (`vector` is its embedding if known)."""
        pieces = windows(text)
        extra = pieces[1:] if vector is not None else pieces
        rows = [np.asarray(vector, dtype=np.float64)] if vector is not None else []
        if extra:
            rows.extend(np.asarray(self._embed(extra), dtype=np.float64))
        probs = self.model.window_probabilities(pieces, np.vstack(rows))
        none = self.model.labels.index("none")
        best = int(np.argmax(1.0 - probs[:, none]))
        row = probs[best].copy()
        row[none] = -1.0
        score = float(1.0 - probs[best, none])
        category = self.model.labels[int(np.argmax(row))]
        return ClassifierResult(
            score=score,
            category=category,
            window=pieces[best],
            urgent=score >= self.model.limit(category),
        )


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "triage" / f"classifier-{key}.pkl"


def model_key(model_name: str, root: Path | None = None) -> str:
    """Return the cache key: dataset hash, embedding model and code version."""
    raw = f"{dataset_hash(root)}|{model_name}|{_CACHE_VERSION}|{TARGET_SENSITIVITY}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _read_cache(path: Path, key: str) -> TriageModel | None:
    try:
        with path.open("rb") as handle:
            model = pickle.load(handle)  # noqa: S301 - a file this program wrote
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        logger.warning("Ignoring unreadable triage model cache %s (%s)", path, exc)
        return None
    return model if isinstance(model, TriageModel) and model.dataset == key else None


def _write_cache(path: Path, model: TriageModel) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError as exc:
        # The model still works in this process; the next start trains again.
        logger.warning("Cannot write the triage model cache at %s (%s)", path, exc)


def load_or_train(
    cache_dir: Path,
    embed: Embedder,
    model_name: str,
    root: Path | None = None,
    *,
    shared: Path | None = None,
) -> TriageModel:
    """Return the cached model for this dataset and embedding model, training it when absent."""
    key = model_key(model_name, root)
    path = _cache_path(cache_dir, key)
    if path.exists():
        cached = _read_cache(path, key)
        if cached is not None:
            return cached
    logger.info("Training the triage classifier (dataset %s); this runs once.", key)
    items = build_items(root)
    neutral = [text for _, text in neutral_sentences(root)]
    model = train_model(training_set(items, neutral, embed, everyday_messages(root)))
    model.dataset = key
    _write_cache(path, model)
    if shared is not None:
        _write_cache(shared, model)
    return model


_SHARED_CACHE = Path(__file__).resolve().parents[2] / ".pht" / "triage-shared"
"""A second cache beside PHT_DATA_DIR's: processes with a fresh data dir (tests, benchmarks)
reuse the model the first process trained, instead of training it again for a minute."""


def build_classifier(
    data_dir: Path, embed_documents: Callable[[list[str]], list[list[float]]], model_name: str
) -> TriageClassifier:
    """Return the classifier over the packaged dataset, trained once and cached by its hash."""

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(embed_documents(list(texts)), dtype=np.float64)

    key = model_key(model_name)
    local = _cache_path(data_dir, key)
    shared = _cache_path(_SHARED_CACHE, key)
    if not local.exists() and shared.exists():
        model = _read_cache(shared, key)
        if model is not None:
            _write_cache(local, model)
            return TriageClassifier(model, embed)
    return TriageClassifier(load_or_train(data_dir, embed, model_name, shared=shared), embed)
