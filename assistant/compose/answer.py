"""The compose stage: the extractive answer from the chosen sentences, optionally rewritten.

`AnswerComposer.choose` scores and selects corpus sentences for what retrieval found;
`AnswerComposer.compose` writes the text (extractive, or LLM mode verified against the passages)
and returns a `Composed`.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass

from assistant.compose.answer_first import is_choice
from assistant.compose.extractive import Composition, ExtractiveComposer, ScoredUnit
from assistant.compose.llm import LLMComposer
from assistant.retrieval.search import Retrieved
from assistant.types import Request

__all__ = ["Composed", "AnswerComposer", "references_text"]


@dataclass(frozen=True)
class Composed:
    """The composed text, the composition it rests on, and which composer wrote it."""

    text: str
    composition: Composition
    mode: str = "extractive"
    notice: str | None = None
    """Set when LLM mode fell back to the extractive answer."""


class AnswerComposer:
    """Extractive sentences, rewritten by the LLM composer when one is configured."""

    def __init__(
        self,
        extractive: ExtractiveComposer,
        llm: LLMComposer | None = None,
        references: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.extractive = extractive
        self.llm = llm
        self._references = references or {}

    def choose(self, retrieved: Retrieved, audience: str) -> list[ScoredUnit]:
        """Return the corpus sentences worth saying for what was retrieved, best first."""
        scored = self.extractive.score(
            retrieved.focus, retrieved.vector, retrieved.hits, denied=retrieved.denied
        )
        return self.extractive.select(
            scored, audience, each_option=is_choice(retrieved.asked)
        )

    def compose(
        self,
        request: Request,
        retrieved: Retrieved,
        chosen: Sequence[ScoredUnit],
        *,
        lead_in: str,
        preamble: str = "",
        references: bool = False,
        stream: bool = False,
    ) -> Generator[str, None, Composed]:
        """Yield verified text as it is written (LLM mode, `stream`); return the Composed.

        `preamble` goes before the lead-in (a not_covered message); `references` appends, for
        clinicians, the reference lists of the cited sources.
        """
        audience = request.audience
        composition = self.extractive.compose(
            retrieved.hits, chosen, lead_in=lead_in, audience=audience
        )
        mode, notice = "extractive", None
        if self.llm is not None:
            fluent = yield from self.llm.compose(
                request.question, retrieved.hits, composition, audience=audience,
                history=request.history, stream=stream,
                preamble=f"{preamble}\n\n" if preamble else "",
            )  # fmt: skip
            composition, mode, notice = fluent.composition, fluent.mode, fluent.notice
        text = f"{preamble}\n\n{composition.text}" if preamble else composition.text
        if references and audience == "clinician":
            text += references_text(composition, self._references)
        return Composed(text, composition, mode, notice)


def references_text(composition: Composition, references: Mapping[str, list[str]]) -> str:
    """Return the reference lists of the cited sources (verbatim), for clinicians."""
    lines: list[str] = []
    for doc_id in dict.fromkeys(c.doc_id for c in composition.citations):
        markers = sorted(
            {r for c in composition.citations if c.doc_id == doc_id for r in c.refs}, key=int
        )
        if not markers or not references.get(doc_id):
            continue
        publisher = next(c.publisher for c in composition.citations if c.doc_id == doc_id)
        lines.append(
            f"\n\nReferences listed by {publisher} (the cited passages carry the source's "
            f"markers {', '.join(markers)}):\n"
            + "\n".join(f"- {ref}" for ref in references[doc_id])
        )
    return "".join(lines)
