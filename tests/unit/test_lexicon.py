"""The one lexicon: every word list in language/lexicon/*.yaml, read strictly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import RulesError
from assistant.language.lexicon import LEXICON_DIR, lexicon, load_lexicon
from assistant.language.negation import negated_stems, red_flag_negated
from assistant.language.turns import is_follow_up
from assistant.language.typos import NearestWord


def test_the_packaged_lexicon_loads_with_every_list() -> None:
    lex = lexicon()
    assert "no" in lex.negation_cues  # YAML reads a bare `no` as false: the file quotes it
    assert lex.synonyms["shock wave therapy"] == "eswt"
    assert lex.query_expansions["operation"].startswith("surgery")
    assert {"the", "and"} <= lex.stopwords
    assert lex.table_labels[0] == "Option"


@pytest.fixture()
def lexicon_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lexicon"
    shutil.copytree(LEXICON_DIR, target)
    return target


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        ("words.yaml", "version: 1", "version: 1\ncolour: red", "colour"),
        ("negation.yaml", "claim_window: 4", "claim_window: 40", "claim_window"),
        ("query_expansions.yaml", "version: 1", "version: 1\nversion: 1", "duplicate key"),
        ("follow_up.yaml", "cues:", "cues: [\n", "not valid YAML"),
    ],
)
def test_a_bad_lexicon_file_is_one_named_error(
    lexicon_copy: Path, name: str, old: str, new: str, expected: str
) -> None:
    path = lexicon_copy / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_lexicon(lexicon_copy)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_red_flag_negation_is_plain_negation_only() -> None:
    text = "no numbness, but i can't control my bladder"
    assert red_flag_negated(text, text.index("numbness"))
    assert not red_flag_negated(text, text.index("control"))
    assert not red_flag_negated("i avoid sitting: numbness", 20)


def test_claim_negation_counts_hedges_and_stops_at_a_clause_break() -> None:
    negated, positive = negated_stems("Avoid stretching the tendon, and keep loading it.")
    assert "stretch" in negated and "load" in positive


def test_one_follow_up_detector() -> None:
    assert is_follow_up("What about injections?")
    assert is_follow_up("And surgery?")
    assert is_follow_up("is that safe")
    assert not is_follow_up("Does shockwave therapy help proximal hamstring tendinopathy?")


def test_one_typo_mechanism() -> None:
    nearest = NearestWord({"tendinopathy", "hamstring"}, cutoff=0.84)
    assert nearest("tendonopathy") == "tendinopathy"
    assert nearest("hamstring") == "hamstring"
    assert nearest("need") is None  # short words are left alone
