"""Small fakes with behaviour you can reason about (see STYLE.md)."""

from __future__ import annotations

import math
import re

from langchain_core.embeddings import Embeddings

VOCABULARY = (
    "sitting", "shockwave", "surgery", "stretching", "injections", "nsaids", "loading",
    "recovery", "diagnosis", "tendon", "exercise", "cryotherapy", "sciatica", "pain",
)  # fmt: skip


class KeywordEmbeddings(Embeddings):
    """Embeds a text as normalised counts of a fixed vocabulary (plus a constant bias term)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def _vector(self, text: str) -> list[float]:
        words = re.findall(r"[a-z]+", text.lower())
        counts = [float(sum(w.startswith(v[:6]) for w in words)) for v in VOCABULARY] + [0.1]
        norm = math.sqrt(sum(c * c for c in counts))
        return [c / norm for c in counts]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class ExplodingEmbeddings(KeywordEmbeddings):
    """Fails on the n-th batch, like a crash or Ctrl-C in the middle of embedding."""

    def __init__(self, fail_on_batch: int, error: BaseException) -> None:
        super().__init__()
        self._fail_on = fail_on_batch
        self._error = error

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if len(self.calls) + 1 == self._fail_on:
            self.calls.append(list(texts))
            raise self._error
        return super().embed_documents(texts)
