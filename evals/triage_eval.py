"""`pht-eval --triage`: red-flag triage under grouped cross-validation, new gate against old.

Every item of the triage dataset (assistant/triage/data) is scored by a classifier that never
saw its phrasing family (GroupKFold by family: a presentation and all its translations,
typos and long versions are held out together). For each fold the threshold is the highest
that keeps TARGET_SENSITIVITY on the out-of-fold scores of the other folds. The decision of
the new gate is the union of that classifier, the reviewed English rules and the per-language
lexicons, with the gate's general-question rule; the old gate is the frozen rule file of
evals/triage_baseline on the same items. Reported per category, per language, per look-alike
kind, with the category confusion.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.model_selection import GroupKFold

from assistant.rulefile import read_rules_file
from assistant.triage.classifier import (
    EVERYDAY_WEIGHT,
    TARGET_SENSITIVITY,
    TrainingSet,
    _choose_threshold,
    category_thresholds,
    windows,
)
from assistant.triage.conversation import is_general_question
from assistant.triage.dataset import (
    CATEGORIES,
    LANGUAGES,
    Item,
    build_items,
    dataset_hash,
    everyday_messages,
    neutral_sentences,
)
from assistant.triage.patterns import RuleSpec, compile_rules
from assistant.triage.safety import SafetyGate, user_texts

__all__ = ["run_triage_eval", "TriageThresholds", "check_triage", "format_report"]

log = logging.getLogger(__name__)

FOLDS = 5
BASELINE_RULES = Path(__file__).parent / "triage_baseline" / "safety_rules_v1.yaml"
THRESHOLDS_PATH = Path(__file__).parent / "triage_thresholds.yaml"
Embed = Callable[[Sequence[str]], np.ndarray]


class _OldRule(RuleSpec):
    message: str


class _OldFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    terms: dict[str, str] = Field(default_factory=dict)
    rules: list[_OldRule]


def _old_gate(path: Path = BASELINE_RULES) -> Callable[[str], str | None]:
    spec = read_rules_file(path, _OldFile)
    compiled = compile_rules(path, spec.terms, spec.rules)

    def check(text: str) -> str | None:
        texts = user_texts(text)
        return next((rule.id for rule, matcher in compiled if matcher.matches(texts)), None)

    return check


def _cached_embeddings(texts: Sequence[str], embed: Embed, cache: Path | None) -> np.ndarray:
    """Return one vector per text; vectors already in `cache` are reused, new ones added."""
    path = cache / "triage-eval-vectors.npz" if cache else None
    known: dict[str, np.ndarray] = {}
    if path is not None and path.exists():
        stored = np.load(path, allow_pickle=False)
        known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
    missing = sorted(set(texts) - set(known))
    if missing:
        known.update(zip(missing, np.asarray(embed(missing), dtype=np.float32), strict=True))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            names = sorted(known)
            np.savez(path, texts=np.array(names), vectors=np.stack([known[n] for n in names]))
    return np.asarray([known[text] for text in texts], dtype=np.float64)


@dataclass
class _Scored:
    item: Item
    score: float
    category: str
    threshold: float
    rules: str | None
    old: str | None
    fold: int


def _rates(flags: Sequence[bool]) -> dict[str, Any]:
    n = len(flags)
    return {"n": n, "flagged": int(sum(flags)), "rate": round(sum(flags) / n, 4) if n else None}


def _system_summary(
    scored: Sequence[_Scored], decide: Callable[[_Scored], str | None]
) -> dict[str, Any]:
    red = [s for s in scored if s.item.label != "none"]
    calm = [s for s in scored if s.item.label == "none"]
    decisions = {id(s): decide(s) for s in scored}
    out: dict[str, Any] = {
        "sensitivity": _rates([decisions[id(s)] is not None for s in red]),
        "specificity": _rates([decisions[id(s)] is None for s in calm]),
        "right_category": _rates([decisions[id(s)] == s.item.label for s in red]),
        "per_category": {},
        "per_language": {},
        "per_category_language": {},
        "specificity_per_resembled_category": {},
        "specificity_per_kind": {},
        "specificity_per_language": {},
        "per_variant": {},
        "confusion": {},
    }
    for category in CATEGORIES:
        mine = [s for s in red if s.item.label == category]
        out["per_category"][category] = _rates([decisions[id(s)] is not None for s in mine])
        out["per_category_language"][category] = {
            lang: _rates([decisions[id(s)] is not None for s in mine if s.item.language == lang])[
                "rate"
            ]
            for lang in LANGUAGES
        }
        out["confusion"][category] = dict(
            Counter(decisions[id(s)] or "none" for s in mine).most_common()
        )
    for lang in LANGUAGES:
        out["per_language"][lang] = _rates(
            [decisions[id(s)] is not None for s in red if s.item.language == lang]
        )
        out["specificity_per_language"][lang] = _rates(
            [decisions[id(s)] is None for s in calm if s.item.language == lang]
        )
    resembled: dict[str, list[bool]] = defaultdict(list)
    kinds: dict[str, list[bool]] = defaultdict(list)
    for s in calm:
        resembled[_resembles(s.item)].append(decisions[id(s)] is None)
        kinds[s.item.kind].append(decisions[id(s)] is None)
    out["specificity_per_resembled_category"] = {k: _rates(v) for k, v in sorted(resembled.items())}
    out["specificity_per_kind"] = {k: _rates(v) for k, v in sorted(kinds.items())}
    for variant in ("written", "typo", "rambling"):
        out["per_variant"][variant] = {
            "sensitivity": _rates(
                [decisions[id(s)] is not None for s in red if s.item.variant == variant]
            )["rate"],
            "specificity": _rates(
                [decisions[id(s)] is None for s in calm if s.item.variant == variant]
            )["rate"],
        }
    return out


_RESEMBLES: dict[str, str] = {}


def _resembles(item: Item) -> str:
    return _RESEMBLES.get(item.family, "unknown")


def run_triage_eval(embed: Embed, cache: Path | None = None, folds: int = FOLDS) -> dict[str, Any]:
    """Return the grouped-CV report: new gate, classifier alone, rules alone and the old gate."""
    from assistant.triage.dataset import load_families

    _RESEMBLES.update({f.family.id: f.family.resembles or "" for f in load_families()})
    items = build_items()
    neutral = [text for _, text in neutral_sentences()]
    everyday = everyday_messages()
    everyday_texts = [text for _, text in everyday]
    pieces = [windows(item.text) for item in items]
    flat = [text for group in pieces for text in group]
    vectors = _cached_embeddings(flat + neutral + everyday_texts, embed, cache)
    starts = np.cumsum([0] + [len(group) for group in pieces])
    whole = vectors[starts[:-1]]
    neutral_vectors = vectors[len(flat) : len(flat) + len(neutral)]
    everyday_vectors = vectors[len(flat) + len(neutral) :]
    # Everyday messages (short, label none) are held out by their own blocks, fold by fold.
    everyday_families = np.array([family for family, _ in everyday])
    everyday_folds = list(
        GroupKFold(n_splits=folds).split(everyday_vectors, groups=everyday_families)
    )
    everyday_score = np.zeros(len(everyday))
    everyday_fold = np.zeros(len(everyday), dtype=int)
    everyday_category = np.array(["none"] * len(everyday), dtype=object)
    labels = np.array([item.label for item in items])
    families = np.array([item.family for item in items])
    trainable = np.array([item.variant != "rambling" for item in items])

    gate = SafetyGate(detect=False)
    old = _old_gate()
    rules = [gate.flag(item.text) for item in items]
    old_hits = [old(item.text) for item in items]

    splitter = GroupKFold(n_splits=folds)
    fold_of = np.zeros(len(items), dtype=int)
    best = np.zeros(len(items))
    best_category = np.array(["none"] * len(items), dtype=object)
    for k, (train, test) in enumerate(splitter.split(whole, labels, families)):
        fold_of[test] = k
        train = train[trainable[train]]
        calm_train, calm_test = everyday_folds[k]
        everyday_fold[calm_test] = k
        data = TrainingSet(
            tuple([items[i].text for i in train] + neutral
                  + [everyday_texts[i] for i in calm_train]),
            tuple(list(labels[train]) + ["none"] * (len(neutral) + len(calm_train))),
            tuple(list(families[train]) + ["neutral"] * len(neutral)
                  + list(everyday_families[calm_train])),
            np.vstack([whole[train], neutral_vectors, everyday_vectors[calm_train]]),
            tuple([1.0] * (len(train) + len(neutral)) + [EVERYDAY_WEIGHT] * len(calm_train)),
        )  # fmt: skip
        model = data.fit()
        none = model.labels.index("none")
        for i in test:
            rows = vectors[starts[i] : starts[i + 1]]
            probs = model.window_probabilities(pieces[i], rows)
            j = int(np.argmax(1.0 - probs[:, none]))
            best[i] = 1.0 - probs[j, none]
            row = probs[j].copy()
            row[none] = -1.0
            best_category[i] = model.labels[int(np.argmax(row))]
        if len(calm_test):
            probs = model.probabilities(
                [everyday_texts[i] for i in calm_test], everyday_vectors[calm_test]
            )
            everyday_score[calm_test] = 1.0 - probs[:, none]
            others = probs.copy()
            others[:, none] = -1.0
            everyday_category[calm_test] = [model.labels[j] for j in np.argmax(others, axis=1)]
        log.info("triage fold %d/%d done", k + 1, folds)
    red = labels != "none"
    thresholds = [
        _choose_threshold(best[fold_of != k], red[fold_of != k], TARGET_SENSITIVITY)
        for k in range(folds)
    ]
    per_category = [
        category_thresholds(
            best[fold_of != k], best_category[fold_of != k], red[fold_of != k], TARGET_SENSITIVITY
        )
        for k in range(folds)
    ]

    def limit(fold: int, category: str) -> float:
        return min(thresholds[fold], per_category[fold].get(category, thresholds[fold]))

    rule_category = [flag.category if flag is not None else None for flag in rules]
    scored = [
        _Scored(item, float(best[i]), str(best_category[i]),
                limit(int(fold_of[i]), str(best_category[i])),
                rule_category[i], old_hits[i], int(fold_of[i]))
        for i, item in enumerate(items)
    ]  # fmt: skip

    def classifier_alone(s: _Scored) -> str | None:
        return s.category if s.score >= s.threshold else None

    def rules_alone(s: _Scored) -> str | None:
        return s.rules

    def new_gate(s: _Scored) -> str | None:
        return _union(s.rules, classifier_alone(s), s.item.text, s.item.language)

    everyday_alarms = _everyday_alarms(
        gate, everyday_texts, everyday_score, [str(c) for c in everyday_category],
        [limit(int(k), str(c)) for k, c in zip(everyday_fold, everyday_category, strict=True)],
    )  # fmt: skip
    return {
        "dataset": dataset_hash(),
        "everyday": everyday_alarms,
        "items": len(items),
        "red_flags": int(red.sum()),
        "lookalikes": int((~red).sum()),
        "families": len(set(families)),
        "folds": folds,
        "target_sensitivity": TARGET_SENSITIVITY,
        "thresholds": [round(t, 4) for t in thresholds],
        "category_thresholds": [
            {c: round(t, 4) for c, t in fold.items() if t < thresholds[k]}
            for k, fold in enumerate(per_category)
        ],
        "systems": {
            "new_gate": _system_summary(scored, new_gate),
            "classifier_alone": _system_summary(scored, classifier_alone),
            "rules_and_lexicons_alone": _system_summary(scored, rules_alone),
            "old_regex_gate": _system_summary(scored, lambda s: s.old),
        },
        "scores": [
            {
                "id": s.item.id,
                "score": round(s.score, 4),
                "category": s.category,
                "rules": s.rules,
                "old": s.old,
                "fold": s.fold,
            }
            for s in scored
        ],  # fmt: skip
        "notes": [
            "Rules and lexicons were written with the dataset in view: their figures are not "
            "held out. The classifier's are (grouped CV). The old gate predates the dataset.",
        ],
    }


def _everyday_alarms(
    gate: SafetyGate,
    texts: Sequence[str],
    scores: np.ndarray,
    categories: Sequence[str],
    thresholds: Sequence[float],
) -> dict[str, Any]:
    """Return how often everyday messages (held out by block) get an emergency reply."""
    from assistant.triage.safety import _enough_words

    classifier = [
        bool(score >= limit and _enough_words(text))
        for text, score, limit in zip(texts, scores, thresholds, strict=True)
    ]
    gate_alarm = []
    for text, by_classifier, category in zip(texts, classifier, categories, strict=True):
        flag = gate.flag(text)
        rules = flag.category if flag else None
        chosen = _union(rules, category if by_classifier else None, text, "en")
        gate_alarm.append(chosen is not None)
    alarms = [text for text, alarm in zip(texts, gate_alarm, strict=True) if alarm]
    return {
        "n": len(texts),
        "specificity_new_gate": round(1 - sum(gate_alarm) / len(texts), 4) if texts else None,
        "specificity_classifier_alone": (
            round(1 - sum(classifier) / len(texts), 4) if texts else None
        ),
        "false_alarms": alarms[:20],
    }


def _union(rules: str | None, classifier: str | None, text: str, language: str) -> str | None:
    """Return the new gate's category: the union of rules and classifier, by priority, with the
    gate's general-question rule (English; crisis is never downgraded)."""
    found = [c for c in (rules, classifier) if c is not None]
    if not found:
        return None
    category = min(found, key=_priority)
    general = language == "en" and is_general_question(text)
    return None if general and category != "crisis-self-harm" else category


