"""Imports point one way (DESIGN.md): app/pages/ui -> assistant <- evals; ingest -> a few parts.

Checked by parsing every module's imports (including those inside functions) with `ast`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("assistant", "ingest", "evals", "bench", "ui", "app", "pages", "tests")

# Inside assistant/: what each stage package (or top-level module) may import from assistant.
STAGE_RULES: dict[str, tuple[str, ...]] = {
    "assistant.errors": (),
    "assistant.settings": ("assistant.errors",),
    "assistant.types": (),
    "assistant.disclaimer": (),
    "assistant.rulefile": ("assistant.errors",),
    "assistant.language": ("assistant.errors", "assistant.rulefile", "assistant.language"),
    "assistant.index": (
        "assistant.errors", "assistant.settings", "assistant.types", "assistant.index",
    ),
    "assistant.retrieval": (
        "assistant.errors", "assistant.settings", "assistant.types", "assistant.language",
        "assistant.index", "assistant.retrieval",
    ),
    "assistant.triage": (
        "assistant.errors", "assistant.settings", "assistant.types", "assistant.language",
        "assistant.rulefile", "assistant.retrieval", "assistant.triage",
    ),
    "assistant.compose": (
        "assistant.errors", "assistant.settings", "assistant.types", "assistant.language",
        "assistant.retrieval", "assistant.compose",
    ),
}  # fmt: skip
INGEST_MAY_USE = (
    "assistant.errors", "assistant.settings", "assistant.types", "assistant.index",
    "assistant.language",
)  # fmt: skip


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for top in ("assistant", "ingest", "evals", "bench", "ui", "pages"):
        for path in sorted((ROOT / top).rglob("*.py")):
            yield _module_name(path), path
    yield "app", ROOT / "app.py"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # "from assistant import errors" imports the module assistant.errors.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in OURS}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


MODULES = dict(_sources())


def test_the_rules_see_every_module() -> None:
    assert "assistant.pipeline" in MODULES and "ingest.index" in MODULES
    assert any(_imports(path) for path in MODULES.values())


def _forbidden(module: str, imported: set[str]) -> set[str]:
    """Return the names `module` may not import."""
    imported = {name for name in imported if name != module}
    top = module.split(".")[0]
    forbidden: set[str] = set()
    if top == "assistant":
        forbidden = {n for n in imported if not n.startswith("assistant")}
        stage = next((s for s in STAGE_RULES if _within(module, (s,))), None)
        if stage is not None:
            allowed = STAGE_RULES[stage] + (stage,)
            forbidden |= {
                n for n in imported
                if n.startswith("assistant.") and not _within(n, allowed)
            }  # fmt: skip
    elif top == "ingest":
        forbidden = {
            n for n in imported
            if not (n.startswith("ingest") or _within(n, INGEST_MAY_USE))
        }  # fmt: skip
    elif top == "evals":
        forbidden = {n for n in imported if n.split(".")[0] in ("ui", "app", "pages", "bench")}
        if module.startswith("evals.matcher"):
            forbidden |= {
                n for n in imported if _within(n, ("assistant.language", "assistant.compose"))
            }
    elif top in ("ui", "pages", "app"):
        forbidden = {n for n in imported if n.split(".")[0] in ("ingest", "evals", "bench", "app")}
    elif top == "bench":
        forbidden = {n for n in imported if n.split(".")[0] in ("ui", "app", "pages")}
    return forbidden


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_one_way(module: str) -> None:
    forbidden = _forbidden(module, _imports(MODULES[module]))
    assert not forbidden, f"{module} imports {sorted(forbidden)}"


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("assistant.compose.extractive", "ui.render"),
        ("assistant.language.tokens", "assistant.retrieval.search"),
        ("assistant.triage.safety", "assistant.compose.llm"),
        ("assistant.index.chroma", "assistant.pipeline"),
        ("ingest.index", "assistant.factory"),
        ("evals.matcher.text", "assistant.language.tokens"),
        ("ui.core", "evals.metrics"),
    ],
)
def test_a_wrong_import_is_caught(module: str, imported: str) -> None:
    assert _forbidden(module, {imported}) == {imported}
