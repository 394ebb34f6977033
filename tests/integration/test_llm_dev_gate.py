"""LLM mode against extractive on the dev cases with reviewed replies (evals/llm_dev).

The same replay as `pht-eval --llm-dev`: the real assistant answers each covered dev case twice
from its stored passages, extractive and in LLM mode (a scripted loopback server sends the
reviewed reply), and both answers are scored with the dev set's matcher. Issue 14's criterion
is that on the test split LLM mode's status accuracy and statement recall are at least
extractive's. Status is (it is decided before composing); recall is not yet: measured 0.838
against 0.840 on 244 cases (session 8; replies that trim or reword part of a passage's
statement). Until it is, this gate holds the measured gap (RECALL_GAP), so a change that widens
it fails.
A retrieval or composer change that sends the model other passages makes replies stale; more
than a tenth stale means the replies must be re-captured and re-written, and fails here.
"""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from evals.llm_dev.replay import comparison_figures, format_comparison
from evals.llm_dev.run import run_comparison

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

RECALL_GAP = 0.01
"""How far LLM mode's test statement recall may trail extractive's (measured: 0.002, half a
statement of the 188 cases with statements; 0.006 before session 8's matcher fixes)."""


def test_llm_mode_scores_about_as_well_as_extractive(indexed_settings: Settings) -> None:
    comparisons = run_comparison(indexed_settings, splits=("test",))
    test = comparisons["test"]
    print("\n" + format_comparison(test))
    scored = len(test.llm)
    assert scored >= 60, "too few covered test cases were replayed"
    assert len(test.stale) <= 0.1 * (scored + len(test.stale)), sorted(test.stale)
    found = comparison_figures(test)
    llm, extractive = found["llm"], found["extractive"]
    assert llm["status_accuracy"] is not None and extractive["status_accuracy"] is not None
    assert llm["status_accuracy"] >= extractive["status_accuracy"]
    assert llm["statement_recall"] is not None and extractive["statement_recall"] is not None
    assert llm["statement_recall"] >= extractive["statement_recall"] - RECALL_GAP