def _priority(category: str) -> int:
    from assistant.triage.safety import _PRIORITY

    return _PRIORITY.index(category) if category in _PRIORITY else 99


class TriageThresholds(BaseModel):
    """Minimum grouped-CV figures `make test` enforces (evals/triage_thresholds.yaml)."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    min_sensitivity_per_category: float = Field(ge=0, le=1)
    min_sensitivity_per_language: float = Field(ge=0, le=1)
    min_specificity: float = Field(ge=0, le=1)
    min_specificity_per_language: float = Field(ge=0, le=1)
    min_everyday_specificity: float = Field(ge=0, le=1)
    """Everyday messages (ordinary PHT questions and other topics) that must not be urgent."""


def check_triage(report: dict[str, Any], path: Path = THRESHOLDS_PATH) -> list[str]:
    """Return what falls below the thresholds (empty: the gate passes)."""
    limits = read_rules_file(path, TriageThresholds)
    new = report["systems"]["new_gate"]
    failed = []
    for category, rates in new["per_category"].items():
        if rates["rate"] < limits.min_sensitivity_per_category:
            failed.append(f"sensitivity {category} {rates['rate']}")
    for lang, rates in new["per_language"].items():
        if rates["rate"] < limits.min_sensitivity_per_language:
            failed.append(f"sensitivity {lang} {rates['rate']}")
    if new["specificity"]["rate"] < limits.min_specificity:
        failed.append(f"specificity {new['specificity']['rate']}")
    for lang, rates in new["specificity_per_language"].items():
        if rates["rate"] < limits.min_specificity_per_language:
            failed.append(f"specificity {lang} {rates['rate']}")
    everyday = report["everyday"]["specificity_new_gate"]
    if everyday is None or everyday < limits.min_everyday_specificity:
        failed.append(f"everyday specificity {everyday}")
    return failed


def format_report(report: dict[str, Any]) -> str:
    """Return the report as plain-text tables (old against new, per category and language)."""
    systems = report["systems"]
    names = ["new_gate", "classifier_alone", "rules_and_lexicons_alone", "old_regex_gate"]
    lines = [
        f"Triage dataset {report['dataset']}: {report['red_flags']} red flags, "
        f"{report['lookalikes']} look-alikes, {report['families']} families; "
        f"{report['folds']}-fold grouped CV, thresholds {report['thresholds']}",
        "",
        f"{'sensitivity':<26}" + "".join(f"{n[:14]:>16}" for n in names),
    ]
    for category in CATEGORIES:
        lines.append(
            f"{category:<26}"
            + "".join(f"{systems[n]['per_category'][category]['rate']:>16.3f}" for n in names)
        )
    for lang in LANGUAGES:
        lines.append(
            f"{'  language ' + lang:<26}"
            + "".join(f"{systems[n]['per_language'][lang]['rate']:>16.3f}" for n in names)
        )
    for key, label in (("sensitivity", "ALL red flags"), ("specificity", "SPECIFICITY")):
        lines.append(f"{label:<26}" + "".join(f"{systems[n][key]['rate']:>16.3f}" for n in names))
    for lang in LANGUAGES:
        lines.append(
            f"{'  specificity ' + lang:<26}"
            + "".join(
                f"{systems[n]['specificity_per_language'][lang]['rate']:>16.3f}" for n in names
            )
        )
    everyday = report.get("everyday")
    if everyday:
        lines.append(
            f"{'everyday messages':<26}{everyday['specificity_new_gate']:>16.3f}"
            f"{everyday['specificity_classifier_alone']:>16.3f}   (specificity, n={everyday['n']})"
        )
    lines.append("")
    lines.append("new gate, specificity per look-alike kind and resembled category:")
    for group in ("specificity_per_kind", "specificity_per_resembled_category"):
        lines.append(
            "  " + ", ".join(f"{k} {v['rate']:.3f}" for k, v in systems["new_gate"][group].items())
        )
    lines.append("new gate, category confusion (true -> predicted counts):")
    for category, row in systems["new_gate"]["confusion"].items():
        lines.append(f"  {category}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
    return "\n".join(lines)


def main_triage(out: Path | None, embed: Embed, cache: Path | None, enforce: bool) -> int:
    """Run, print, write `out`, and return 1 when a threshold is not met."""
    report = run_triage_eval(embed, cache)
    print(format_report(report))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    failed = check_triage(report) if enforce else []
    for problem in failed:
        print(f"below threshold: {problem}")
    return 1 if failed else 0


def run_cli(out: Path | None, *, enforce: bool = True) -> int:
    """`pht-eval --triage`: embed with the packaged model (vectors cached in PHT_DATA_DIR)."""
    from assistant.index.embeddings import load_embeddings
    from assistant.settings import Settings

    settings = Settings.from_env()
    embeddings = load_embeddings(settings)

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(embeddings.embed_documents(list(texts)), dtype=np.float64)

    return main_triage(out, embed, settings.data_dir / "triage", enforce)
