"""Verification of a model's answer against the numbered passages it was given, by meaning.

The model anchors every sentence to the words it rests on: `claim [1: "exact passage words"].`
Each sentence is kept only when
1. every anchor names a passage it was given and its quote is verbatim in that passage
   (`assistant.compose.anchors`; a plain `[1]` marker is read as an anchor to the passage
   sentence that shares most of the claim's words);
2. the claim says what the quoted sentence says (`assistant.compose.meaning`: numbers and their
   bounds, polarity and negation scope, reviewed antonyms, absolutes, roles, recommendations,
   named treatments);
3. it is about its quote: it shares words with it, or, when it shares few, an embedding
   similarity says so (support only: it never outweighs a conflict in 2).
"The passages do not say X" sentences stand without an anchor when they make no second claim
and name no number the user did not ask about. `Verification.usable` says whether enough of
the reply survived.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from assistant.compose.anchors import Anchor, locate, parse_sentence, split_reply, window_of
from assistant.compose.extractive import citation_for
from assistant.compose.meaning import compare, is_gap_sentence, shared_share
from assistant.compose.reading import read
from assistant.language.sentences import sentence_spans
from assistant.types import Citation, Hit

__all__ = [
    "MIN_KEPT_SHARE",
    "MIN_KEPT_SENTENCES",
    "MIN_QUOTE_WORDS",
    "MIN_SHARED_SHARE",
    "MIN_SIMILARITY",
    "Passage",
    "Verdict",
    "Verification",
    "Renumbering",
    "Similarity",
    "EmbeddingSimilarity",
    "check_sentence",
    "verify",
]

MIN_KEPT_SHARE = 0.5
"""A reply is used only when at least this share of its checkable sentences survives: when most
of what the model wrote is unsupported, it did not follow the passages, and the survivors may
have lost the sentences that qualified them."""
MIN_KEPT_SENTENCES = 1
"""... and at least this many sentences survive."""
MIN_QUOTE_WORDS = 2
"""A quote shorter than this ("pain") anchors nothing."""
MIN_SHARED_SHARE = 0.3
"""Share of a claim's content words its quoted sentence must have, unless the similarity
below says the claim is about it anyway (a paraphrase in other words)."""
MIN_SIMILARITY = 0.5
"""Embedding cosine between claim and quoted sentence that lets a low word share pass."""
MIN_IMPLICIT_SHARE = 0.5
"""Without a quote (a plain [n]), the best passage sentence must share this much of the claim."""
_FILLER_WORDS = 3
"""An unanchored sentence with fewer content words than this is filler, not a claim."""

Similarity = Callable[[str, str], float]
"""(claim, quoted sentence) -> embedding cosine."""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as the model sees it: the number it is given and its text."""

    number: int
    hit: Hit

    @property
    def text(self) -> str:
        """Return the passage text, verbatim from the corpus."""
        return self.hit.chunk.text

    @property
    def table_row(self) -> bool:
        """Return True for a table row (one sentence, whatever its full stops)."""
        return self.hit.chunk.kind == "table_row"


@dataclass(frozen=True)
class Verdict:
    """One sentence of the reply: kept or removed, and why."""

    sentence: str
    """As the model wrote it."""
    claim: str
    """The sentence without its anchors."""
    markers: tuple[int, ...]
    kept: bool
    reason: str
    evidence: tuple[tuple[int, str], ...] = ()
    """(passage number, passage sentence) pairs that hold the quotes (for highlights)."""
    counted: bool = True
    """False for filler ("Sure.") and for "the passages do not say" sentences: they neither
    help nor hurt the share of kept sentences."""
    quotes: tuple[tuple[int, str], ...] = ()
    """(passage number, quote) as the model anchored the sentence (verified verbatim)."""
    kind: str = "claim"
    """claim | gap (says what the passages do not cover) | filler."""


@dataclass
class Verification:
    """The verdict on every sentence of a reply and whether the reply can be used."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def kept(self) -> list[Verdict]:
        """Return the sentences that passed, in reply order."""
        return [v for v in self.verdicts if v.kept]

    @property
    def removed(self) -> list[Verdict]:
        """Return the checkable sentences that failed, in reply order."""
        return [v for v in self.verdicts if v.counted and not v.kept]

    @property
    def usable(self) -> bool:
        """Return True when enough of the reply survived (MIN_KEPT_SENTENCES, MIN_KEPT_SHARE)."""
        counted = [v for v in self.verdicts if v.counted]
        kept = [v for v in counted if v.kept]
        return (
            len(kept) >= MIN_KEPT_SENTENCES
            and bool(counted)
            and len(kept) / len(counted) >= MIN_KEPT_SHARE
        )

    def summary(self) -> str:
        """Return a one-line account: how many sentences were kept and why others were not."""
        counted = [v for v in self.verdicts if v.counted]
        parts = [f"{sum(v.kept for v in counted)}/{len(counted)} sentences kept"]
        parts += [f"removed {v.claim[:60]!r}: {v.reason}" for v in self.removed]
        return "; ".join(parts)


class EmbeddingSimilarity:
    """Cosine similarity of two texts under an embedding function, with a per-text cache."""

    def __init__(self, embed_texts: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed_texts = embed_texts
        self._cache: dict[str, list[float]] = {}

    def __call__(self, a: str, b: str) -> float:
        missing = [t for t in dict.fromkeys((a, b)) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self._embed_texts(missing), strict=True):
                self._cache[text] = vector
        va, vb = self._cache[a], self._cache[b]
        dot = sum(x * y for x, y in zip(va, vb, strict=True))
        norm = math.sqrt(sum(x * x for x in va)) * math.sqrt(sum(y * y for y in vb))
        return dot / norm if norm else 0.0


def _implicit_window(claim: str, passage: Passage) -> str | None:
    """Return the passage sentence that shares most of an unquoted claim's words, if enough."""
    text = passage.text
    spans = [(0, len(text))] if passage.table_row else (sentence_spans(text) or [(0, len(text))])
    best, best_share = None, 0.0
    for start, end in spans:
        _, share = shared_share(claim, text[start:end])
        if share > best_share:
            best, best_share = text[start:end], share
    return best if best_share >= MIN_IMPLICIT_SHARE else None


