"""The curated triage dataset: size, coverage, families, strict loading, generated files in sync."""

from __future__ import annotations

import filecmp
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from assistant.errors import RulesError
from assistant.rulefile import read_rules_file
from assistant.triage.dataset import (
    CATEGORIES,
    LANGUAGES,
    build_items,
    data_dir,
    dataset_hash,
    load_categories,
    load_families,
    perturb,
    write_jsonl,
)
from assistant.triage.dataset import _FamilyFile as FamilyFile
from evals.models import load_cases

ITEMS = build_items()


def test_at_least_1500_red_flags_and_1500_lookalikes() -> None:
    counts = Counter(item.label != "none" for item in ITEMS)
    assert counts[True] >= 1500 and counts[False] >= 1500


def test_every_category_in_every_language_with_25_families() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    families: dict[str, set[str]] = defaultdict(set)
    for item in ITEMS:
        seen[item.label].add(item.language)
        families[item.label].add(item.family)
    for category in CATEGORIES:
        assert seen[category] == set(LANGUAGES), category
        assert len(families[category]) >= 25, category
    assert len(families["none"]) >= 150
    assert seen["none"] == set(LANGUAGES)


def test_registers_and_variants_are_varied() -> None:
    registers = Counter(item.style for item in ITEMS)
    for register in ("plain", "slang", "typo", "british", "american", "indirect",
                     "second_person", "clinician", "rambling"):  # fmt: skip
        assert registers[register] >= 10, register


def test_a_family_holds_its_translations_and_variants() -> None:
    by_family = defaultdict(list)
    for item in ITEMS:
        by_family[item.family].append(item)
    for family, members in by_family.items():
        assert {m.language for m in members} == set(LANGUAGES), family
        assert len({m.label for m in members}) == 1, family


def test_long_messages_bury_the_text_in_the_middle() -> None:
    long = [item for item in ITEMS if item.variant == "rambling"]
    assert len(long) >= 300
    written = {(i.family, i.language): i.text for i in ITEMS if i.variant == "written"}
    for item in long[:200]:
        core = written[(item.family, item.language)].strip().rstrip(".!?")
        core = core[0].upper() + core[1:]
        position = item.text.find(core)
        assert position > 0 or len(item.text) > 2 * len(core), item.id


def test_no_text_is_copied_from_the_eval_cases() -> None:
    questions = {" ".join(case.question.lower().split()) for case in load_cases(None)}
    texts = {" ".join(item.text.lower().split()) for item in ITEMS}
    assert not questions & texts


def test_item_ids_are_unique_and_build_is_deterministic() -> None:
    assert len({item.id for item in ITEMS}) == len(ITEMS)
    assert [item.text for item in build_items()] == [item.text for item in ITEMS]


def test_generated_jsonl_is_in_sync_with_the_yaml(tmp_path: Path) -> None:
    write_jsonl(ITEMS, tmp_path)
    shipped = data_dir() / "generated"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(p.name for p in shipped.iterdir())
    for name in names:
        assert filecmp.cmp(tmp_path / name, shipped / name, shallow=False), (
            f"{name} is stale: rebuild with assistant.triage.dataset.write_jsonl"
        )


def test_every_category_has_a_clinical_reason_and_help() -> None:
    categories = load_categories()
    assert [c.id for c in categories] == list(CATEGORIES)
    assert all(len(c.reason) > 80 and c.help for c in categories)


def test_typo_variant_differs_but_stays_readable() -> None:
    text = "I can't feel the toilet paper when I wipe since yesterday"
    typo = perturb(text, "en", "seed")
    assert typo != text and typo == perturb(text, "en", "seed")
    assert len(set(typo.lower().split()) & set(text.lower().split())) >= 5


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(data_dir(), root, ignore=shutil.ignore_patterns("generated", "scope"))
    return root


def test_an_unknown_key_or_a_repeated_family_is_one_named_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "redflags" / "fracture.yaml"
    path.write_text(path.read_text().replace("    what:", "    colour: red\n    what:", 1))
    with pytest.raises(RulesError, match="fracture.yaml.*Extra inputs"):
        load_families(root)
    root = _copy(tmp_path / "b")
    path = root / "lookalikes" / "negated.yaml"
    text = path.read_text()
    path.write_text(text.replace("id: ng-no-fever-swelling", "id: ng-no-numb-no-bladder", 1))
    with pytest.raises(RulesError, match="used twice"):
        load_families(root)


def test_the_hash_changes_with_the_data(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = dataset_hash(root)
    path = root / "fillers.yaml"
    path.write_text(path.read_text() + "\n# reviewed again\n")
    assert dataset_hash(root) != before



def test_the_hash_covers_exactly_what_the_classifier_trains_from(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.copytree(data_dir() / "scope", root / "scope")
    before = dataset_hash(root)
    for name in ("scope-advice", "categories.yaml"):
        path = root / name
        target = next(iter(sorted(path.glob("*.yaml")))) if path.is_dir() else path
        target.write_text(target.read_text() + "\n# not read by the classifier\n")
    assert dataset_hash(root) == before
    for path in (root / "negation_cues.yaml", next(iter(sorted((root / "scope").glob("*.yaml"))))):
        path.write_text(path.read_text() + "\n# read by the classifier\n")
        assert dataset_hash(root) != before
        before = dataset_hash(root)

def test_everyday_messages_are_the_scope_texts_in_blocks_that_never_mix_labels() -> None:
    from assistant.triage.dataset import EVERYDAY_BLOCK, everyday_messages
    from assistant.triage.scope_model import load_scope_data

    pairs = everyday_messages()
    scope = load_scope_data()
    assert [text for _, text in pairs] == list(scope.texts)
    sizes = Counter(family for family, _ in pairs)
    assert max(sizes.values()) == EVERYDAY_BLOCK
    for family, text in pairs:
        label = scope.labels[scope.texts.index(text)]
        assert family.startswith("everyday-other-" if label else "everyday-pht-")
    # Never the name of a triage family: grouped CV keeps them apart.
    assert not set(sizes) & {item.family for item in build_items()}



def test_the_candidate_files_still_load_as_families_and_are_not_trained_on(
    tmp_path: Path,
) -> None:
    """data/candidates/ holds measured-but-not-shipped data (its README says why): it must keep
    loading strictly beside the shipped families, and must stay out of the classifier's key."""
    root = _copy(tmp_path)
    shutil.copytree(data_dir() / "scope", root / "scope")
    candidates = root / "candidates"
    moved = shutil.move(candidates, tmp_path / "candidates")
    without = dataset_hash(root)
    shutil.move(moved, candidates)
    assert dataset_hash(root) == without

    session7 = candidates / "session7"
    shutil.copy(session7 / "crisis_3.yaml", root / "redflags")
    for name in ("figurative_3.yaml", "benign_context_3.yaml"):
        shutil.copy(session7 / name, root / "lookalikes")
    session10 = candidates / "session10"
    for name in ("ordinary_pht_3.yaml", "ordinary_pht_4.yaml", "benign_context_4.yaml"):
        shutil.copy(session10 / name, root / "lookalikes")
    shipped = {f.family.id for f in load_families(data_dir())}
    added = {f.family.id for f in load_families(root)} - shipped
    assert len(added) >= 50 + 130
    # The everyday files use the family format with neither a label nor a kind.
    everyday = [
        family.id
        for name in ("everyday_pht_feelings.yaml", "everyday_life_feelings.yaml")
        for family in read_rules_file(session7 / name, FamilyFile, "families").families
    ]
    assert len(everyday) == len(set(everyday)) >= 50 and not set(everyday) & shipped
