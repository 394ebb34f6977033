"""The triage eval gate: grouped-CV figures of the new red-flag gate meet the thresholds file.

Runs `pht-eval --triage` in-process with the packaged embedding model. The dataset's vectors are
cached in the repository's .pht/triage-shared (gitignored), so only the first run embeds them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.index.embeddings import load_embeddings
from assistant.settings import Settings
from assistant.triage.dataset import CATEGORIES, LANGUAGES
from evals.triage_eval import check_triage, format_report, run_triage_eval

# Five fits of the classifier: about five minutes on a quiet 2-core machine, far more when shared.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

_CACHE = Path(__file__).resolve().parents[2] / ".pht" / "triage-shared"


@pytest.fixture(scope="module")
def report() -> dict:
    embeddings = load_embeddings(Settings())

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(embeddings.embed_documents(list(texts)))

    return run_triage_eval(embed, _CACHE)


def test_triage_figures_meet_the_thresholds(report: dict, tmp_path: Path) -> None:
    print(format_report(report))
    (tmp_path / "triage.json").write_text(json.dumps(report))
    assert check_triage(report) == []


def test_report_covers_every_category_language_and_the_old_gate(report: dict) -> None:
    systems = report["systems"]
    assert set(systems) == {
        "new_gate", "classifier_alone", "rules_and_lexicons_alone", "old_regex_gate",
    }  # fmt: skip
    for system in systems.values():
        assert set(system["per_category"]) == set(CATEGORIES)
        assert set(system["per_language"]) == set(LANGUAGES)
    assert report["red_flags"] >= 1500 and report["lookalikes"] >= 1500
    # The new gate must beat the frozen old one on sensitivity: that is the point of it.
    new, old = systems["new_gate"], systems["old_regex_gate"]
    assert new["sensitivity"]["rate"] > old["sensitivity"]["rate"] + 0.2
