"""The extractive composer's sentence ranker: a logistic regression over per-sentence features.

`features` describes a candidate sentence (a `Unit` of a retrieved hit) as numbers: how close it
is to the question (cosine, share of the question's specific words, its passage's reviewed-question
match), how its passage ranked, where it stands in its passage, and what kind of sentence it is.
`Ranker.log_odds` weighs them with coefficients learnt on the dev set's train split by
`python -m evals.ranker_train` and stored in data/ranker.yaml (a reviewed file: feature names,
weights, intercept, the train set's hash and figures). The file is read strictly when the composer
is built; a missing feature, an unknown one or a non-finite weight is a RulesError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from assistant.errors import RulesError

__all__ = [
    "FEATURES",
    "RANKER_FILE",
    "Candidate",
    "QuestionForm",
    "RankerFile",
    "Ranker",
    "question_form",
    "features",
    "read_ranker_file",
    "load_ranker",
]

RANKER_FILE = Path(__file__).resolve().parent / "data" / "ranker.yaml"

FEATURES: tuple[str, ...] = (
    "cosine",
    "cosine_gap",
    "overlap",
    "overlap_gap",
    "rarest",
    "question",
    "hit_prior",
    "dense",
    "lexical_share",
    "fused_share",
    "first_in_passage",
    "position_prior",
    "log_words",
    "table_row",
    "anaphora",
    "low_information",
    "denied",
    "number_for_quantity",
    "first_for_definition",
    "overlap_for_yes_no",
)
"""The features, in the order of the stored weights. What each one is: `features`."""

_ANAPHORA = re.compile(r"^(This|These|That|Those|It|They|Such|Its|Their)\b")
_LOW_INFORMATION = re.compile(r"^(In conclusion|For more information|If you are struggling)\b")
_NUMBER = re.compile(r"\d")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_QUANTITY = re.compile(
    r"\b(how (long|many|much|often|soon|quickly|fast)|when|what percentage|what proportion)\b",
    re.IGNORECASE,
)
_DEFINITION = re.compile(
    r"^\s*(what\s+(is|are|'s)|what's|whats|define|meaning of)\b|\bwhat does .+ mean\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionForm:
    """What kind of question it is, as far as sentence choice cares."""

    yes_no: bool = False
    quantity: bool = False
    """It asks how long, how many, how often or when: a sentence with a number likely answers."""
    definition: bool = False
    """It asks what something is: a passage's opening sentence likely answers."""


def question_form(question: str, *, yes_no: bool) -> QuestionForm:
    """Return the form of a question (`yes_no` from answer_first.is_yes_no)."""
    return QuestionForm(
        yes_no=yes_no,
        quantity=bool(_QUANTITY.search(question)),
        definition=bool(_DEFINITION.search(question)),
    )


@dataclass(frozen=True)
class Candidate:
    """What `features` reads of one sentence and its passage."""

    text: str
    cosine: float
    overlap: float
    rarest: bool
    """It contains the question's rarest specific term."""
    question: float
    """Cosine of the question and its passage's nearest reviewed question."""
    hit_index: int
    position: int
    dense: float
    lexical: float
    fused: float
    table_row: bool
    denied: bool


