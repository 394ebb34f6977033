"""Build evals/dev/{train,test}/*.yaml from the phrasing families in evals/dev/families/.

A family asks one thing many ways (patient slang, typos, indirect, yes/no, clinician, long...).
The split keeps each family whole, so the test side holds facts and phrasings that tuning on the
train side never saw. It is deterministic: within each (source file, kind) group, families are
ordered by a hash of their name and every 2nd and 4th of each five goes to test (about 60/40,
every kind of family on both sides).

    python -m evals.dev.build          # write the split files
    python -m evals.dev.build --check  # exit 1 when the split files are out of date
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals.models import EvalCaseError, Turn

__all__ = ["Family", "Phrasing", "DEV_DIR", "load_families", "split", "render", "main"]

DEV_DIR = Path(__file__).resolve().parent
Kind = Literal["answered", "not_covered", "out_of_scope"]
Register = Literal[
    "plain", "slang", "typo", "indirect", "yes_no", "clinician", "long", "two_in_one", "followup"
]
_TEST_POSITIONS = frozenset({1, 3})


class Phrasing(BaseModel):
    """One way of asking a family's question (optionally with its own expectations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reg: Register
    q: str = Field(min_length=1)
    statements: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    history: tuple[Turn, ...] = ()


class Family(BaseModel):
    """A fact (or a refusal kind) and the phrasings that ask for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Kind
    topic: str = Field(pattern=r"^[a-z0-9_]+$")
    statements: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    questions: tuple[Phrasing, ...] = Field(min_length=4)


def load_families(folder: Path | None = None) -> dict[str, list[Family]]:
    """Return the families of each source file (by file stem), validated strictly."""
    folder = folder or DEV_DIR / "families"
    out: dict[str, list[Family]] = {}
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as exc:
            raise EvalCaseError(f"{path}: cannot read the families ({exc}).") from exc
        families = []
        for index, entry in enumerate(data):
            label = entry.get("family") if isinstance(entry, dict) else f"#{index + 1}"
            try:
                family = Family.model_validate(entry)
            except ValidationError as exc:
                raise EvalCaseError(f"{path}: family {label!r}: {exc}") from exc
            if family.family in seen:
                first = seen[family.family]
                raise EvalCaseError(f"{path}: family {family.family!r} repeats one in {first}")
            seen[family.family] = path
            families.append(family)
        out[path.stem] = families
    return out


def _rank(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def split(groups: dict[str, list[Family]]) -> dict[str, dict[str, list[Family]]]:
    """Return {"train": {stem: families}, "test": {stem: families}}, whole families per side."""
    sides: dict[str, dict[str, list[Family]]] = {"train": {}, "test": {}}
    for stem, families in groups.items():
        kinds = sorted({f.kind for f in families})
        for kind in kinds:
            ranked = sorted((f for f in families if f.kind == kind), key=lambda f: _rank(f.family))
            for position, family in enumerate(ranked):
                side = "test" if position % 5 in _TEST_POSITIONS else "train"
                sides[side].setdefault(stem, []).append(family)
    for stems in sides.values():
        for members in stems.values():
            members.sort(key=lambda f: f.family)
    return sides


def _case(family: Family, phrasing: Phrasing, case_id: str) -> dict[str, object]:
    audience = "clinician" if phrasing.reg == "clinician" else "patient"
    tags = [audience, phrasing.reg, family.topic, "dev"]
    if family.kind != "answered":
        tags.append(family.kind)
    if phrasing.history:
        tags.append("followup")
    case: dict[str, object] = {
        "id": case_id,
        "family": family.family,
        "question": phrasing.q,
        "expect_status": family.kind,
    }
    statements = phrasing.statements if phrasing.statements is not None else family.statements
    sources = phrasing.sources if phrasing.sources is not None else family.sources
    if statements:
        case["statements"] = list(statements)
    if family.forbidden:
        case["forbidden"] = list(family.forbidden)
    if sources:
        case["sources"] = list(sources)
    if phrasing.history:
        case["history"] = [{"role": t.role, "content": t.content} for t in phrasing.history]
    case["tags"] = list(dict.fromkeys(tags))
    return case


def render(families: list[Family]) -> str:
    """Return the eval-case YAML of `families` (ids: family-register, numbered when repeated)."""
    cases = []
    for family in families:
        counts: dict[str, int] = {}
        for phrasing in family.questions:
            counts[phrasing.reg] = counts.get(phrasing.reg, 0) + 1
            n = counts[phrasing.reg]
            reg = phrasing.reg.replace("_", "-")
            case_id = f"dev-{family.family}-{reg}" + (f"-{n}" if n > 1 else "")
            cases.append(_case(family, phrasing, case_id))
    header = "# Generated by `python -m evals.dev.build` from evals/dev/families/: edit those.\n"
    body = yaml.safe_dump(cases, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def _outputs(folder: Path) -> dict[Path, str]:
    sides = split(load_families(folder / "families"))
    return {
        folder / side / f"{stem}.yaml": render(families)
        for side, stems in sides.items()
        for stem, families in stems.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the split files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when files are out of date")
    args = parser.parse_args(argv)
    outputs = _outputs(DEV_DIR)
    existing = {p for side in ("train", "test") for p in (DEV_DIR / side).glob("*.yaml")}
    stale = sorted(p for p in existing if p not in outputs)
    changed = sorted(
        p for p, text in outputs.items() if not p.exists() or p.read_text("utf-8") != text
    )
    if args.check:
        for path in stale + changed:
            sys.stderr.write(f"out of date: {path.relative_to(DEV_DIR)}\n")
        return 1 if stale or changed else 0
    for path in stale:
        path.unlink()
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
