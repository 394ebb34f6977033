"""How far to trust the statement matcher: its precision and recall on hand-labelled pairs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evals.matcher import Similarity, conveys
from evals.models import EvalCaseError

__all__ = ["LabelledPair", "MatcherQuality", "default_pairs_path", "load_pairs", "evaluate", "main"]


@dataclass(frozen=True)
class LabelledPair:
    """A statement, an answer sentence, and whether the sentence conveys the statement."""

    statement: str
    sentence: str
    conveyed: bool
    kind: str = ""
    split: str = "tuning"
    """"tuning" pairs shaped the synonym map; "heldout" pairs were written after it, unseen."""


@dataclass
class MatcherQuality:
    """Confusion counts of the matcher on a labelled set, and the pairs it got wrong."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[tuple[LabelledPair, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Return the share of "conveyed" verdicts that were right."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Return the share of truly conveyed pairs the matcher found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def summary(self) -> str:
        """Return a one-line summary with precision, recall and counts."""
        return (
            f"matcher on {self.tp + self.fp + self.fn + self.tn} labelled pairs: "
            f"precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})"
        )


def default_pairs_path() -> Path:
    """Return the path of the project's labelled pairs (evals/labelled_pairs.jsonl)."""
    return Path(__file__).resolve().parent / "labelled_pairs.jsonl"


def load_pairs(path: Path | None = None) -> list[LabelledPair]:
    """Return the labelled pairs of a JSONL file, one {"statement","sentence","conveyed"} a line."""
    path = path or default_pairs_path()
    pairs = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalCaseError(f"{path}: cannot read the labelled pairs ({exc}).") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            pairs.append(LabelledPair(**data))
        except (json.JSONDecodeError, TypeError) as exc:
            raise EvalCaseError(f"{path}: line {number}: not a labelled pair ({exc}).") from exc
        if not isinstance(pairs[-1].conveyed, bool):
            raise EvalCaseError(f"{path}: line {number}: 'conveyed' must be true or false.")
    return pairs


def evaluate(pairs: Sequence[LabelledPair], similarity: Similarity = None) -> MatcherQuality:
    """Return the matcher's confusion counts on `pairs`."""
    quality = MatcherQuality()
    for pair in pairs:
        result = conveys(pair.statement, pair.sentence, similarity)
        if result.supported and pair.conveyed:
            quality.tp += 1
        elif result.supported:
            quality.fp += 1
            quality.errors.append((pair, result.reason))
        elif pair.conveyed:
            quality.fn += 1
            quality.errors.append((pair, result.reason))
        else:
            quality.tn += 1
    return quality


def report(quality: MatcherQuality) -> str:
    """Return the summary and one line per misjudged pair."""
    lines = [quality.summary()]
    for pair, reason in quality.errors:
        verdict = "missed" if pair.conveyed else "false match"
        lines.append(f"  {verdict} [{pair.kind}] {pair.statement!r}: {reason}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the matcher's precision and recall on the labelled pairs; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=Path, default=None, help="labelled pairs JSONL")
    args = parser.parse_args(argv)
    pairs = load_pairs(args.pairs)
    print(report(evaluate(pairs)))
    for split in sorted({p.split for p in pairs}):
        print(f"{split}: {evaluate([p for p in pairs if p.split == split]).summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
