"""The whole paraphrase benchmark through the LLM composer (real embedding similarity).

The same replay as `pht-eval --llm-bench`, but the model's replies come from an in-process fake
instead of HTTP (the unit test replays a few records over HTTP). The bounds sit just under the
figures measured when the verifier was written (README, LLM mode), so a change that loses
faithful sentences or lets more errors through fails here; the test split is reported, never
tuned on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.compose.llm import LLMComposer, Messages
from assistant.compose.verify import EmbeddingSimilarity
from assistant.settings import Settings
from evals.llm_bench.data import load_bench
from evals.llm_bench.replay import format_scores, replay

pytestmark = pytest.mark.integration

EXACT_TYPES = (
    "changed_number", "range_endpoint", "negation_dropped", "invented_treatment",
    "invented_dose", "wrong_marker", "overgeneralisation", "negation_added",
    "flipped_recommendation", "antonym_swap",
)  # fmt: skip
"""Types no reply of either split lets through (measured: 0 of each)."""


class _Replies:
    """A chat client that sends whatever reply the replay set last."""

    def __init__(self) -> None:
        self.reply = ""

    def set(self, text: str) -> None:
        self.reply = text

    def complete(self, messages: Messages) -> str:
        return self.reply

    def stream(self, messages: Messages) -> Iterator[str]:
        yield self.reply


def test_benchmark_figures_hold() -> None:
    from assistant.index.embeddings import load_embeddings

    embeddings = load_embeddings(Settings())  # the packaged model; no index needed
    client = _Replies()
    composer = LLMComposer(client, similarity=EmbeddingSimilarity(embeddings.embed_documents))
    scores = replay(load_bench(), composer, client.set)
    print("\n" + format_scores(scores))
    train, test = scores["train"], scores["test"]
    assert train.kept_as_llm / train.requests >= 0.98  # 156/156 measured
    assert train.faithful_kept / train.faithful_sentences >= 0.99  # 421/422
    assert test.kept_as_llm / test.requests >= 0.97  # 142/142
    assert test.faithful_kept / test.faithful_sentences >= 0.93  # 345/366 = 94.3%
    for kind in EXACT_TYPES:
        assert train.reached[kind] == test.reached[kind] == 0, kind
    assert test.reached["word_preserving"] <= 1  # of 27 (0 measured)
    assert train.reached["word_preserving"] <= 2  # of 116 (2 measured: 1.7%)
    assert sum(train.reached.values()) <= 2  # of 920
    assert sum(test.reached.values()) <= 1  # of 284 (0 measured)