def features(candidates: Sequence[Candidate], form: QuestionForm) -> list[list[float]]:
    """Return each candidate's feature values, in `FEATURES` order.

    Some features are relative to the other candidates of the same question (the gap to the best
    cosine and overlap, BM25 and fused scores as a share of the best hit's), so that the weights
    do not depend on how high a question's scores run overall.
    """
    if not candidates:
        return []
    best_cosine = max(c.cosine for c in candidates)
    best_overlap = max(c.overlap for c in candidates)
    best_lexical = max(c.lexical for c in candidates)
    best_fused = max(c.fused for c in candidates)
    rows: list[list[float]] = []
    for c in candidates:
        words = len(_WORD.findall(c.text))
        first = c.position == 0
        values = {
            "cosine": c.cosine,
            "cosine_gap": c.cosine - best_cosine,
            "overlap": c.overlap,
            "overlap_gap": c.overlap - best_overlap,
            "rarest": float(c.rarest),
            "question": c.question,
            "hit_prior": 1 / (1 + c.hit_index),
            "dense": c.dense,
            "lexical_share": c.lexical / best_lexical if best_lexical > 0 else 0.0,
            "fused_share": c.fused / best_fused if best_fused > 0 else 0.0,
            "first_in_passage": float(first),
            "position_prior": 1 / (1 + c.position),
            "log_words": math.log1p(words),
            "table_row": float(c.table_row),
            "anaphora": float(bool(_ANAPHORA.match(c.text)) and not first),
            "low_information": float(bool(_LOW_INFORMATION.match(c.text))),
            "denied": float(c.denied),
            "number_for_quantity": float(form.quantity and bool(_NUMBER.search(c.text))),
            "first_for_definition": float(form.definition and first),
            "overlap_for_yes_no": c.overlap if form.yes_no else 0.0,
        }
        rows.append([values[name] for name in FEATURES])
    return rows


class RankerFile(BaseModel):
    """data/ranker.yaml: the learnt weights and where they come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(pattern=r"^logistic_regression$")
    trained_by: str = Field(min_length=1)
    """The command that wrote the file."""
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    train_set: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    """Hash of the train split's case files the weights were learnt from."""
    regularisation: float = Field(gt=0)
    """scikit-learn's C."""
    intercept: float
    weights: dict[str, float]
    """Per feature, on the raw feature scale (standardisation folded in)."""
    figures: dict[str, float] = Field(default_factory=dict)
    """What training measured on the train split (ranking figures; see the trainer)."""

    @field_validator("intercept")
    @classmethod
    def _finite_intercept(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("the intercept must be a finite number")
        return value

    @model_validator(mode="after")
    def _every_feature(self) -> RankerFile:
        missing = [name for name in FEATURES if name not in self.weights]
        unknown = [name for name in self.weights if name not in FEATURES]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"no weight for {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown features {', '.join(unknown)}")
            raise ValueError("; ".join(parts) + " (retrain: python -m evals.ranker_train)")
        bad = [name for name, w in self.weights.items() if not math.isfinite(w)]
        if bad:
            raise ValueError(f"non-finite weights for {', '.join(bad)}")
        return self


class Ranker:
    """Log-odds and probability that a sentence states what the question asks."""

    def __init__(self, weights: Mapping[str, float], intercept: float) -> None:
        missing = [name for name in FEATURES if name not in weights]
        if missing:
            raise RulesError(f"the ranker has no weight for {', '.join(missing)}.")
        self._weights = [float(weights[name]) for name in FEATURES]
        self.intercept = float(intercept)

    @classmethod
    def from_file(cls, data: RankerFile) -> Ranker:
        """Return the ranker of a validated ranker file."""
        return cls(data.weights, data.intercept)

    def log_odds(self, row: Sequence[float]) -> float:
        """Return the log-odds of one feature row (`FEATURES` order)."""
        if len(row) != len(self._weights):
            raise ValueError(f"expected {len(self._weights)} feature values, got {len(row)}")
        return self.intercept + sum(w * x for w, x in zip(self._weights, row, strict=True))

    def probability(self, row: Sequence[float]) -> float:
        """Return the probability of one feature row (the logistic of its log-odds)."""
        z = self.log_odds(row)
        if z >= 0:
            return 1 / (1 + math.exp(-z))
        e = math.exp(z)
        return e / (1 + e)


def read_ranker_file(path: Path = RANKER_FILE) -> RankerFile:
    """Return the ranker file parsed strictly (a RulesError names the file and what is wrong)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RulesError(
            f"{path}: cannot read the ranker file ({reason}); "
            "write it with `python -m evals.ranker_train`."
        ) from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}.") from exc
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: expected a mapping (key: value lines) at the top level.")
    try:
        return RankerFile.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in err['loc']) or 'top level'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise RulesError(f"{path}: " + "; ".join(problems) + ".") from exc


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_FILE) -> Ranker:
    """Return the ranker stored at `path` (read once per process)."""
    return Ranker.from_file(read_ranker_file(path))
