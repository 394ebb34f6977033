"""LiveAssistant (assistant/live.py) with fakes: an ask that fails because the store was swapped
under it is answered by the reloaded assistant; an error on an unchanged index stands."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.errors import StoreError
from assistant.live import LiveAssistant
from assistant.settings import Settings


class _Fake:
    def __init__(self, name: str, fail: bool) -> None:
        self.name, self.fail, self.corpus_version = name, fail, name

    def ask(self, question: str, **_: Any) -> str:
        if self.fail:
            raise StoreError("The index failed (Missing metadata segment).")
        return f"{self.name}: {question}"


def _live(versions: list[str], fails: list[bool]) -> tuple[LiveAssistant, list[str]]:
    built = iter([_Fake(v, f) for v, f in zip(versions, fails, strict=True)])
    state = {"label": versions[0]}
    live = LiveAssistant(lambda: next(built), lambda: (state["label"],),  # type: ignore[arg-type,return-value]
                         Settings(index_check_s=3600))  # fmt: skip
    labels = [state["label"]]

    def swap(label: str) -> None:
        state["label"] = label
        labels.append(label)

    live.swap = swap  # type: ignore[attr-defined]
    return live, labels


def test_an_ask_on_a_swapped_store_is_answered_by_the_reloaded_assistant() -> None:
    live, _ = _live(["v1", "v2"], [True, False])
    live.swap("v2")  # type: ignore[attr-defined]  # a --rebuild, not yet seen by the watcher
    try:
        assert live.ask("why does sitting hurt?") == "v2: why does sitting hurt?"
        assert live.reloads == 1 and live.corpus_version == "v2"
    finally:
        live.close()


def test_a_store_error_on_an_unchanged_index_is_raised() -> None:
    live, _ = _live(["v1"], [True])
    try:
        with pytest.raises(StoreError):
            live.ask("why does sitting hurt?")
        assert live.reloads == 0
    finally:
        live.close()
