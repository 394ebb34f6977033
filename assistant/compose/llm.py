"""LLM mode: a model rewrites the chosen passages as a fluent answer, which is then verified.

The Assistant decides the status first (safety, scope, coverage) and composes the extractive
answer; only then does `LLMComposer` give the model the passages that answer cites, numbered,
with the question and the last turns of the conversation quoted as data
(`assistant.compose.prompt`). The model anchors each sentence to the passage words it rests on;
each sentence is verified by meaning against its quote (`assistant.compose.verify`), and, with
PHT_LLM_VERIFY=judge, also by one batched entailment call (`assistant.compose.judge`). The
answer has no extractive lead-in: it is the verified paraphrase, mode "llm", each citation
carrying the quotes its sentences rest on. When the server fails or too little survives, the
extractive answer is used and a notice says so. The chat model is built in `assistant.factory`;
here it is any LangChain chat model, wrapped so that its failures become `ServerUnavailable`
with no secret in the message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from assistant.compose.anchors import ReplyStream
from assistant.compose.extractive import Composition
from assistant.compose.judge import Judge
from assistant.compose.prompt import Messages, build_messages
from assistant.compose.verify import (
    Passage,
    Renumbering,
    Similarity,
    Verdict,
    Verification,
    verify,
)
from assistant.errors import ServerUnavailable
from assistant.types import Hit

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "UNAVAILABLE_NOTICE",
    "UNVERIFIED_NOTICE",
    "MAX_PASSAGES",
    "ChatClient",
    "ChatModelClient",
    "Fluent",
    "LLMComposer",
    "build_messages",
    "Messages",
    "redact",
]

log = logging.getLogger(__name__)

UNAVAILABLE_NOTICE = (
    "The fluent answer was unavailable (the language model did not answer in time or answered "
    "badly), so this answer quotes the guidance directly."
)
UNVERIFIED_NOTICE = (
    "The fluent answer could not be verified against the guidance, so this answer quotes the "
    "guidance directly."
)
MAX_PASSAGES = 4
"""Passages given to the model: those the extractive answer cites, best first."""

def redact(text: str, secrets: Sequence[str | None]) -> str:
    """Return `text` with every secret (e.g. the API key) replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class ChatClient(Protocol):
    """What the composer needs of a chat model: one reply, or the reply as it is written."""

    def complete(self, messages: Messages) -> str: ...

    def stream(self, messages: Messages) -> Iterator[str]: ...


class ChatModelClient:
    """A LangChain chat model whose failures become ServerUnavailable, secrets redacted."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        where: str,
        deadline_s: float,
        secrets: Sequence[str | None] = (),
    ) -> None:
        self._model = model
        self._where = where
        self._deadline_s = deadline_s
        self._secrets = tuple(secrets)

    def complete(self, messages: Messages) -> str:
        """Return the model's whole reply (ServerUnavailable when there is none)."""
        failure: Exception | None = None
        try:
            reply = self._model.invoke(messages)
        except Exception as exc:  # openai/httpx/langchain raise many types: all mean "no reply"
            failure = exc
        if failure is not None:
            # Raised outside the except block, so an unsafe original is not even __context__.
            raise self._error(failure) from self._cause(failure)
        content = reply.content
        if not isinstance(content, str) or not content.strip():
            raise ServerUnavailable(f"The LLM server at {self._where} sent an empty reply.")
        return content

    def stream(self, messages: Messages) -> Iterator[str]:
        """Yield the reply's text as the server streams it (ServerUnavailable on failure)."""
        started = time.monotonic()
        failure: Exception | None = None
        pieces = iter(self._model.stream(messages))
        while failure is None:
            try:
                chunk = next(pieces)
            except StopIteration:
                return
            except Exception as exc:  # as in complete(): any failure of the transport or parser
                failure = exc
                break
            if time.monotonic() - started > self._deadline_s:
                raise ServerUnavailable(
                    f"The LLM server at {self._where} took over {self._deadline_s:g} s."
                )
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
        raise self._error(failure) from self._cause(failure)

    def _error(self, exc: Exception) -> ServerUnavailable:
        status = getattr(exc, "status_code", None)
        detail = f"HTTP {status}" if status else type(exc).__name__
        message = f"The LLM server at {self._where} did not give a usable reply ({detail})."
        return ServerUnavailable(redact(message, self._secrets))

    def _cause(self, exc: Exception) -> Exception | None:
        # A server may echo the request (and its Authorization header) into an error body:
        # chain the original only when it does not carry the key.
        shown = f"{exc!r} {exc}"
        return None if redact(shown, self._secrets) != shown else exc


@dataclass(frozen=True)
class Fluent:
    """What LLM mode produced: the composition to show, its mode, and a notice if it fell back."""

    composition: Composition
    mode: str
    notice: str | None = None
    verification: Verification | None = None