def _window(claim: str, anchor: Anchor, passage: Passage) -> tuple[str | None, str]:
    """Return (the passage sentence the anchor points to, or None, and why not)."""
    if not anchor.quote:
        window = _implicit_window(claim, passage)
        return window, f"no quote, and no sentence of [{anchor.number}] has its words"
    if len(anchor.quote.split()) < MIN_QUOTE_WORDS:
        return None, f"the quote {anchor.quote!r} is too short to rest on"
    span = locate(anchor.quote, passage.text)
    if span is None:
        return None, f"the quote is not in passage [{anchor.number}]"
    return window_of(passage.text, span, passage.table_row), ""


def check_sentence(
    sentence: str, passages: Mapping[int, Passage], similarity: Similarity | None = None,
    asked: str = "",
) -> Verdict:  # fmt: skip
    """Return whether one reply sentence says what the passage words it quotes say (`asked`:
    the user's words, whose numbers a "the passages do not say" sentence may repeat)."""
    parsed = parse_sentence(sentence)
    claim, markers = parsed.claim, parsed.markers
    words = read(claim).content
    if not words:
        return Verdict(sentence, claim, markers, False, "no content words", counted=False,
                       kind="filler")  # fmt: skip
    if not parsed.anchors:
        if is_gap_sentence(claim, asked):
            return Verdict(sentence, claim, markers, True, "says what the passages do not cover",
                           counted=False, kind="gap")  # fmt: skip
        filler = len(words) < _FILLER_WORDS
        return Verdict(sentence, claim, markers, False, "no anchor", counted=not filler,
                       kind="filler" if filler else "claim")  # fmt: skip
    windows: list[tuple[int, str]] = []
    for anchor in parsed.anchors:
        passage = passages.get(anchor.number)
        if passage is None:
            return Verdict(sentence, claim, markers, False,
                           f"[{anchor.number}] points to no passage given")  # fmt: skip
        window, why = _window(claim, anchor, passage)
        if window is None:
            return Verdict(sentence, claim, markers, False, why)
        if (anchor.number, window) not in windows:
            windows.append((anchor.number, window))
    evidence = " ".join(w for _, w in windows)
    cited = " ".join(passages[m].text for m in markers)
    conflict = compare(claim, evidence, cited)
    if conflict:
        return Verdict(sentence, claim, markers, False, f"{conflict.kind}: {conflict.detail}")
    shared, share = shared_share(claim, evidence)
    if shared == 0:
        return Verdict(sentence, claim, markers, False, "it shares no word with its quote")
    reason = f"{share:.0%} of its words in the quoted sentence"
    if share < MIN_SHARED_SHARE:
        cosine = similarity(claim, evidence) if similarity is not None else 0.0
        if cosine < MIN_SIMILARITY:
            return Verdict(sentence, claim, markers, False,
                           f"{reason}, similarity {cosine:.2f}: not about its quote")  # fmt: skip
        reason += f", similarity {cosine:.2f}"
    quotes = tuple((a.number, a.quote) for a in parsed.anchors if a.quote)
    return Verdict(sentence, claim, markers, True, reason, tuple(windows), quotes=quotes)


def verify(
    reply: str, passages: Sequence[Passage], similarity: Similarity | None = None,
    asked: str = "",
) -> Verification:  # fmt: skip
    """Return the verdict on every sentence of a model's reply against the passages given
    (`asked`: the question and the user's earlier turns)."""
    by_number = {p.number: p for p in passages}
    return Verification(
        [check_sentence(s, by_number, similarity, asked) for s in split_reply(reply)]
    )


class Renumbering:
    """Renumbers kept sentences' markers 1, 2, ... by first citation, and builds the citations.

    Incremental, so streamed sentences get the same numbers as the final answer. The quotes
    stay out of the answer text; each citation lists the sentences anchored to it and their
    quotes (`Citation.quotes`).
    """

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages = {p.number: p for p in passages}
        self._new: dict[int, int] = {}
        self._highlights: dict[int, list[str]] = {}
        self._quotes: dict[int, list[dict[str, str]]] = {}

    def render(self, verdict: Verdict) -> str:
        """Return a kept sentence with its markers renumbered, e.g. "Sitting hurts. [1]"."""
        for number in verdict.markers:
            self._new.setdefault(number, len(self._new) + 1)
        for number, part in verdict.evidence:
            spans = self._highlights.setdefault(number, [])
            if part not in spans:
                spans.append(part)
        claim = verdict.claim.strip()
        if not claim.endswith((".", "!", "?")):
            claim += "."
        if not verdict.markers:
            return claim
        markers = ", ".join(str(self._new[n]) for n in verdict.markers)
        text = f"{claim} [{markers}]"
        for number, quote in verdict.quotes:
            self._quotes.setdefault(number, []).append({"sentence": text, "quote": quote})
        return text

    def citations(self) -> list[Citation]:
        """Return a Citation for every passage cited so far, in new-marker order."""
        ordered = sorted(self._new.items(), key=lambda item: item[1])
        return [
            replace(
                citation_for(new, self._passages[old].hit, self._highlights.get(old, [])),
                quotes=list(self._quotes.get(old, [])),
            )
            for old, new in ordered
        ]
