"""The curated triage dataset: strict loading of the reviewed YAML and deterministic variants.

Hand-written families live in assistant/triage/data/{redflags,lookalikes}/*.yaml; one family is
one presentation (its English phrasings by register and its translations). `build_items` adds
deterministic variants that stay in their family: a typo version of every text and, for English
and one other language per family, a long rambling message with the text buried in the middle.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.errors import RulesError
from assistant.rulefile import read_rules_file

__all__ = [
    "LANGUAGES",
    "CATEGORIES",
    "Item",
    "Category",
    "load_categories",
    "load_families",
    "build_items",
    "dataset_hash",
    "TRAINED_FROM",
    "data_dir",
    "perturb",
    "neutral_sentences",
    "write_jsonl",
]

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "it", "pt")
CATEGORIES: tuple[str, ...] = (
    "cauda-equina",
    "tendon-avulsion",
    "infection",
    "progressive-neuro-loss",
    "serious-disease",
    "blood-clot",
    "fracture",
    "crisis-self-harm",
    "chest-breathless",
)
Register = Literal[
    "plain", "slang", "typo", "british", "american", "indirect", "second_person", "clinician",
    "rambling",
]
Label = Literal[
    "none", "cauda-equina", "tendon-avulsion", "infection", "progressive-neuro-loss",
    "serious-disease", "blood-clot", "fracture", "crisis-self-harm", "chest-breathless",
]
Kind = Literal[
    "redflag", "figurative", "hypothetical", "past_resolved", "negated", "ordinary_pht",
    "benign_context", "knowledge_other",
]
_Text = str | dict[Register, str]


class _Strict(BaseModel):
    """Frozen, and unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class _Family(_Strict):
    id: str = Field(pattern=r"^[a-z]{2,3}-[a-z0-9-]+$")
    what: str = Field(min_length=5)
    resembles: Label | None = None
    en: dict[Register, str] = Field(min_length=1)
    es: _Text
    fr: _Text
    de: _Text
    it: _Text
    pt: _Text

    @field_validator("en", "es", "fr", "de", "it", "pt")
    @classmethod
    def _non_empty(cls, value: _Text) -> _Text:
        texts = value.values() if isinstance(value, dict) else [value]
        if any(len(text.strip()) < 8 for text in texts):
            raise ValueError("every text needs at least 8 characters")
        return value


class _FamilyFile(_Strict):
    label: Label | None = None
    kind: Kind | None = None
    source: str = Field(min_length=10)
    families: list[_Family] = Field(min_length=5)


class Category(_Strict):
    """One red-flag category: why it is urgent and what help it needs (categories.yaml)."""

    id: Label
    name: str
    urgency: Literal["emergency", "same_day", "prompt", "crisis"]
    reason: str = Field(min_length=40)
    help: str = Field(min_length=20)


class _CategoriesFile(_Strict):
    version: Literal[1]
    categories: list[Category]


class _FillersFile(_Strict):
    version: Literal[1]
    source: str
    fillers: dict[str, list[str]]


