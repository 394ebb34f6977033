"""The one strict loader of reviewed YAML files (rules, lexicons, query expansions).

`yaml.safe_load` plus duplicate keys refused, then a pydantic model with `extra="forbid"`; every
problem becomes one RulesError that names the file, the entry and what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assistant.errors import RulesError

__all__ = ["read_rules_file"]

M = TypeVar("M", bound=BaseModel)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (a reviewer would miss the silent override)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _entry_name(raw: Any, loc: tuple[Any, ...], list_key: str) -> str:
    if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
        entries = raw.get(list_key) if isinstance(raw, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        label = f"rule {rule_id!r}" if rule_id else f"rule #{loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:])
        return f"{label}: {rest}" if rest else label
    return ".".join(str(part) for part in loc) or "top level"


def read_rules_file(path: Path, model: type[M], list_key: str = "rules") -> M:
    """Return the file parsed strictly into `model`; any problem becomes one RulesError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RulesError(f"{path}: cannot read the rules file ({reason}).") from exc
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError(f"{path}: not valid YAML{line}: {problem}.") from exc
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: expected a mapping (key: value lines) at the top level.")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{_entry_name(raw, tuple(err['loc']), list_key)}: {err['msg']}" for err in exc.errors()
        ]
        raise RulesError(f"{path}: " + "; ".join(problems) + ".") from exc
