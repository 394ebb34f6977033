"""Eval cases: strict YAML models and the loader that names the file and case of every error."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import EvalCaseError
from assistant.types import Status

__all__ = ["EvalCaseError", "Turn", "EvalCase", "default_cases_dir", "case_files", "load_cases"]


class Turn(BaseModel):
    """One earlier chat turn of a follow-up case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class EvalCase(BaseModel):
    """One question with what a good answer must (and must not) contain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    family: str | None = None
    """The phrasing family (dev set): cases that ask the same thing; splits keep a family whole."""
    question: str = Field(min_length=1)
    expect_status: Status | None = None
    statements: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    history: tuple[Turn, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("statements", "forbidden", "sources", "tags")
    @classmethod
    def _no_blank_items(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item.strip() for item in items):
            raise ValueError("items must be non-empty strings")
        return items

    @property
    def audience(self) -> str:
        """Return "clinician" for cases tagged clinician, else "patient"."""
        return "clinician" if "clinician" in self.tags else "patient"

    def history_dicts(self) -> list[dict[str, str]]:
        """Return the history as the {"role", "content"} mappings `Assistant.ask` takes."""
        return [{"role": t.role, "content": t.content} for t in self.history]


def default_cases_dir() -> Path:
    """Return the directory of the project's own cases (evals/cases)."""
    return Path(__file__).resolve().parent / "cases"


def case_files(paths: Iterable[Path]) -> list[Path]:
    """Return the YAML files named by `paths` (directories expand to their *.yaml, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")))
        elif path.is_file():
            files.append(path)
        else:
            raise EvalCaseError(f"{path}: no such case file or directory.")
    return files


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            parts.append(f"unknown key {where!r}")
        elif item["type"] == "literal_error" and where == "expect_status":
            parts.append(f"expect_status {item['input']!r} is not a status ({item['msg']})")
        else:
            parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _load_file(path: Path) -> list[EvalCase]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalCaseError(f"{path}: cannot read the file ({exc}).") from exc
    except yaml.YAMLError as exc:
        raise EvalCaseError(f"{path}: invalid YAML ({exc}).") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise EvalCaseError(f"{path}: expected a list of cases, got {type(data).__name__}.")
    cases = []
    for index, entry in enumerate(data):
        name = entry.get("id") if isinstance(entry, dict) else None
        label = f"case {name!r}" if name else f"case #{index + 1}"
        if not isinstance(entry, dict):
            raise EvalCaseError(f"{path}: {label}: expected a mapping of keys.")
        try:
            cases.append(EvalCase.model_validate(entry))
        except ValidationError as exc:
            raise EvalCaseError(f"{path}: {label}: {_describe(exc)}.") from exc
    return cases


def load_cases(paths: Iterable[Path] | None = None, tags: Iterable[str] = ()) -> list[EvalCase]:
    """Return the cases of `paths` (default: evals/cases), keeping only those with any of `tags`."""
    files = case_files([default_cases_dir()] if paths is None else list(paths))
    seen: dict[str, Path] = {}
    cases: list[EvalCase] = []
    for path in files:
        for case in _load_file(path):
            if case.id in seen:
                raise EvalCaseError(
                    f"{path}: case {case.id!r}: duplicate id (first defined in {seen[case.id]})."
                )
            seen[case.id] = path
            cases.append(case)
    wanted = set(tags)
    if wanted:
        cases = [c for c in cases if wanted & set(c.tags)]
    return cases
