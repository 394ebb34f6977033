"""Build bench.jsonl from facts.yaml, questions.yaml and the passages the product sent.

    .venv/bin/python -m evals.llm_bench.capture captured.json   # ask the product (needs an index)
    .venv/bin/python -m evals.llm_bench.build captured.json     # write evals/llm_bench/bench.jsonl

Deterministic: the same inputs give the same file. For each request (question x audience) whose
passages were sent to the model, the faithful reply says, in the paraphrases of facts.yaml, every
fact of the family whose passage was sent (the opener first, at most 5 sentences for a patient and
8 for a clinician), each anchored to its quote in the passage that holds it. Each request also
gets two adversarial replies: the faithful one with one sentence made wrong (or one added), the
types chosen so that every type is well represented in both splits.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
MAX_SENTENCES = {"patient": 5, "clinician": 8}
ADVERSARIAL_PER_REQUEST = {"train": 6, "test": 2}
"""Adversarial replies per request: train has more, to tune on (the test split is unchanged)."""
BASE_ADVERSARIAL = 2
"""The first replies of every request, chosen from the first extra file's edits only."""
EXTRA_FILES = ("facts_extra.yaml", "facts_extra2.yaml", "facts_extra3.yaml")
"""More train-split wording: each file's [patient, clinician] pair is one more train wording (a
fact a file gives no wording keeps its base train wording in that round)."""

# Sentences a model adds that no passage says, anchored (falsely) to a real quote of the reply.
INVENTED: tuple[tuple[str, str], ...] = (
    ("invented_treatment", "Acupuncture can also ease the pain"),
    ("invented_treatment", "Massage of the buttock speeds up healing"),
    ("invented_treatment", "Dry needling is another effective option"),
    ("invented_treatment", "A hip brace can take pressure off the tendon"),
    ("invented_treatment", "Kinesiology tape helps support the tendon"),
    ("invented_treatment", "Heat packs before exercise are helpful"),
    ("invented_treatment", "Therapeutic ultrasound is also recommended"),
    ("invented_treatment", "Foam rolling the hamstring helps it heal"),
    ("invented_treatment", "Yoga is a good way to rehabilitate the tendon"),
    ("invented_treatment", "Paracetamol works as well as anti-inflammatories"),
    ("invented_treatment", "Glucosamine supplements support tendon repair"),
    ("invented_treatment", "Swimming is the safest way to stay fit while it heals"),
    ("invented_dose", "Take 500 mg of naproxen twice a day"),
    ("invented_dose", "Do 3 sets of 15 bridges every day"),
    ("invented_dose", "Ice it for 20 minutes every 2 hours"),
    ("invented_dose", "Rest for 2 weeks before starting any exercise"),
    ("invented_dose", "Shockwave is usually given as 3 sessions a week apart"),
    ("invented_dose", "Do the exercises 5 days a week for 12 weeks"),
    ("invented_dose", "Limit sitting to 30 minutes at a time"),
    ("invented_dose", "Most people are better within 6 weeks"),
)


def _anchor(text: str, number: int, quote: str) -> str:
    return f'{text} [{number}: "{quote}"].'


def _load(name: str) -> Any:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def _locate(facts: dict[str, dict[str, Any]], passages: list[dict[str, Any]]) -> dict[str, int]:
    """Return fact id -> number of the passage that holds its quote verbatim."""
    where: dict[str, int] = {}
    for fact_id, fact in facts.items():
        for passage in passages:
            if fact["quote"] in passage["text"]:
                where[fact_id] = passage["number"]
                break
    return where