class Item(_Strict):
    """One message of the dataset (JSONL key `register` is the attribute `style`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    text: str
    label: Label
    language: str
    # `register` would shadow BaseModel.register (abc), so the attribute has another name.
    style: Register = Field(alias="register")
    source: str
    family: str
    kind: Kind
    variant: Literal["written", "typo", "rambling"]


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _LoadedFamily:
    family: _Family
    label: str
    kind: str
    source: str
    file: str


def data_dir() -> Path:
    """Return the packaged dataset folder."""
    return Path(__file__).with_name("data")


def _validate(path: Path, model: type[M], list_key: str) -> M:
    return read_rules_file(path, model, list_key)


def load_categories(root: Path | None = None) -> list[Category]:
    """Return the reviewed categories, in the order of CATEGORIES."""
    path = (root or data_dir()) / "categories.yaml"
    spec = _validate(path, _CategoriesFile, "categories")
    found = [category.id for category in spec.categories]
    if sorted(found) != sorted(CATEGORIES):
        raise RulesError(f"{path}: categories must be exactly {', '.join(CATEGORIES)}.")
    return sorted(spec.categories, key=lambda category: CATEGORIES.index(category.id))


def load_families(root: Path | None = None) -> list[_LoadedFamily]:
    """Return every hand-written family; a repeated id or a bad file is a RulesError."""
    root = root or data_dir()
    loaded: list[_LoadedFamily] = []
    seen: set[str] = set()
    for sub in ("redflags", "lookalikes"):
        for path in sorted((root / sub).glob("*.yaml")):
            spec = _validate(path, _FamilyFile, "families")
            if sub == "redflags":
                if spec.label is None or spec.label == "none" or spec.kind is not None:
                    raise RulesError(f"{path}: a red-flag file needs `label` (a category).")
                label: str = spec.label
                kind: str = "redflag"
            else:
                if spec.kind is None or spec.label is not None:
                    raise RulesError(f"{path}: a look-alike file needs `kind` and no `label`.")
                label, kind = "none", spec.kind
            for family in spec.families:
                if family.id in seen:
                    raise RulesError(f"{path}: family {family.id!r} is used twice.")
                if (kind == "redflag") == (family.resembles is not None):
                    raise RulesError(
                        f"{path}: family {family.id!r}: `resembles` belongs to look-alikes only."
                    )
                seen.add(family.id)
                loaded.append(_LoadedFamily(family, label, kind, spec.source, path.name))
    return loaded


def _load_fillers(root: Path) -> dict[str, list[str]]:
    spec = _validate(root / "fillers.yaml", _FillersFile, "fillers")
    missing = [lang for lang in LANGUAGES if len(spec.fillers.get(lang, [])) < 8]
    if missing:
        raise RulesError(f"{root / 'fillers.yaml'}: needs >= 8 fillers for {missing}.")
    return spec.fillers


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_NEIGHBOURS = {
    "a": "qs", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "y": "tu", "z": "x",
}


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss")


def _edit_word(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("swap", "drop", "double", "near"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    near = _NEIGHBOURS.get(word[i].lower())
    return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1 :]


def perturb(text: str, language: str, seed: str = "") -> str:
    """Return a deterministic typo version of `text`: a few letter slips, casing, lost accents."""
    rng = _rng("typo", seed, text)
    out = text
    if rng.random() < 0.6:
        out = out.lower()
    if rng.random() < 0.7:
        out = out.replace("'", "").replace("\u2019", "")
    if language != "en" and rng.random() < 0.7:
        out = _strip_accents(out)
    words = out.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    rng.shuffle(candidates)
    for index in candidates[: max(1, min(3, len(candidates) // 4))]:
        words[index] = _edit_word(words[index], rng)
    out = " ".join(words)
    if rng.random() < 0.5:
        out = out.rstrip(".!?")
    return out if out != text else out + " pls"


def _ramble(text: str, fillers: Sequence[str], seed: str) -> str:
    rng = _rng("ramble", seed, text)
    chosen = rng.sample(list(fillers), k=min(len(fillers), rng.randint(4, 8)))
    core = text.strip()
    if core[-1] not in ".!?":
        core += "."
    core = core[0].upper() + core[1:]
    middle = len(chosen) // 2 + rng.randint(-1, 1)
    parts = chosen[:middle] + [core] + chosen[middle:]
    return (" " if rng.random() < 0.7 else "\n").join(parts)


def _ramble_pool(fillers: Sequence[str]) -> list[str]:
    """Return the fillers that build long messages (odd positions; even ones train)."""
    return list(fillers[1::2])


def neutral_sentences(root: Path | None = None) -> list[tuple[str, str]]:
    """Return (language, sentence) pairs of neutral context that train the classifier as `none`.

    They are the fillers at even positions; long test messages are built only from the others,
    so a buried flag is judged among sentences the classifier never saw.
    """
    fillers = _load_fillers(root or data_dir())
    return [(lang, text) for lang in LANGUAGES for text in fillers[lang][0::2]]


EVERYDAY_BLOCK = 4
"""Consecutive scope texts that share a family (the files group them by theme): grouped CV
holds a whole block out, so a near-paraphrase never sits on both sides of a fold."""


def everyday_messages(root: Path | None = None) -> list[tuple[str, str]]:
    """Return (family, text) pairs of everyday messages that are not red flags, label `none`.

    They are the scope check's labelled messages (`data/scope/*.yaml`): ordinary PHT questions and
    questions about anything else (recipes, sport, poems, other complaints). The look-alikes all
    borrow red-flag words, so without these the classifier never saw plain far-from-PHT text
    and could score it as a crisis.
    """
    from assistant.triage.scope_model import load_scope_data

    data = load_scope_data((root or data_dir()) / "scope")
    counts: dict[int, int] = {}
    pairs = []
    for text, label in zip(data.texts, data.labels, strict=True):
        n = counts.get(label, 0)
        counts[label] = n + 1
        name = "other" if label else "pht"
        pairs.append((f"everyday-{name}-{n // EVERYDAY_BLOCK}", text))
    return pairs


def _texts(family: _Family) -> Iterable[tuple[str, str, str]]:
    for register, text in family.en.items():
        yield "en", register, text
    for lang in LANGUAGES[1:]:
        value = getattr(family, lang)
        if isinstance(value, str):
            yield lang, "plain", value
        else:
            for register, text in value.items():
                yield lang, register, text


def _item(loaded: _LoadedFamily, text: str, lang: str, register: str, variant: str, n: int) -> Item:
    source = loaded.source
    if variant != "written":
        source += f"; {variant} variant generated deterministically"
    return Item.model_validate(
        {
            "id": f"{loaded.family.id}/{lang}/{register}/{variant}/{n}",
            "text": text, "label": loaded.label, "language": lang, "register": register,
            "source": source, "family": loaded.family.id, "kind": loaded.kind,
            "variant": variant,
        }
    )  # fmt: skip


def build_items(root: Path | None = None) -> list[Item]:
    """Return every item: the written texts and their deterministic variants, in a fixed order."""
    root = root or data_dir()
    fillers = _load_fillers(root)
    items: list[Item] = []
    for index, loaded in enumerate(load_families(root)):
        family = loaded.family
        ramble_langs = {"en", LANGUAGES[1 + index % 5]}
        rambled: set[str] = set()

        for n, (lang, register, text) in enumerate(_texts(family)):
            items.append(_item(loaded, text, lang, register, "written", n))
            items.append(_item(loaded, perturb(text, lang, family.id), lang, "typo", "typo", n))
            if lang in ramble_langs and lang not in rambled:
                rambled.add(lang)
                pool = _ramble_pool(fillers[lang])
                long = _ramble(text, pool, family.id)
                items.append(_item(loaded, long, lang, "rambling", "rambling", n))
    return items


TRAINED_FROM = (
    "redflags/*.yaml", "lookalikes/*.yaml", "scope/*.yaml", "fillers.yaml", "negation_cues.yaml",
)  # fmt: skip
"""The files the triage classifier is trained from (patterns under the data folder): the
families, the everyday messages, the fillers of long messages and the negation cues its word
features mark. `scope-advice/` (read by the scope model only, which keys its own cache by its
training texts) and `categories.yaml` (the replies' reasons) are not among them."""


def dataset_hash(root: Path | None = None) -> str:
    """Return a hash of the files the classifier trains from (the cache key of trained models)."""
    root = root or data_dir()
    digest = hashlib.sha256()
    paths = {path for pattern in TRAINED_FROM for path in root.glob(pattern)}
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def write_jsonl(items: Sequence[Item], out_dir: Path) -> list[Path]:
    """Write one JSONL file per category / look-alike kind; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Item]] = {}
    for item in items:
        name = f"redflags-{item.label}" if item.kind == "redflag" else f"lookalikes-{item.kind}"
        groups.setdefault(name, []).append(item)
    paths = []
    for name, group in sorted(groups.items()):
        path = out_dir / f"{name}.jsonl"
        lines = [json.dumps(item.model_dump(by_alias=True), ensure_ascii=False) for item in group]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
