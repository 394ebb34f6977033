"""Streaming an answer: its verified text as it is written, then the final Answer."""

from __future__ import annotations

from collections.abc import Generator, Iterator

from assistant.types import Answer

__all__ = ["AnswerStream", "drain"]


class AnswerStream:
    """Iterates over an answer's text as it is verified; `answer` is the final Answer.

    Creating it runs the question up to the first piece of text, so an InvalidQuestion raises
    at once. What was streamed is never unverified model text, but the final Answer can differ
    (LLM mode fell back to the extractive answer): render `answer` when the stream ends.
    """

    def __init__(self, steps: Generator[str, None, Answer]) -> None:
        self._steps = steps
        self._answer: Answer | None = None
        self._streamed = False
        self._first = self._advance()

    def _advance(self) -> str | None:
        try:
            return next(self._steps)
        except StopIteration as stop:
            self._answer = stop.value
            return None

    def __iter__(self) -> Iterator[str]:
        piece = self._first
        self._first = None
        while piece is not None:
            self._streamed = True
            yield piece
            piece = self._advance()
        if not self._streamed and self._answer is not None:
            # Nothing was streamed (extractive mode, urgent, out of scope): the whole text at once.
            self._streamed = True
            yield self._answer.answer

    @property
    def answer(self) -> Answer:
        """Return the final Answer, running the rest of the question if needed."""
        while self._answer is None:
            self._advance()
        return self._answer


def drain(steps: Generator[str, None, Answer]) -> Answer:
    """Return the Answer at the end of `steps`, ignoring the text they stream."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
