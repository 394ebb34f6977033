"""Typo correction at corpus scale: SymSpell (the product's) against difflib (what it replaced).

`python -m bench.typo_speed [--sizes 1000,10000,100000] [--json]` builds the vocabulary of a
synthetic corpus of each size (the same generator as `pht-bench --scale`), misspells words of the
shipped corpus the way people do (a letter dropped, doubled, swapped or replaced), and times a
cold lookup of each: build time, then p50 / p95 per word. difflib is timed on a sample only, since
at 100k chunks one word takes it about as long as a whole query should.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.language.typos import NearestWord
from bench.stats import summarize
from bench.synthetic import synthetic_texts, word_pool

__all__ = ["misspell", "measure", "main"]

_CUTOFF = 0.84
_ROOT = Path(__file__).resolve().parents[1]


def misspell(word: str, rng: random.Random) -> str:
    """Return `word` with one typing slip: a letter dropped, doubled, swapped or replaced."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeioustnr") + word[i + 1 :]


def _timed(fn: object, words: Sequence[str]) -> list[float]:
    out: list[float] = []
    for word in words:
        started = time.perf_counter()
        fn(word)  # type: ignore[operator]
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(size: int, typos: int = 200, difflib_sample: int = 20, seed: int = 7) -> dict:
    """Return build seconds and per-word lookup times of both correctors at one corpus size."""
    corpus = [p.read_text(encoding="utf-8") for p in sorted((_ROOT / "corpus").glob("*.txt"))]
    pool = word_pool(corpus)
    lengths = [len(text.split()) for text in corpus for text in text.split("\n\n") if text]
    texts = synthetic_texts(pool, size, [n for n in lengths if n > 5] or [40], seed=seed)
    vocabulary = {w.lower() for text in texts for w in re.findall(r"[A-Za-z]+", text)}
    rng = random.Random(seed)
    real = sorted({w for w in pool if len(w) >= 7 and w.isalpha()})
    pairs = [(w, misspell(w, rng)) for w in (rng.choice(real) for _ in range(typos * 2))]
    pairs = [(w, t) for w, t in pairs if t not in vocabulary][:typos]
    typed = [t for _, t in pairs]
    started = time.perf_counter()
    nearest = NearestWord(vocabulary, _CUTOFF)
    build_s = time.perf_counter() - started
    fixed = sum(1 for meant, word in pairs if nearest(word) == meant)
    nearest.cache_clear()
    symspell_ms = _timed(nearest, typed)
    ordered = sorted(vocabulary)
    sample = typed[:difflib_sample]
    difflib_ms = _timed(
        lambda w: difflib.get_close_matches(w, ordered, n=1, cutoff=_CUTOFF), sample
    )
    agree = sum(
        1 for meant, w in pairs[:difflib_sample]
        if (difflib.get_close_matches(w, ordered, n=1, cutoff=_CUTOFF) or [None])[0] == meant
    )  # fmt: skip
    return {
        "chunks": size,
        "vocabulary": len(vocabulary),
        "typos": len(typed),
        "corrected": fixed,
        "symspell_build_s": round(build_s, 2),
        "symspell_ms": summarize(symspell_ms, 3),
        "difflib_ms": summarize(difflib_ms),
        "difflib_sample": len(sample),
        "difflib_recovered": agree,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the measurements (a table, or one JSON object per size)."""
    parser = argparse.ArgumentParser(prog="python -m bench.typo_speed")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        result = measure(size)
        if args.json:
            print(json.dumps(result), flush=True)
            continue
        s, d = result["symspell_ms"], result["difflib_ms"]
        print(
            f"{size:>7,} chunks, {result['vocabulary']:>6,} words: SymSpell build "
            f"{result['symspell_build_s']:.2f} s, lookup p50 {s['p50']:.3f} / p95 {s['p95']:.3f} ms"
            f" ({result['corrected']}/{result['typos']} typed words recovered); difflib p50 "
            f"{d['p50']:.1f} / p95 {d['p95']:.1f} ms ({result['difflib_recovered']}/"
            f"{result['difflib_sample']} recovered)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