def _faithful(
    family: dict[str, Any], facts: dict[str, dict[str, Any]], where: dict[str, int],
    audience: str, passages: list[dict[str, Any]], extra: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Return the faithful reply's sentences: [{text, fact, kind}]."""
    variant = (0 if family["split"] == "train" else 2) + (audience == "clinician")
    if extra and family["split"] == "train":
        variant += 2 + 2 * extra  # the wording of EXTRA_FILES[extra - 1]
    sentences: list[dict[str, Any]] = []
    used: set[str] = set()
    opener = family.get("opener")
    if opener and opener["fact"] in where:
        fact = facts[opener["fact"]]
        text = _anchor(opener["text"], where[opener["fact"]], fact["quote"])
        sentences.append({"text": text, "fact": opener["fact"], "kind": "opener"})
        used.add(opener["fact"])
    wanted = [f for f in family["facts"] if f in where and f not in used]
    if len(wanted) + len(used) < 2:
        # Too few of the family's facts were sent: a model answers from what it was given.
        by_passage = sorted((where[f], order, f) for order, f in enumerate(facts) if f in where)
        wanted += [f for _, _, f in by_passage if f not in used and f not in wanted]
    limit = MAX_SENTENCES[audience] - (1 if family.get("gap") else 0)
    for fact_id in wanted:
        if len(sentences) >= limit:
            break
        fact = facts[fact_id]
        text = _anchor(fact["faithful"][variant], where[fact_id], fact["quote"])
        sentences.append({"text": text, "fact": fact_id, "kind": "fact"})
    if family.get("gap"):
        sentences.append({"text": family["gap"] + ".", "fact": None, "kind": "gap"})
    assert passages and sentences
    return sentences


def _candidates(
    sentences: list[dict[str, Any]], facts: dict[str, dict[str, Any]], where: dict[str, int],
    passages: list[dict[str, Any]], split: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Return every adversarial edit possible for one faithful reply (of its split)."""
    parity = 0 if split == "train" else 1
    edits: list[dict[str, Any]] = []
    for index, sentence in enumerate(sentences):
        fact_id = sentence["fact"]
        if fact_id is None:
            continue
        fact = facts[fact_id]
        wrongs = list(fact.get("wrong", []))
        extra = fact.get("wrong_extra", []) if split == "train" else []
        rounds = [1] * len(wrongs) + list(fact.get("wrong_round", []))
        for position, wrong in enumerate(wrongs + extra):
            if position < len(wrongs) and position % 2 != parity:
                continue
            if isinstance(wrong, list):
                kind, text, quote = wrong[0], wrong[1], fact["quote"]
            else:
                kind, text, quote = wrong["type"], wrong["text"], wrong["quote"]
            edits.append({
                "type": kind, "replace": index, "key": f"{fact_id}/{position}",
                "text": _anchor(text, where[fact_id], quote), "round": rounds[position],
            })  # fmt: skip
        others = [p["number"] for p in passages if fact["quote"] not in p["text"]]
        if others and sentence["kind"] == "fact":
            text = sentence["text"].replace(f'[{where[fact_id]}: "', f'[{others[0]}: "')
            edits.append({"type": "wrong_marker", "replace": index, "key": f"{fact_id}/marker",
                          "text": text, "round": 1})  # fmt: skip
    first = next(s for s in sentences if s["fact"] is not None)
    for position, (kind, text) in enumerate(INVENTED):
        if position % 2 != parity:
            continue
        quote = facts[first["fact"]]["quote"]
        edits.append({"type": kind, "insert": 1, "key": f"invented/{position}", "round": 1,
                      "text": _anchor(text, where[first["fact"]], quote)})  # fmt: skip
    return edits


def _apply(sentences: list[dict[str, Any]], edit: dict[str, Any]) -> tuple[list[str], int]:
    texts = [s["text"] for s in sentences]
    if "replace" in edit:
        texts[edit["replace"]] = edit["text"]
        return texts, edit["replace"]
    at = min(edit["insert"], len(texts))
    texts.insert(at, edit["text"])
    return texts, at


def build(captured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the benchmark records for the captured requests."""
    facts = {f["id"]: f for f in _load("facts.yaml")}
    for round_, name in enumerate(EXTRA_FILES, start=1):
        extra = _load(name)
        unknown = sorted(set(extra) - set(facts))
        assert not unknown, f"{name}: no such fact in facts.yaml: {unknown}"
        for fact_id, fact in facts.items():
            more = extra.get(fact_id, {})
            fact["faithful"] = fact["faithful"] + more.get("faithful", fact["faithful"][:2])
            wrongs = more.get("wrong", [])
            fact["wrong_extra"] = fact.get("wrong_extra", []) + wrongs
            fact["wrong_round"] = fact.get("wrong_round", []) + [round_] * len(wrongs)
    families = {f["family"]: f for f in _load("questions.yaml")}
    type_counts: dict[str, Counter[str]] = {"train": Counter(), "test": Counter()}
    key_counts: Counter[str] = Counter()
    # Adversarial replies beyond the first two (train only) are chosen with their own counts,
    # from every edit, so that adding them leaves the first two (and the test split) as built.
    more_types: Counter[str] = Counter()
    more_keys: Counter[str] = Counter()
    records: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    train_index: Counter[str] = Counter()
    for request in captured:
        passages = request["passages"]
        if not passages:
            continue
        family = families[request["family"]]
        split = family["split"]
        where = _locate(facts, passages)
        if not where:
            continue
        train_index[split] += 1
        # Train requests cycle through the base wording and each extra file's.
        extra = train_index[split] % (len(EXTRA_FILES) + 1) if split == "train" else 0
        sentences = _faithful(family, facts, where, request["audience"], passages, extra)
        edits = _candidates(sentences, facts, where, passages, split)
        adversarial: list[dict[str, Any]] = []
        for turn in range(ADVERSARIAL_PER_REQUEST[split]):
            first = turn < BASE_ADVERSARIAL
            counts, keys = (type_counts[split], key_counts) if first else (more_types, more_keys)
            left = [
                e for e in edits
                if e["type"] not in {a["type"] for a in adversarial}
                and not (first and e["round"] > 1)
                and e["key"] not in {a["source"] for a in adversarial}
            ]  # fmt: skip
            if not left:
                break
            edit = min(left, key=lambda e: (counts[e["type"]], keys[e["key"]], e["key"]))
            counts[edit["type"]] += 1
            keys[edit["key"]] += 1
            wrong_texts, wrong_index = _apply(sentences, edit)
            adversarial.append({"type": edit["type"], "sentences": wrong_texts,
                                "wrong": wrong_index, "source": edit["key"]})  # fmt: skip
        qnum = family["questions"].index(request["question"])
        rid = f"{family['family']}-{qnum + 1}-{request['audience']}"
        seen[rid] += 1
        records.append({
            "id": rid,
            "family": family["family"],
            "split": split,
            "question": request["question"],
            "audience": request["audience"],
            "history": family.get("history", []),
            "status": request["status"],
            "passages": passages,
            "faithful": {"sentences": [s["text"] for s in sentences],
                         "facts": [s["fact"] for s in sentences]},
            "adversarial": adversarial,
        })  # fmt: skip
    assert max(seen.values()) == 1, "duplicate request ids"
    return records


def main(argv: list[str] | None = None) -> int:
    """Write bench.jsonl from a capture file; print the counts per split and type."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captured", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "bench.jsonl")
    args = parser.parse_args(argv)
    records = build(json.loads(args.captured.read_text(encoding="utf-8")))
    with args.out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    for split in ("train", "test"):
        chosen = [r for r in records if r["split"] == split]
        types = Counter(a["type"] for r in chosen for a in r["adversarial"])
        sys.stdout.write(f"{split}: {len(chosen)} requests, {dict(sorted(types.items()))}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