def _passages(hits: Sequence[Hit], extractive: Composition) -> list[Passage]:
    by_id = {hit.chunk.chunk_id: hit for hit in hits}
    cited = [by_id[c.chunk_id] for c in extractive.citations if c.chunk_id in by_id]
    return [Passage(n, hit) for n, hit in enumerate(cited[:MAX_PASSAGES], start=1)]


class _Writer:
    """Verifies reply sentences one by one and renders the kept ones, renumbered.

    With a judge, kept sentences are held back until the judge has seen them all.
    """

    def __init__(
        self, passages: Sequence[Passage], similarity: Similarity | None, *, opening: str,
        audience: str, hold: bool, asked: str = "",
    ) -> None:  # fmt: skip
        self.passages = passages
        self.similarity = similarity
        self.asked = asked
        self.opening = opening
        self.bullets = audience == "clinician"
        self.hold = hold
        self.verification = Verification()
        self.renumbering = Renumbering(passages)
        self.rendered: list[str] = []

    def take(self, sentence: str) -> Iterator[str]:
        """Verify one sentence; yield it renumbered if kept (after the opening, if first)."""
        for verdict in verify(sentence, self.passages, self.similarity, self.asked).verdicts:
            self.verification.verdicts.append(verdict)
            if verdict.kept and not self.hold:
                yield from self._emit(verdict)

    def release(self, judged: Sequence[Verdict]) -> Iterator[str]:
        """Replace the verdicts with the judged ones and yield what is kept (judge mode)."""
        self.verification = Verification(list(judged))
        for verdict in judged:
            if verdict.kept:
                yield from self._emit(verdict)

    def _emit(self, verdict: Verdict) -> Iterator[str]:
        text = self.renumbering.render(verdict)
        if self.bullets:
            text = f"- {text}"
        if not self.rendered:
            if self.opening:
                yield self.opening
            yield text
        else:
            yield ("\n" if self.bullets else " ") + text
        self.rendered.append(text)

    def body(self) -> str:
        """Return the kept sentences as the answer body."""
        return ("\n" if self.bullets else " ").join(self.rendered)


def _judged(judge: Judge, verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Return the verdicts with every kept claim the judge finds not entailed removed."""
    kept = [v for v in verdicts if v.kept and v.kind == "claim"]
    items = [(v.claim, " ".join(part for _, part in v.evidence)) for v in kept]
    answers = judge.judge(items)
    if answers is None:
        return list(verdicts)  # no usable judgement: the deterministic verdicts stand
    refused = {id(v) for v, entailed in zip(kept, answers, strict=True) if not entailed}
    return [
        replace(v, kept=False, reason="the entailment judge found it not entailed")
        if id(v) in refused else v
        for v in verdicts
    ]  # fmt: skip


class LLMComposer:
    """Asks a chat model for a fluent answer from the passages and keeps only what is verified."""

    def __init__(
        self, client: ChatClient, *, similarity: Similarity | None = None,
        judge: Judge | None = None,
    ) -> None:  # fmt: skip
        self._client = client
        self._similarity = similarity
        self._judge = judge

    def compose(
        self,
        question: str,
        hits: Sequence[Hit],
        extractive: Composition,
        *,
        audience: str,
        history: Sequence[Mapping[str, str]] = (),
        stream: bool = False,
        preamble: str = "",
    ) -> Generator[str, None, Fluent]:
        """Yield verified sentences as they come (when `stream`); return the Fluent result.

        What is yielded adds up to `preamble` + the fluent text; nothing when it falls back.
        """
        passages = _passages(hits, extractive)
        if not passages:
            return Fluent(extractive, "extractive")
        messages = build_messages(question, passages, audience, history)
        asked = " ".join([*(t.get("content", "") for t in history if t.get("role") == "user"),
                          question])  # fmt: skip
        writer = _Writer(
            passages, self._similarity, opening=preamble, audience=audience,
            hold=self._judge is not None, asked=asked,
        )  # fmt: skip
        started = time.perf_counter()
        try:
            if stream:
                splitter = ReplyStream()
                for piece in self._client.stream(messages):
                    for sentence in splitter.feed(piece):
                        yield from writer.take(sentence)
                tail = splitter.flush()
            else:
                tail = [self._client.complete(messages)]
        except ServerUnavailable as exc:
            log.warning("LLM mode fell back to the extractive answer: %s", exc)
            return Fluent(extractive, "extractive", UNAVAILABLE_NOTICE)
        for sentence in tail:
            yield from writer.take(sentence)
        if self._judge is not None:
            yield from writer.release(_judged(self._judge, writer.verification.verdicts))
        verification = writer.verification
        elapsed = (time.perf_counter() - started) * 1000
        log.info("LLM reply verified in %.0f ms: %s", elapsed, verification.summary())
        if not verification.usable:
            return Fluent(extractive, "extractive", UNVERIFIED_NOTICE, verification)
        citations = writer.renumbering.citations()
        composition = replace(extractive, text=writer.body(), citations=citations)
        return Fluent(composition, "llm", None, verification)
