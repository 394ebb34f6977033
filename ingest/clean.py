"""Cleaning: remove web-page boilerplate, keep clinical text, lift metadata out of the text.

The rules are data (boilerplate.yaml beside this module), reviewed like the corpus itself.
Trailing reference markers ("... long-term outcomes 1", "... 2, 3, 6.") are removed from the text
and kept as (offset, refs) marks so chunks can carry them as metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import CorpusError

__all__ = ["CleanDocument", "BoilerplateRules", "load_rules", "clean_text"]

_RULES_PATH = Path(__file__).with_name("boilerplate.yaml")
# A reference marker: 1-2 digit numbers, comma separated, after a word, at the end of a line.
_TRAILING_REFS = re.compile(r"(?<=[A-Za-z)%])\s+(\d{1,2}(?:\s*,\s*\d{1,2})*)\s*(\.?)\s*$")


class _TextRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str
    why: str


class _SectionRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    heading: str
    key: str
    why: str


class _LineRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pattern: str
    key: str
    why: str


class BoilerplateRules(BaseModel):
    """Cleaning rules, as loaded from boilerplate.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    line: list[_TextRule] = []
    prefix: list[_TextRule] = []
    cut_from: list[_TextRule] = []
    metadata_section: list[_SectionRule] = []
    metadata_line: list[_LineRule] = []


@dataclass
class CleanDocument:
    """A document's clinical text with the metadata lifted out of it."""

    text: str
    metadata: dict[str, str] = field(default_factory=dict)
    ref_marks: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    """(offset in `text` where a marker stood, the marker's reference numbers)."""


@lru_cache(maxsize=4)
def load_rules(path: Path = _RULES_PATH) -> BoilerplateRules:
    """Return the cleaning rules from `path` (boilerplate.yaml by default)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = BoilerplateRules.model_validate(raw)
        for rule in rules.metadata_line:
            re.compile(rule.pattern)
    except (OSError, yaml.YAMLError, ValidationError, re.error) as exc:
        raise CorpusError(f"{path}: invalid cleaning rules ({exc}).") from exc
    return rules


def _key(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip().casefold()


def clean_text(raw: str, rules: BoilerplateRules | None = None) -> CleanDocument:
    """Return the cleaned text of one document and what was lifted out of it."""
    rules = rules or load_rules()
    lines = [line.replace("\xa0", " ").rstrip() for line in raw.replace("\r\n", "\n").split("\n")]
    metadata: dict[str, str] = {}

    # 1. Sections whose content is metadata (the source's own disclaimer).
    for rule in rules.metadata_section:
        for i, line in enumerate(lines):
            if _key(line) != _key(rule.heading):
                continue
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            body: list[str] = []
            while j < len(lines) and lines[j].strip():
                body.append(lines[j].strip())
                j += 1
            metadata[rule.key] = " ".join(body)
            lines[i:j] = []
            break

    # 2. Page footers: cut from the first matching line to the end.
    cut_keys = {_key(rule.text) for rule in rules.cut_from}
    for i, line in enumerate(lines):
        if _key(line) in cut_keys:
            lines = lines[:i]
            break

    # 3. Single boilerplate lines; metadata lines.
    drop = {_key(rule.text) for rule in rules.line}
    prefixes = tuple(_key(rule.text) for rule in rules.prefix)
    patterns = [(re.compile(rule.pattern, re.IGNORECASE), rule.key) for rule in rules.metadata_line]
    kept: list[str] = []
    for line in lines:
        key = _key(line)
        if key in drop or (key and key.startswith(prefixes)):
            continue
        matched = False
        for pattern, meta_key in patterns:
            found = pattern.match(line.strip())
            if found:
                metadata.setdefault(meta_key, found.group("value").strip())
                matched = True
                break
        if not matched:
            kept.append(line)

    # 4. Collapse blank runs, then lift trailing reference markers with their offsets.
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    text = "\n".join(line if line.strip() else "" for line in text.split("\n"))
    out: list[str] = []
    marks: list[tuple[int, tuple[str, ...]]] = []
    offset = 0
    for line in text.split("\n"):
        found = _TRAILING_REFS.search(line)
        if found and not line.lstrip().startswith("|"):
            refs = tuple(part.strip() for part in found.group(1).split(","))
            line = line[: found.start()] + found.group(2)
            marks.append((offset + len(line), refs))
        out.append(line)
        offset += len(line) + 1
    return CleanDocument(text="\n".join(out), metadata=metadata, ref_marks=marks)
